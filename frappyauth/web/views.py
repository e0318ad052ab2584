"""The HTTP endpoints: parse and validate, call one core function, answer JSON."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from frappyauth.web import bodies
from frappyauth.core.errors import BadRequestError, MfaRequiredError
from frappyauth.core.models import Identity, User
from frappyauth.web.openapi import openapi_document
from frappyauth.core.options import Options
from frappyauth.web.responses import (api_key_json, clear_session_cookie, no_store, render_any, session_json,
                                      set_session_cookie, user_json)
from frappyauth.web.guard import authorize, request_actor, request_identity
from frappyauth.web.mail_views import admin_email, mail_routes
from frappyauth.web.state import current_state

_PAGE = re.compile(r"\d{1,9}")



def _admin() -> Identity:
    return authorize([current_state().runtime.options.user_admin_permission], allow_api_key=False)


def _user_json(user: User) -> dict[str, Any]:
    return _users_json([user])[0]


def _users_json(users: list[User]) -> list[dict[str, Any]]:
    holders = current_state().api_keys.default_key_holders(users)
    mfa = current_state().mfa
    status = mfa.status(users) if mfa is not None else {}
    return [user_json(user, user.id in holders, status.get(user.id)) for user in users]


def login() -> Response:
    body, options = bodies.request_object(), current_state().runtime.options
    username, password = bodies.string(body, "username"), bodies.string(body, "password")
    try:
        user, token = current_state().authenticator.login(username, password, request.user_agent.string or None,
                                                          request.remote_addr)
    except MfaRequiredError as pending:  # the password was right: no session before the second factor
        return jsonify({"mfaRequired": True, "mfaToken": pending.mfa_token, "methods": pending.methods})
    response = jsonify({"user": _user_json(user), "token": token})
    set_session_cookie(response, token, options)
    return response


def logout() -> Response:
    identity = request_identity(allow_api_key=False, enrolling=True)
    current_state().authenticator.logout(identity, request_actor(identity))
    response = jsonify({"status": True})
    clear_session_cookie(response, current_state().runtime.options)
    return response


def own_user() -> Response:
    return jsonify(_user_json(request_identity(allow_api_key=False, enrolling=True).user))


def list_users() -> Response:
    _admin()
    page = request.args.get("page", "0")
    if not _PAGE.fullmatch(page):
        raise BadRequestError("The page must be a whole number from 0.")
    prefix, accounts = request.args.get("q", ""), current_state().accounts
    users, total = accounts.search(prefix, int(page)) if prefix else accounts.page(int(page))
    return jsonify({"users": _users_json(users), "total": total})


def create_user() -> Response:
    admin, body = _admin(), bodies.request_object()
    email, email_key = admin_email(bodies.optional_string(body, "email"))
    user = current_state().accounts.create(
        username=bodies.string(body, "username"), password=bodies.string(body, "password"),
        permissions=bodies.string_list(body, "permissions", required=False),
        email=email, profile=bodies.optional_object(body, "profile"), actor=request_actor(admin),
        email_key=email_key)
    return jsonify(_user_json(user))


def set_permissions(user_id: str) -> Response:
    admin, body = _admin(), bodies.request_object()
    permissions = bodies.string_list(body, "permissions") or ()
    return jsonify(_user_json(current_state().accounts.set_permissions(user_id, permissions, request_actor(admin))))


def set_profile(user_id: str) -> Response:
    editor, profile = request_identity(allow_api_key=False), bodies.request_object()
    return jsonify(_user_json(current_state().accounts.set_profile(user_id, profile, editor, request_actor(editor))))


def reset_password(user_id: str) -> Response:
    admin, body = _admin(), bodies.request_object()
    user = current_state().accounts.reset_password(user_id, bodies.string(body, "password"),
                                                 request_actor(admin))
    return jsonify(_user_json(user))


def unlock_user(user_id: str) -> Response:
    admin = _admin()
    user = current_state().accounts.unlock(user_id, request_actor(admin))
    return jsonify({"userId": user.id, "unlocked": True})


def delete_user(user_id: str) -> Response:
    admin = _admin()
    deleted = current_state().accounts.delete(user_id, request_actor(admin))
    return jsonify({"userId": deleted.id, "deleted": True})


def change_own_password() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    user = current_state().accounts.change_own_password(identity, bodies.string(body, "oldPassword"),
                                                        bodies.string(body, "newPassword"), request_actor(identity))
    return jsonify(_user_json(user))


def rotate_default_key() -> Response:
    """The seed's `POST /key`: a new key named `default`, replacing only that one."""
    identity = request_identity(allow_api_key=False)
    return jsonify({"apiKey": current_state().api_keys.rotate_default(identity.user, request_actor(identity))})


def revoke_default_key() -> Response:
    identity = request_identity(allow_api_key=False)
    current_state().api_keys.revoke_default(identity.user, request_actor(identity))
    return jsonify({"apiKey": None})


def own_keys() -> Response:
    identity = request_identity(allow_api_key=False)
    return jsonify({"keys": [api_key_json(key) for key in current_state().api_keys.list(identity.user.id)]})


def create_key() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    key, api_key = current_state().api_keys.create(
        identity.user, bodies.string(body, "name"), scopes=bodies.string_list(body, "scopes", required=False),
        expires_in=bodies.optional_int(body, "expiresIn"), expires_at=bodies.optional_datetime(body, "expiresAt"),
        actor=request_actor(identity))
    return jsonify({**api_key_json(key), "apiKey": api_key})


