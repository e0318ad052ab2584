"""Changing a username: an administrator's rename of any user, and with option
`allow_username_change` the user's own (see `core.username_change`)."""

from __future__ import annotations

from flask import Response, jsonify

from frappyauth.web import bodies
from frappyauth.web.admin_views import admin
from frappyauth.web.answers import user_json
from frappyauth.web.endpoints import USER_MANAGEMENT, USERNAME_CHANGE, Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.schemas import STRING, obj, operation, ref
from frappyauth.web.state import current_state

endpoints = Endpoints()
ERRORS = (400, 401, 403, 404, 409, 413, 415)


@endpoints.route(
    "POST",
    "/users/<user_id>/username",
    operation(
        "Rename a user; their old name stays reserved to them for username_reservation_days",
        ref("User"),
        ERRORS,
        body=obj(["username"], username=STRING),
    ),
    requires=(USER_MANAGEMENT,),
)
def rename_user(user_id: str) -> Response:
    caller, body = admin(), bodies.request_object()
    user = current_state().services.username_change.rename(
        user_id, bodies.string(body, "username"), request_actor(caller)
    )
    return jsonify(user_json(user))


@endpoints.route(
    "POST",
    "/username",
    operation(
        "Change your own username, with your password",
        ref("User"),
        (*ERRORS, 429),
        body=obj(["password", "username"], password=STRING, username=STRING),
    ),
    requires=(USERNAME_CHANGE,),
)
def rename_own() -> Response:
    identity = request_identity(allow_api_key=False)
    body = bodies.request_object()
    user = current_state().services.username_change.rename_own(
        identity,
        bodies.string(body, "password"),
        bodies.string(body, "username"),
        request_actor(identity),
    )
    return jsonify(user_json(user))
