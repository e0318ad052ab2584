"""The endpoints of the mail flows: sign-up, address verification, password reset, address change.

Anyone may call them, except where an operation names a session. Their services need the `[mail]`
extra, which registration checks; this module itself imports nothing of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request

from frappyauth.core.options import Options
from frappyauth.web import bodies
from frappyauth.web.credentials import request_credential
from frappyauth.web.endpoints import (
    EMAIL_CHANGE,
    EMAIL_VERIFICATION,
    PASSWORD_RESET,
    REGISTRATION,
    Endpoints,
)
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.answers import user_json
from frappyauth.web.schemas import SESSION_SECURITY, STRING, Operation, obj, operation, ref
from frappyauth.web.state import current_state, switched_on

if TYPE_CHECKING:
    from frappyauth.core.mail_flows import MailFlows

endpoints = Endpoints()

TOKEN, USER, ERRORS = obj(["token"], token=STRING), ref("User"), (400, 413, 415, 429)


def _mail() -> MailFlows:
    return switched_on(current_state().services.mail)


def _status(status: str, code: int) -> Response:
    response = jsonify({"status": status})
    response.status_code = code
    return response


def _status_schema(value: str) -> dict[str, Any]:
    return obj(["status"], status={"const": value})


def register_operation(options: Options) -> Operation:
    verifies = options.email_verification is not None
    return operation(
        "Sign up",
        _status_schema("verification_sent") if verifies else USER,
        (*ERRORS, 409),
        security=[],
        ok_status=202 if verifies else 200,
        body=obj(
            ["username", "password", "email"],
            username=STRING,
            password=STRING,
            email=STRING,
            profile={"type": ["object", "null"]},
        ),
    )


@endpoints.route("POST", "/register", register_operation, requires=(REGISTRATION,))
def register() -> Response:
    body = bodies.request_object()
    user = _mail().registration.register(
        bodies.string(body, "username"),
        bodies.string(body, "password"),
        bodies.string(body, "email"),
        bodies.optional_object(body, "profile"),
        request_actor(None),
    )
    return _status("verification_sent", 202) if user is None else jsonify(user_json(user))


@endpoints.route(
    "POST",
    "/verify-email",
    operation("Verify an address", USER, ERRORS, security=[], body=TOKEN),
    requires=(EMAIL_VERIFICATION,),
)
def verify_email() -> Response:
    token = bodies.string(bodies.request_object(), "token")
    return jsonify(user_json(_mail().registration.verify(token, request_actor(None))))


@endpoints.route(
    "POST",
    "/verify-email/resend",
    operation(
        "Send a new verification link: to the caller, or (without a session) to the account with "
        "`email`",
        _status_schema("verification_sent"),
        (*ERRORS, 401, 403),
        security=[{}, *SESSION_SECURITY],
        ok_status=202,
        body=obj([], email=STRING),
    ),
    requires=(EMAIL_VERIFICATION,),
)
def resend_verification() -> Response:
    """For the logged-in caller, or (so an unverified user who may not log in can ask) for
    `{email}`."""
    body = bodies.request_object()
    identity = (
        request_identity(allow_api_key=False) if request_credential(request) is not None else None
    )
    # Checked even with a session, which ignores it: a body the document forbids is a 400.
    bodies.optional_string(body, "email", nullable=False)
    email = None if identity is not None else bodies.string(body, "email")
    _mail().registration.resend(identity.user if identity else None, email, request_actor(identity))
    return _status("verification_sent", 202)


@endpoints.route(
    "POST",
    "/password-reset",
    operation(
        "Ask for a password-reset link, by `email` or `username`; the same answer for any account "
        "or none",
        _status_schema("reset_requested"),
        ERRORS,
        security=[],
        body=obj([], email=STRING, username=STRING),
    ),
    requires=(PASSWORD_RESET,),
)
def request_password_reset() -> Response:
    body = bodies.request_object()
    email, username = (  # `null` is no way to leave one out: the document says string
        bodies.optional_string(body, "email", nullable=False),
        bodies.optional_string(body, "username", nullable=False),
    )
    _mail().password_reset.request(email, username, request_actor(None))
    return _status("reset_requested", 200)


@endpoints.route(
    "POST",
    "/password-reset/confirm",
    operation(
        "Set a new password with a reset token; ends every session and API key",
        USER,
        (*ERRORS, 404),
        security=[],
        body=obj(["token", "password"], token=STRING, password=STRING),
    ),
    requires=(PASSWORD_RESET,),
)
def confirm_password_reset() -> Response:
    body = bodies.request_object()
    user = _mail().password_reset.confirm(
        bodies.string(body, "token"), bodies.string(body, "password"), request_actor(None)
    )
    return jsonify(user_json(user))


@endpoints.route(
    "POST",
    "/email",
    operation(
        "Ask to change one's address; a link goes to the new one",
        _status_schema("confirmation_sent"),
        (*ERRORS, 401, 403),
        ok_status=202,
        body=obj(["password", "email"], password=STRING, email=STRING),
    ),
    requires=(EMAIL_CHANGE,),
)
def request_email_change() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    _mail().email_change.request(
        identity.user,
        bodies.string(body, "password"),
        bodies.string(body, "email"),
        request_actor(identity),
    )
    return _status("confirmation_sent", 202)


@endpoints.route(
    "POST",
    "/email/confirm",
    operation("Confirm an address change", USER, (*ERRORS, 409), security=[], body=TOKEN),
    requires=(EMAIL_CHANGE,),
)
def confirm_email_change() -> Response:
    token = bodies.string(bodies.request_object(), "token")
    return jsonify(user_json(_mail().email_change.confirm(token, request_actor(None))))
