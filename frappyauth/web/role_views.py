"""Roles and suspension, managed by administrators (options `roles` and `suspension`).

A role is a named set of permissions; users hold roles beside their own permissions, and the user
JSON then shows `roles`, `permissions` (their own) and `effectivePermissions`. A suspended user's
sessions end and their keys, passkeys and password are refused until they are reinstated.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from frappyauth.core.errors import BadRequestError
from frappyauth.core.models import Role
from frappyauth.core.roles import Roles
from frappyauth.core.suspension import Suspension
from frappyauth.web import bodies
from frappyauth.web.admin_views import admin
from frappyauth.web.answers import user_json
from frappyauth.web.endpoints import ROLES, SUSPENSION, USER_MANAGEMENT, Endpoints
from frappyauth.web.guard import request_actor
from frappyauth.web.schemas import NULLABLE_STRING, STRING, closed, obj, operation, ref
from frappyauth.web.state import current_state

endpoints = Endpoints(requires=(USER_MANAGEMENT, ROLES))
suspending = Endpoints(requires=(USER_MANAGEMENT, SUSPENSION))

USER, ROLE = ref("User"), ref("Role")
BODY_ERRORS = (400, 401, 403, 404, 413, 415)
FORCE = {
    "name": "force",
    "in": "query",
    "schema": {"type": "string", "enum": ["true", "false"]},
    "description": "`true`: delete the role even while users hold it, taking it from them",
}


def role_json(role: Role) -> dict[str, Any]:
    return {"name": role.name, "permissions": list(role.permissions)}


def _roles() -> Roles:
    roles = current_state().services.roles
    assert roles is not None  # the endpoints exist only with option `roles`
    return roles


def _suspension() -> Suspension:
    suspension = current_state().services.suspension
    assert suspension is not None  # the endpoints exist only with option `suspension`
    return suspension


@endpoints.route(
    "GET",
    "/roles",
    operation(
        "Every role, by name",
        closed(["roles"], roles={"type": "array", "items": ROLE}),
        (401, 403),
    ),
)
def list_roles() -> Response:
    admin()
    return jsonify({"roles": [role_json(role) for role in _roles().list()]})


@endpoints.route(
    "PUT",
    "/roles/<name>",
    operation(
        "Create a role or replace its permissions",
        ROLE,
        (400, 401, 403, 409, 413, 415),
        body=obj(["permissions"], permissions={"type": "array", "items": STRING}),
    ),
)
def put_role(name: str) -> Response:
    caller, body = admin(), bodies.request_object()
    permissions = bodies.string_list(body, "permissions") or ()
    return jsonify(role_json(_roles().put(name, permissions, request_actor(caller))))


@endpoints.route(
    "DELETE",
    "/roles/<name>",
    operation(
        "Delete a role (409 while users hold it, unless forced)",
        closed(["name", "deleted"], name={"type": "string"}, deleted={"const": True}),
        (400, 401, 403, 404, 409),
        parameters=[FORCE],
    ),
)
def delete_role(name: str) -> Response:
    caller = admin()
    force = request.args.get("force", "false")
    if force not in ("true", "false"):
        raise BadRequestError("force must be 'true' or 'false'.")
    deleted = _roles().delete(name, force == "true", request_actor(caller))
    return jsonify({"name": deleted.name, "deleted": True})


@endpoints.route(
    "POST",
    "/users/<user_id>/roles",
    operation(
        "Replace the roles a user holds",
        USER,
        (*BODY_ERRORS, 409),
        body=obj(["roles"], roles={"type": "array", "items": STRING}),
    ),
)
def grant_roles(user_id: str) -> Response:
    caller, body = admin(), bodies.request_object()
    names = bodies.string_list(body, "roles") or ()
    return jsonify(user_json(_roles().grant(user_id, names, request_actor(caller))))


@suspending.route(
    "POST",
    "/users/<user_id>/suspend",
    operation(
        "Suspend a user: ends their sessions; keys, passkeys and password refused until reinstated",
        USER,
        (*BODY_ERRORS, 409),
        body={"type": "object", "properties": {"reason": NULLABLE_STRING}},
    ),
)
def suspend_user(user_id: str) -> Response:
    caller, body = admin(), bodies.request_object()
    reason = bodies.optional_string(body, "reason")
    return jsonify(user_json(_suspension().suspend(user_id, reason, request_actor(caller))))


@suspending.route(
    "POST",
    "/users/<user_id>/unsuspend",
    operation("Reinstate a suspended user", USER, (401, 403, 404)),
)
def unsuspend_user(user_id: str) -> Response:
    caller = admin()
    return jsonify(user_json(_suspension().unsuspend(user_id, request_actor(caller))))
