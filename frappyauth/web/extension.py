"""The public entry points: `FrappyAuth`/`register_endpoints`, `check_login_state`, `login_required`,
`current_user`, seeding."""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask
from flask.typing import ResponseReturnValue

from frappyauth.core.accounts import Accounts
from frappyauth.core.api_keys import ApiKeys
from frappyauth.core.authentication import Authenticator
from frappyauth.core.errors import AuthenticationError, FrappyAuthError, PermissionDeniedError
from frappyauth.core.mailer import Mailer
from frappyauth.core.models import User
from frappyauth.core.options import build_options
from frappyauth.core.passwords import PasswordHasher
from frappyauth.core.protocols import ApiKeyStore, MailTokenStore, MfaStore, SessionStore, UserStore
from frappyauth.core.runtime import Runtime, utc_now
from frappyauth.stores.memory import MemoryApiKeyStore, MemoryMailTokenStore, MemorySessionStore, MemoryUserStore
from frappyauth.web.cli import cli
from frappyauth.web.console import build_console_blueprint
from frappyauth.web.guard import authorize, request_identity
from frappyauth.web.mail_templates import TemplateComposer
from frappyauth.web.mfa_setup import build_mfa, mfa_store_for
from frappyauth.web.responses import render_error
from frappyauth.web.routing import answer_routing_errors
from frappyauth.web.state import EXTENSION_KEY, AuthState, current_state
from frappyauth.web.user_proxy import current_user
from frappyauth.web.views import build_blueprint

if TYPE_CHECKING:  # imported only with a mail flow on: it needs the `[mail]` extra
    from frappyauth.core.mail_flows import MailFlows

F = TypeVar("F", bound=Callable[..., Any])
UnauthorizedHandler = Callable[[FrappyAuthError], ResponseReturnValue]

__all__ = ["FrappyAuth", "check_login_state", "current_user", "initial_user_check", "login_required",
           "register_endpoints"]


class FrappyAuth:
    """frappyauth for one or more apps: `FrappyAuth(app, user_store)`, or `FrappyAuth(user_store=...)` and
    `init_app(app)` later (application factories).

    The stores and options are checked here, once. Every app this extension is set up on shares its
    stores; without a token store they share one in-process session store (sessions end with the process).
    Without an API-key store, a user store that offers `api_key_store()` (the Mongo one: collection
    `userApiKeys` on its database) gives one; otherwise keys live in this process. The mail flows (options
    `registration`, `email_verification`, `password_reset`, `email_change`) need a `mailer`; their tokens
    live in `mail_token_store`, or without one in this process.
    Second factors (option `totp`) live in `mfa_store`, or the user store's `mfa_store()` (the Mongo one),
    or in this process.
    Raises `ValueError` for an unknown or badly typed option, `TypeError` for something that is not a store.
    """

    def __init__(self, app: Flask | None = None, user_store: UserStore | None = None,
                 token_store: SessionStore | None = None, options_override: Mapping[str, Any] | None = None, *,
                 api_key_store: ApiKeyStore | None = None, clock: Callable[[], datetime] = utc_now,
                 mailer: Mailer | None = None, mail_token_store: MailTokenStore | None = None,
                 mfa_store: MfaStore | None = None) -> None:
        if user_store is None:
            raise TypeError("FrappyAuth needs a user store: FrappyAuth(app, MemoryUserStore()), or "
                            "FrappyAuth(user_store=...) and init_app(app) later.")
        _check_store("user store", user_store, UserStore, "the user store (first store argument)")
        if api_key_store is not None:
            _check_store("API-key store", api_key_store, ApiKeyStore, "the API-key store (api_key_store)")
        if mfa_store is not None:
            _check_store("MFA store", mfa_store, MfaStore, "the MFA store (mfa_store)")
        if token_store is not None:
            _check_store("token store", token_store, SessionStore, "the session store (token_store)")
        elif not isinstance(user_store, MemoryUserStore):
            warnings.warn(f"frappyauth: the user store is a {type(user_store).__name__}, but no token store was "
                          "given, so sessions live in this process only: a login made through one worker or "
                          "instance is unknown to the others. Pass a shared one, e.g. MongoSessionStore(db).",
                          RuntimeWarning, stacklevel=3)
        self.options = build_options(options_override)
        self.user_store = user_store
        self.token_store: SessionStore = token_store if token_store is not None else MemorySessionStore()
        self.api_key_store = api_key_store if api_key_store is not None else _default_api_key_store(user_store)
        self.mfa_store = mfa_store_for(self.options, user_store, mfa_store)  # None unless a second factor is on
        self.clock = clock
        if self.options.mail_flows and mailer is None:
            raise ValueError("frappyauth's mail flows need a mailer: register_endpoints(..., mailer=SmtpMailer(...)).")
        self.mailer = mailer
        self.mail_token_store = mail_token_store if mail_token_store is not None else MemoryMailTokenStore()
        self._unauthorized: UnauthorizedHandler | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register every endpoint under `api_prefix` on `app`, and keep its state in `app.extensions`.

        Raises `RuntimeError` when frappyauth is already set up on this app. Only request hooks, the
        blueprint's own error handlers and a handler for frappyauth's own errors are added: the app's
        error handlers (for 404, `HTTPException`, ...) keep working whether registered before or after.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("frappyauth is already set up on this app (register_endpoints, FrappyAuth(app) "
                               "or init_app was called before).")
        runtime = Runtime(users=self.user_store, sessions=self.token_store, api_keys=self.api_key_store,
                          options=self.options, hasher=PasswordHasher(self.options.bcrypt_cost), clock=self.clock,
                          sender=app, mfa=self.mfa_store)
        accounts = Accounts(runtime)
        mail = self._mail_flows(app, runtime, accounts)
        mfa, passkeys = build_mfa(runtime, app.secret_key)  # ValueError without a key to seal TOTP secrets with
        app.extensions[EXTENSION_KEY] = AuthState(runtime, Authenticator(runtime, mfa), accounts,
                                                  api_keys=ApiKeys(runtime), mail=mail, mfa=mfa, passkeys=passkeys)
        app.register_blueprint(build_blueprint(self.options))
        if self.options.console:
            app.register_blueprint(build_console_blueprint(self.options))
        answer_routing_errors(app, self.options)
        app.register_error_handler(FrappyAuthError, self._render_app_route_error)
        app.cli.add_command(cli)

    def _mail_flows(self, app: Flask, runtime: Runtime, accounts: Accounts) -> MailFlows | None:
        """The mail flows when an option asks for one, else `None` (and no `email-validator` needed)."""
        if not self.options.mail_flows or self.mailer is None:
            return None
        try:
            from frappyauth.core.mail_flows import build_mail_flows
        except ImportError as missing:
            raise RuntimeError("frappyauth's mail flows need the [mail] extra: pip install 'frappyauth[mail]'.") \
                from missing
        return build_mail_flows(runtime, accounts, self.mail_token_store, self.mailer, TemplateComposer(app))

    def unauthorized_handler(self, handler: UnauthorizedHandler) -> UnauthorizedHandler:
        """Decorator: shape the 401 and 403 answers of the app's own routes (`check_login_state`,
        `login_required`); frappyauth's endpoints keep their JSON answers.

        `handler(error)` gets the `AuthenticationError` (401) or `PermissionDeniedError` (403), with
        `status`, `code` and `message`, and returns any Flask response value (a redirect to a login page...).
        """
        self._unauthorized = handler
        return handler

    def _render_app_route_error(self, error: FrappyAuthError) -> ResponseReturnValue:
        # The blueprint's own handler answers errors of frappyauth's endpoints first; this sees the app's routes.
        if self._unauthorized is not None and isinstance(error, (AuthenticationError, PermissionDeniedError)):
            return self._unauthorized(error)
        return render_error(error)


