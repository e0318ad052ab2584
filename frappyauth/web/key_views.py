"""API keys (option `api_keys`): the caller's own, frappyflaskauth's single `/key`, and an
admin's view."""

from __future__ import annotations

from flask import Response, jsonify

from frappyauth.web import bodies
from frappyauth.web.admin_views import admin_on_user
from frappyauth.web.endpoints import API_KEYS, USER_MANAGEMENT, Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.responses import api_key_json
from frappyauth.web.schemas import NULLABLE_DATE_TIME, STRING, obj, operation, ref
from frappyauth.web.state import current_state

endpoints = Endpoints(requires=(API_KEYS,))
managing = Endpoints(requires=(API_KEYS, USER_MANAGEMENT))

REVOKED_ONE = obj(["id", "revoked"], id={"type": "string"}, revoked={"const": True})


@endpoints.route(
    "POST",
    "/key",
    operation(
        "Replace the key named `default`; the key is shown this once",
        obj(["apiKey"], apiKey=STRING),
        (401, 403, 409),
    ),
)
def rotate_default_key() -> Response:
    """frappyflaskauth's `POST /key`: a new key named `default`, replacing only that one."""
    identity = request_identity(allow_api_key=False)
    api_key = current_state().services.api_keys.rotate_default(
        identity.user, request_actor(identity)
    )
    return jsonify({"apiKey": api_key})


@endpoints.route(
    "DELETE",
    "/key",
    operation(
        "Revoke the key named `default`", obj(["apiKey"], apiKey={"type": "null"}), (401, 403)
    ),
)
def revoke_default_key() -> Response:
    identity = request_identity(allow_api_key=False)
    current_state().services.api_keys.revoke_default(identity.user, request_actor(identity))
    return jsonify({"apiKey": None})


@endpoints.route(
    "GET",
    "/keys",
    operation("The caller's API keys", ref("ApiKeys"), (401, 403)),
    impersonation=True,
)
def own_keys() -> Response:
    identity = request_identity(allow_api_key=False)
    keys = current_state().services.api_keys.list(identity.user.id)
    return jsonify({"keys": [api_key_json(key) for key in keys]})


@endpoints.route(
    "POST",
    "/keys",
    operation(
        "Create an API key; the key is shown this once",
        ref("NewApiKey"),
        (400, 401, 403, 409, 413, 415),
        body=obj(
            ["name"],
            name={**STRING, "maxLength": 100},
            scopes={"type": ["array", "null"], "items": STRING},
            expiresIn={"type": ["integer", "null"], "minimum": 1},
            expiresAt=NULLABLE_DATE_TIME,
        ),
    ),
)
def create_key() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    key, api_key = current_state().services.api_keys.create(
        identity.user,
        bodies.string(body, "name"),
        scopes=bodies.string_list(body, "scopes", required=False),
        expires_in=bodies.optional_int(body, "expiresIn"),
        expires_at=bodies.optional_datetime(body, "expiresAt"),
        actor=request_actor(identity),
    )
    return jsonify({**api_key_json(key), "apiKey": api_key})


@endpoints.route(
    "DELETE",
    "/keys/<key_id>",
    operation("Revoke one of the caller's API keys", REVOKED_ONE, (401, 403, 404)),
)
def revoke_own_key(key_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    current_state().services.api_keys.revoke(identity.user.id, key_id, request_actor(identity))
    return jsonify({"id": key_id, "revoked": True})


@managing.route(
    "GET", "/users/<user_id>/keys", operation("A user's API keys", ref("ApiKeys"), (401, 403, 404))
)
def user_keys(user_id: str) -> Response:
    _, user = admin_on_user(user_id)
    keys = current_state().services.api_keys.list(user.id)
    return jsonify({"keys": [api_key_json(key) for key in keys]})


@managing.route(
    "DELETE",
    "/users/<user_id>/keys/<key_id>",
    operation(
        "Revoke one of a user's API keys",
        obj(
            ["userId", "id", "revoked"],
            userId={"type": "string"},
            id={"type": "string"},
            revoked={"const": True},
        ),
        (401, 403, 404),
    ),
)
def revoke_user_key(user_id: str, key_id: str) -> Response:
    actor, user = admin_on_user(user_id)
    current_state().services.api_keys.revoke(user.id, key_id, actor)
    return jsonify({"userId": user.id, "id": key_id, "revoked": True})


@managing.route(
    "DELETE",
    "/users/<user_id>/keys",
    operation(
        "Revoke all of a user's API keys, a legacy one included",
        obj(
            ["userId", "revoked"],
            userId={"type": "string"},
            revoked={"type": "integer", "minimum": 0},
        ),
        (401, 403, 404),
    ),
)
def revoke_user_keys(user_id: str) -> Response:
    actor, user = admin_on_user(user_id)
    return jsonify(
        {"userId": user.id, "revoked": current_state().services.api_keys.revoke_all(user.id, actor)}
    )
