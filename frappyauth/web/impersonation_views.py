"""Audited impersonation's endpoints (option `impersonation`), and the guard that decides what an
impersonation session may do.

The guard is the one place that refuses: every request of such a session reaches it once (from
`guard.request_identity`), is recorded, and is refused unless its endpoint is declared with
`impersonation=True`. The app's own routes are the app's to guard; frappyauth's endpoints are closed
unless opened, so an endpoint added later is safe by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Response, jsonify, request

from frappyauth.core.impersonation import MAX_REASON_LENGTH, Impersonation
from frappyauth.core.models import Identity
from frappyauth.web import bodies
from frappyauth.web.answers import user_json
from frappyauth.web.endpoints import AUDIT, IMPERSONATION, Endpoint, Endpoints
from frappyauth.web.guard import request_identity
from frappyauth.web.responses import clear_session_cookie, iso_time, set_session_cookie
from frappyauth.web.schemas import DATE_TIME, STRING, closed, obj, operation, ref
from frappyauth.web.state import current_state, switched_on

endpoints = Endpoints(requires=(AUDIT, IMPERSONATION))

STARTED = closed(
    ["user", "token", "sessionId", "impersonatorId", "expiresAt"],
    user=ref("User"),
    token=STRING,
    sessionId={"type": "string"},
    impersonatorId={"type": "string"},
    expiresAt=DATE_TIME,
)
STATE = obj(
    ["impersonating"],
    impersonating={"type": "boolean"},
    impersonatorId={"type": "string"},
    expiresAt=DATE_TIME,
)


def impersonation_guard(
    impersonation: Impersonation | None, declared: Iterable[Endpoint]
) -> Callable[[Identity], None] | None:
    """The check `guard.request_identity` runs on each request of an impersonation session; `None`
    while the option is off."""
    if impersonation is None:
        return None
    declared = tuple(declared)
    ours = frozenset(endpoint.flask_endpoint for endpoint in declared)
    opened = frozenset(endpoint.flask_endpoint for endpoint in declared if endpoint.impersonation)

    def check(identity: Identity) -> None:
        endpoint = request.endpoint
        allowed = endpoint not in ours or endpoint in opened
        impersonation.admit(identity, allowed, request.method, request.path, request.remote_addr)

    return check


def _impersonation() -> Impersonation:
    return switched_on(current_state().services.impersonation)


@endpoints.route(
    "POST",
    "/users/<user_id>/impersonate",
    operation(
        "Act as a user for at most 30 minutes, every request audited (needs the impersonation "
        "permission and a sign-in with a second factor in the last 10 minutes)",
        STARTED,
        (400, 401, 403, 404, 413, 415),
        body=obj(["reason"], reason={**STRING, "maxLength": MAX_REASON_LENGTH}),
    ),
)
def impersonate(user_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    reason = bodies.string(bodies.request_object(), "reason")
    user, session, token = _impersonation().start(identity, user_id, reason, request.remote_addr)
    response = jsonify(
        {
            "user": user_json(user),
            "token": token,
            "sessionId": session.session_id,
            "impersonatorId": identity.user.id,
            "expiresAt": iso_time(session.expires_at),
        }
    )
    set_session_cookie(response, token, current_state().services.options)
    return response


@endpoints.route(
    "GET",
    "/impersonation",
    operation("Whether this session is an impersonation, by whom, until when", STATE, (401, 403)),
    impersonation=True,
)
def impersonation_state() -> Response:
    session = request_identity(allow_api_key=False).session
    if session is None or session.impersonator_id is None:
        return jsonify({"impersonating": False})
    return jsonify(
        {
            "impersonating": True,
            "impersonatorId": session.impersonator_id,
            "expiresAt": iso_time(session.expires_at),
        }
    )


@endpoints.route(
    "DELETE",
    "/impersonation",
    operation(
        "End this impersonation session and clear the cookie",
        obj(["status"], status={"const": True}),
        (401, 403, 409),
    ),
    impersonation=True,
)
def end_impersonation() -> Response:
    _impersonation().end(request_identity(allow_api_key=False), request.remote_addr)
    response = jsonify({"status": True})
    clear_session_cookie(response, current_state().services.options)
    return response