def register_endpoints(app: Flask, user_store: UserStore, token_store: SessionStore | None = None,
                       options_override: Mapping[str, Any] | None = None, *, api_key_store: ApiKeyStore | None = None,
                       clock: Callable[[], datetime] = utc_now, mailer: Mailer | None = None,
                       mail_token_store: MailTokenStore | None = None, mfa_store: MfaStore | None = None) -> FrappyAuth:
    """frappyflaskauth's one call: `FrappyAuth(app, user_store, token_store, options_override)`.

    Without a token store, sessions live in this process (and end with it); for the API-key store see
    `FrappyAuth`. Raises `ValueError` for an unknown or badly typed option, `RuntimeError` when called twice
    on one app. `clock` is for tests; `mailer` and `mail_token_store` serve the mail flows (see `FrappyAuth`).
    Returns the extension, on which `unauthorized_handler` can be set.
    """
    return FrappyAuth(app, user_store, token_store, options_override, api_key_store=api_key_store, clock=clock,
                      mailer=mailer, mail_token_store=mail_token_store, mfa_store=mfa_store)


def check_login_state(permission: str | list[str] | None = None, allow_api_key: bool = False) -> User:
    """Return the user of the current request, or raise: 401 without valid credentials, 403 without
    every permission in `permission` (a string or a list of strings), or for an API key where
    `allow_api_key` is False. Raises `RuntimeError` outside a request of an app with frappyauth.

    For an API key, the permissions checked (and those of the returned user) are the key's effective
    rights: its scopes that its owner holds now."""
    if permission is None:  # the common case, on every request: no list to build, no permission to check
        return request_identity(allow_api_key).user
    required = [permission] if isinstance(permission, str) else list(permission)
    return authorize(required, allow_api_key).user


def login_required(permission: str | list[str] | None = None, allow_api_key: bool = False) -> Callable[[F], F]:
    """Decorator form of `check_login_state`; the view finds the user in `current_user`."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check_login_state(permission, allow_api_key)
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def initial_user_check(app: Flask, username: str, password: str) -> User | None:
    """Create a user with the admin permission only if there are no users yet (frappymongouser's
    `initial_local_user_check`); return it, or `None` when users exist."""
    with app.app_context():
        return current_state().accounts.create_initial_admin(username, password)


def _default_api_key_store(user_store: UserStore) -> ApiKeyStore:
    """The user store's companion key store, so that every worker sharing the users shares their keys."""
    companion = getattr(user_store, "api_key_store", None)
    return companion() if callable(companion) else MemoryApiKeyStore()


def _check_store(role: str, store: object, protocol: type, expected: str) -> None:
    """Refuse at registration what would fail at the first login (a user store passed as the token store)."""
    missing = [name for name in _protocol_methods(protocol) if not callable(getattr(store, name, None))]
    if missing:
        raise TypeError(f"frappyauth: {expected} must be a {protocol.__name__}, but the {type(store).__name__} "
                        f"given as the {role} lacks {', '.join(missing)}. Were the user store and the session "
                        "store swapped or passed twice?")


@functools.cache
def _protocol_methods(protocol: type) -> tuple[str, ...]:
    return tuple(name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_"))
