"""Signing in and out, the caller's own record and password, and the caller's sessions."""

from __future__ import annotations

from flask import Response, jsonify, request

from frappyauth.core.errors import BadRequestError
from frappyauth.core.options import Options
from frappyauth.web import bodies
from frappyauth.web.endpoints import Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.answers import sign_in_answer, user_json
from frappyauth.web.device_views import device_cookie
from frappyauth.web.remember import REMEMBER, remember_choice
from frappyauth.web.responses import clear_session_cookie, session_json
from frappyauth.web.schemas import (
    MFA_REQUIRED,
    SESSION_SECURITY,
    STRING,
    Operation,
    obj,
    operation,
    ref,
)
from frappyauth.web.state import current_state

endpoints = Endpoints()


def login_operation(options: Options) -> Operation:
    signed_in = obj(["user", "token"], user=ref("User"), token=STRING)
    # A right password of a user with a second factor: no session yet, the second step's token
    # instead.
    answer = {"oneOf": [signed_in, MFA_REQUIRED]} if options.totp or options.passkeys else signed_in
    return operation(
        "Log in",
        answer,
        (400, 401, 413, 415, 429),
        security=[],
        body=obj(
            ["username", "password"],
            username=STRING,
            password=STRING,
            **({"remember": REMEMBER} if options.remember_me else {}),
        ),
    )


@endpoints.route("POST", "/login", login_operation)
def login() -> Response:
    body = bodies.request_object()
    username, password = bodies.string(body, "username"), bodies.string(body, "password")
    return sign_in_answer(
        current_state().services.sign_in.with_password(
            username,
            password,
            request.user_agent.string or None,
            request.remote_addr,
            device=device_cookie(),
            remember=remember_choice(body),
        )
    )


LOGOUT = operation(
    "Log out: end this session and clear the cookie",
    obj(["status"], status={"const": True}),
    (401, 403),
)


@endpoints.route("DELETE", "/login", LOGOUT, impersonation=True)
@endpoints.route("DELETE", "/logout", LOGOUT, impersonation=True)
def logout() -> Response:
    identity = request_identity(allow_api_key=False, enrolment_exempt=True)
    current_state().services.sessions.logout(identity, request_actor(identity))
    response = jsonify({"status": True})
    clear_session_cookie(response, current_state().services.options)
    return response


@endpoints.route(
    "GET",
    "",
    operation(
        "The logged-in user; for an API key, its owner with the key's effective permissions",
        ref("User"),
        (401, 403),
        security=[*SESSION_SECURITY, {"apiKey": []}],
    ),
    impersonation=True,
)
def own_user() -> Response:
    """Who am I. A key may ask too: naming its owner gives it no power it lacks, and a script needs
    to see which account a key acts for and with which rights (docs/api-keys.md)."""
    return jsonify(user_json(request_identity(allow_api_key=True, enrolment_exempt=True).user))


@endpoints.route(
    "POST",
    "/password",
    operation(
        "Change one's own password; ends one's other sessions",
        ref("User"),
        (400, 401, 403, 404, 409, 413, 415, 429),
        body=obj(["oldPassword", "newPassword"], oldPassword=STRING, newPassword=STRING),
    ),
)
def change_own_password() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    user = current_state().services.accounts.change_own_password(
        identity,
        bodies.string(body, "oldPassword"),
        bodies.string(body, "newPassword"),
        request_actor(identity),
    )
    return jsonify(user_json(user))


@endpoints.route(
    "GET",
    "/sessions",
    operation("The caller's active sessions", ref("Sessions"), (401, 403)),
    impersonation=True,
)
def own_sessions() -> Response:
    identity = request_identity(allow_api_key=False)
    sessions = current_state().services.sessions.of_user(identity.user)
    return jsonify({"sessions": [session_json(session, identity.session) for session in sessions]})


@endpoints.route(
    "DELETE",
    "/sessions/<session_id>",
    operation(
        "End one of the caller's sessions",
        obj(["sessionId", "deleted"], sessionId={"type": "string"}, deleted={"const": True}),
        (401, 403, 404),
    ),
)
def end_own_session(session_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    current_state().services.sessions.end(
        identity.user.id, session_id, actor=request_actor(identity)
    )
    response = jsonify({"sessionId": session_id, "deleted": True})
    if identity.session is not None and identity.session.session_id == session_id:
        clear_session_cookie(response, current_state().services.options)
    return response


KEEP_CURRENT = {
    "name": "keepCurrent",
    "in": "query",
    "schema": {"type": "string", "enum": ["true", "false"]},
}


@endpoints.route(
    "DELETE",
    "/sessions",
    operation(
        "Log out everywhere (else)",
        obj(["deleted"], deleted={"type": "integer", "minimum": 0}),
        (400, 401, 403),
        parameters=[KEEP_CURRENT],
    ),
)
def end_own_sessions() -> Response:
    """Log out everywhere; with `?keepCurrent=true`, everywhere else."""
    identity = request_identity(allow_api_key=False)
    keep_current = request.args.get("keepCurrent", "false")
    if keep_current not in ("true", "false"):
        raise BadRequestError("keepCurrent must be true or false.")
    keep = identity.session if keep_current == "true" else None
    count = current_state().services.sessions.end_all(
        identity.user.id, actor=request_actor(identity), keep=keep
    )
    response = jsonify({"deleted": count})
    if keep is None:
        clear_session_cookie(response, current_state().services.options)
    return response