def revoke_own_key(key_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    current_state().api_keys.revoke(identity.user.id, key_id, request_actor(identity))
    return jsonify({"id": key_id, "revoked": True})


def user_keys(user_id: str) -> Response:
    _admin()
    keys = current_state().api_keys.list(current_state().accounts.get(user_id).id)
    return jsonify({"keys": [api_key_json(key) for key in keys]})


def revoke_user_key(user_id: str, key_id: str) -> Response:
    admin = _admin()
    user = current_state().accounts.get(user_id)
    current_state().api_keys.revoke(user.id, key_id, request_actor(admin))
    return jsonify({"userId": user.id, "id": key_id, "revoked": True})


def revoke_user_keys(user_id: str) -> Response:
    admin = _admin()
    user = current_state().accounts.get(user_id)
    count = current_state().api_keys.revoke_all(user.id, request_actor(admin))
    return jsonify({"userId": user.id, "revoked": count})


def own_sessions() -> Response:
    identity = request_identity(allow_api_key=False)
    sessions = current_state().authenticator.sessions_of(identity.user)
    return jsonify({"sessions": [session_json(session, identity.session) for session in sessions]})


def end_own_session(session_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    current_state().authenticator.end_session(identity.user.id, session_id, actor=request_actor(identity))
    response = jsonify({"sessionId": session_id, "deleted": True})
    if identity.session is not None and identity.session.session_id == session_id:
        clear_session_cookie(response, current_state().runtime.options)
    return response


def end_own_sessions() -> Response:
    """Log out everywhere; with `?keepCurrent=true`, everywhere else."""
    identity = request_identity(allow_api_key=False)
    keep_current = request.args.get("keepCurrent", "false")
    if keep_current not in ("true", "false"):
        raise BadRequestError("keepCurrent must be true or false.")
    keep = identity.session if keep_current == "true" else None
    count = current_state().authenticator.end_sessions(identity.user.id, actor=request_actor(identity), keep=keep)
    response = jsonify({"deleted": count})
    if keep is None:
        clear_session_cookie(response, current_state().runtime.options)
    return response


def user_sessions(user_id: str) -> Response:
    _admin()
    sessions = current_state().authenticator.sessions_of(current_state().accounts.get(user_id))
    return jsonify({"sessions": [session_json(session, None) for session in sessions]})


def end_user_sessions(user_id: str) -> Response:
    admin = _admin()
    user = current_state().accounts.get(user_id)
    count = current_state().authenticator.end_sessions(user.id, actor=request_actor(admin))
    return jsonify({"userId": user.id, "deleted": count})


def serve_openapi() -> Response:
    return jsonify(openapi_document(current_state().runtime.options))


def build_blueprint(options: Options) -> Blueprint:
    """The endpoints the options ask for, under `api_prefix`."""
    blueprint = Blueprint("frappyauth", __name__, url_prefix=options.api_prefix)
    routes: list[tuple[str, Callable[..., Response], str]] = [
        ("/login", login, "POST"), ("/login", logout, "DELETE"), ("/logout", logout, "DELETE"),
        ("", own_user, "GET"), ("/users", list_users, "GET"), ("/password", change_own_password, "POST"),
        ("/sessions", own_sessions, "GET"), ("/sessions", end_own_sessions, "DELETE"),
        ("/sessions/<session_id>", end_own_session, "DELETE"), ("/openapi.json", serve_openapi, "GET")]
    if not options.no_user_management:
        routes += [("/users", create_user, "POST"), ("/users/<user_id>/permissions", set_permissions, "POST"),
                   ("/users/<user_id>/profile", set_profile, "POST"),
                   ("/users/<user_id>/password", reset_password, "POST"),
                   ("/users/<user_id>", delete_user, "DELETE"),
                   ("/users/<user_id>/unlock", unlock_user, "POST"),
                   ("/users/<user_id>/sessions", user_sessions, "GET"),
                   ("/users/<user_id>/sessions", end_user_sessions, "DELETE")]
    if options.api_keys:
        routes += [("/key", rotate_default_key, "POST"), ("/key", revoke_default_key, "DELETE"),
                   ("/keys", own_keys, "GET"), ("/keys", create_key, "POST"),
                   ("/keys/<key_id>", revoke_own_key, "DELETE")]
    if options.api_keys and not options.no_user_management:
        routes += [("/users/<user_id>/keys", user_keys, "GET"),
                   ("/users/<user_id>/keys", revoke_user_keys, "DELETE"),
                   ("/users/<user_id>/keys/<key_id>", revoke_user_key, "DELETE")]
    routes += mail_routes(options)
    if options.totp or options.passkeys:  # these modules need the `mfa` extra, which registration checked
        from frappyauth.web.mfa_views import mfa_routes
        routes += mfa_routes(options)
    if options.passkeys:
        from frappyauth.web.passkey_views import passkey_routes
        routes += passkey_routes()
    for rule, view, method in routes:
        blueprint.add_url_rule(rule, endpoint=f"{view.__name__}_{method.lower()}", view_func=view, methods=[method])
    blueprint.after_request(no_store)
    blueprint.register_error_handler(Exception, render_any)
    return blueprint
