"""The public entry points: `register_endpoints`, `check_login_state`, `login_required`, seeding."""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from frappyauth.core.accounts import Accounts
from frappyauth.core.api_keys import ApiKeys
from frappyauth.core.authentication import Authenticator
from frappyauth.core.errors import FrappyAuthError
from frappyauth.core.models import User
from frappyauth.core.options import Options, build_options
from frappyauth.core.passwords import PasswordHasher
from frappyauth.core.protocols import ApiKeyStore, SessionStore, UserStore
from frappyauth.core.runtime import Runtime, utc_now
from frappyauth.stores.memory.api_keys import MemoryApiKeyStore
from frappyauth.stores.memory.sessions import MemorySessionStore
from frappyauth.web.cli import cli
from frappyauth.web.guard import authorize, cached_identity
from frappyauth.web.responses import render_error, render_http_error
from frappyauth.web.state import EXTENSION_KEY, AuthState, current_state
from frappyauth.web.views import build_blueprint

F = TypeVar("F", bound=Callable[..., Any])


def register_endpoints(app: Flask, user_store: UserStore, token_store: SessionStore | None = None,
                       options_override: Mapping[str, Any] | None = None, *, api_key_store: ApiKeyStore | None = None,
                       clock: Callable[[], datetime] = utc_now) -> None:
    """Register every endpoint under `api_prefix` and keep this app's state in `app.extensions`.

    Without a token store, sessions live in this process (and end with it). Without an API-key store, a
    user store that offers `api_key_store()` (the Mongo one: collection `userApiKeys` on its database)
    gives one; otherwise keys live in this process. Raises `ValueError` for an unknown or badly typed
    option, `RuntimeError` when called twice on one app. `clock` is for tests.
    """
    if EXTENSION_KEY in app.extensions:
        raise RuntimeError("frappyauth.register_endpoints was already called on this app.")
    options = build_options(options_override)
    if token_store is None:
        token_store = MemorySessionStore()
    if api_key_store is None:
        api_key_store = _default_api_key_store(user_store)
    runtime = Runtime(users=user_store, sessions=token_store, api_keys=api_key_store, options=options,
                      hasher=PasswordHasher(options.bcrypt_cost), clock=clock, sender=app)
    app.extensions[EXTENSION_KEY] = AuthState(runtime, Authenticator(runtime), Accounts(runtime),
                                              api_keys=ApiKeys(runtime))
    app.register_blueprint(build_blueprint(options))
    app.register_error_handler(FrappyAuthError, render_error)
    app.register_error_handler(HTTPException, _json_under_prefix(options))
    app.cli.add_command(cli)


def check_login_state(permission: str | list[str] | None = None, allow_api_key: bool = False) -> User:
    """Return the user of the current request, or raise: 401 without valid credentials, 403 without
    every permission in `permission` (a string or a list of strings), or for an API key where
    `allow_api_key` is False. Raises `RuntimeError` outside an app that called `register_endpoints`.

    For an API key, the permissions checked (and those of the returned user) are the key's effective
    rights: its scopes that its owner holds now."""
    required = [permission] if isinstance(permission, str) else list(permission or [])
    return authorize(required, allow_api_key).user


def login_required(permission: str | list[str] | None = None, allow_api_key: bool = False) -> Callable[[F], F]:
    """Decorator form of `check_login_state`; the view finds the user with `current_user()`."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check_login_state(permission, allow_api_key)
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def current_user() -> User:
    """The user a `check_login_state` or `login_required` check accepted earlier in this request."""
    identity = cached_identity()
    if identity is None:
        raise RuntimeError("current_user() needs a successful check_login_state() earlier in the request.")
    return identity.user


def initial_user_check(app: Flask, username: str, password: str) -> User | None:
    """Create a user with the admin permission only if there are no users yet (frappymongouser's
    `initial_local_user_check`); return it, or `None` when users exist."""
    with app.app_context():
        return current_state().accounts.create_initial_admin(username, password)


def _default_api_key_store(user_store: UserStore) -> ApiKeyStore:
    """The user store's companion key store, so that every worker sharing the users shares their keys."""
    companion = getattr(user_store, "api_key_store", None)
    return companion() if callable(companion) else MemoryApiKeyStore()


def _json_under_prefix(options: Options) -> Callable[[HTTPException], Response | HTTPException]:
    """Flask's own errors as JSON under `api_prefix`; the rest of the app keeps its own error pages."""
    def handle(error: HTTPException) -> Response | HTTPException:
        path = request.path
        if path == options.api_prefix or path.startswith(options.api_prefix + "/"):
            return render_http_error(error)
        return error
    return handle
