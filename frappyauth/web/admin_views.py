"""User management by administrators: listing, creating, changing and deleting users, and their
sessions.

Listing is always on (frappyflaskauth had it); the rest needs user management (`no_user_management`
off). A user may edit their own profile here too, with `allow_own_profile_edit`.
"""

from __future__ import annotations

import re

from flask import Response, jsonify, request

from frappyauth.core.errors import BadRequestError
from frappyauth.core.models import Actor, Identity, User
from frappyauth.web import bodies
from frappyauth.web.endpoints import USER_MANAGEMENT, Endpoints
from frappyauth.web.guard import authorize, request_actor, request_identity
from frappyauth.web.answers import user_json, users_json
from frappyauth.web.responses import session_json
from frappyauth.web.schemas import NULLABLE_STRING, STRING, obj, operation, ref
from frappyauth.web.state import current_state

endpoints = Endpoints()
managing = Endpoints(requires=(USER_MANAGEMENT,))

_PAGE = re.compile(r"\d{1,9}")
USER = ref("User")
BODY_ERRORS = (400, 401, 403, 404, 413, 415)
PAGE = {
    "name": "page",
    "in": "query",
    "schema": {"type": "integer", "minimum": 0, "maximum": 999_999_999},
}
NAME_PREFIX = {
    "name": "q",
    "in": "query",
    "schema": {"type": "string", "maxLength": 150},
    "description": "only users whose name starts with this, in any case; ordered by name",
}


def admin() -> Identity:
    """The calling administrator (a session, never an API key); 401 or 403 otherwise."""
    return authorize([current_state().services.options.user_admin_permission], allow_api_key=False)


def admin_on_user(user_id: str) -> tuple[Actor, User]:
    """The calling administrator, as the actor, and the user they act on (404 if there is none)."""
    caller = admin()
    return request_actor(caller), current_state().services.accounts.get(user_id)


@endpoints.route(
    "GET",
    "/users",
    operation(
        "A page of users",
        obj(["users", "total"], users={"type": "array", "items": USER}, total={"type": "integer"}),
        (400, 401, 403),
        parameters=[PAGE, NAME_PREFIX],
    ),
)
def list_users() -> Response:
    admin()
    page = request.args.get("page", "0")
    if not _PAGE.fullmatch(page):
        raise BadRequestError("The page must be a whole number from 0.")
    prefix, accounts = request.args.get("q", ""), current_state().services.accounts
    users, total = accounts.search(prefix, int(page)) if prefix else accounts.page(int(page))
    return jsonify({"users": users_json(users), "total": total})


@managing.route(
    "POST",
    "/users",
    operation(
        "Create a user",
        USER,
        (400, 401, 403, 409, 413, 415),
        body=obj(
            ["username", "password"],
            username=STRING,
            password=STRING,
            permissions={"type": "array", "items": STRING},
            email=NULLABLE_STRING,
            profile={"type": ["object", "null"]},
        ),
    ),
)
def create_user() -> Response:
    caller, body = admin(), bodies.request_object()
    services = current_state().services
    email = bodies.optional_string(body, "email")
    # With the mail flows on, addresses are normalised and unique; without, kept as given
    # (frappyflaskauth).
    email, email_key = (email, None) if services.mail is None else services.mail.addresses(email)
    user = services.accounts.create(
        username=bodies.string(body, "username"),
        password=bodies.string(body, "password"),
        permissions=bodies.string_list(body, "permissions", required=False),
        email=email,
        profile=bodies.optional_object(body, "profile"),
        actor=request_actor(caller),
        email_key=email_key,
    )
    return jsonify(user_json(user))


@managing.route(
    "POST",
    "/users/<user_id>/permissions",
    operation(
        "Replace a user's permissions",
        USER,
        (*BODY_ERRORS, 409),
        body=obj(["permissions"], permissions={"type": "array", "items": STRING}),
    ),
)
def set_permissions(user_id: str) -> Response:
    caller, body = admin(), bodies.request_object()
    permissions = bodies.string_list(body, "permissions") or ()
    user = current_state().services.accounts.set_permissions(
        user_id, permissions, request_actor(caller)
    )
    return jsonify(user_json(user))


@managing.route(
    "POST",
    "/users/<user_id>/profile",
    operation("Replace a user's profile", USER, BODY_ERRORS, body={"type": "object"}),
)
def set_profile(user_id: str) -> Response:
    editor, profile = request_identity(allow_api_key=False), bodies.request_object()
    user = current_state().services.accounts.set_profile(
        user_id, profile, editor, request_actor(editor)
    )
    return jsonify(user_json(user))


@managing.route(
    "POST",
    "/users/<user_id>/password",
    operation(
        "Set a user's password; ends their sessions and API keys",
        USER,
        BODY_ERRORS,
        body=obj(["password"], password=STRING),
    ),
)
def reset_password(user_id: str) -> Response:
    caller, body = admin(), bodies.request_object()
    user = current_state().services.accounts.reset_password(
        user_id, bodies.string(body, "password"), request_actor(caller)
    )
    return jsonify(user_json(user))


@managing.route(
    "POST",
    "/users/<user_id>/unlock",
    operation(
        "Clear the login throttle for a user's account, from every address",
        obj(["userId", "unlocked"], userId={"type": "string"}, unlocked={"const": True}),
        (401, 403, 404),
    ),
)
def unlock_user(user_id: str) -> Response:
    caller = admin()
    user = current_state().services.accounts.unlock(user_id, request_actor(caller))
    return jsonify({"userId": user.id, "unlocked": True})


@managing.route(
    "DELETE",
    "/users/<user_id>",
    operation(
        "Delete a user",
        obj(["userId", "deleted"], userId={"type": "string"}, deleted={"const": True}),
        (401, 403, 404, 409),
    ),
)
def delete_user(user_id: str) -> Response:
    caller = admin()
    deleted = current_state().services.accounts.delete(user_id, request_actor(caller))
    return jsonify({"userId": deleted.id, "deleted": True})


@managing.route(
    "GET",
    "/users/<user_id>/sessions",
    operation("A user's active sessions", ref("Sessions"), (401, 403, 404)),
)
def user_sessions(user_id: str) -> Response:
    _, user = admin_on_user(user_id)
    sessions = current_state().services.sessions.of_user(user)
    return jsonify({"sessions": [session_json(session, None) for session in sessions]})


@managing.route(
    "DELETE",
    "/users/<user_id>/sessions",
    operation(
        "End all of a user's sessions",
        obj(
            ["userId", "deleted"],
            userId={"type": "string"},
            deleted={"type": "integer", "minimum": 0},
        ),
        (401, 403, 404),
    ),
)
def end_user_sessions(user_id: str) -> Response:
    actor, user = admin_on_user(user_id)
    count = current_state().services.sessions.end_all(user.id, actor=actor)
    return jsonify({"userId": user.id, "deleted": count})
