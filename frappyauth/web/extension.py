"""The public entry points: `FrappyAuth`/`register_endpoints`, `check_login_state`,
`login_required`,
`current_user`, seeding."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask
from flask.typing import ResponseReturnValue

from frappyauth.core.context import utc_now
from frappyauth.core.errors import AuthenticationError, FrappyAuthError, PermissionDeniedError
from frappyauth.core.mailer import Mailer
from frappyauth.core.models import User
from frappyauth.core.options import Options, build_options
from frappyauth.core.protocols import (
    ApiKeyStore,
    AttemptStore,
    AuditStore,
    DeviceStore,
    IdentityStore,
    RoleStore,
    TrustedDeviceStore,
    MailTokenStore,
    MfaStore,
    SessionStore,
    Stores,
    UserStore,
)
from frappyauth.core.services import MIN_KEY_LENGTH, Services, build_services
from frappyauth.stores.beside import store_beside
from frappyauth.stores.memory import MemorySessionStore, MemoryUserStore
from frappyauth.web import flows
from frappyauth.web.commands import cli
from frappyauth.web.endpoints import build_blueprints
from frappyauth.web.impersonation_views import impersonation_guard
from frappyauth.web.guard import authorize, request_identity
from frappyauth.web.mail_templates import TemplateComposer
from frappyauth.web.responses import render_error
from frappyauth.web.routing import answer_routing_errors
from frappyauth.web.state import EXTENSION_KEY, AuthState, current_state
from frappyauth.web.user_proxy import current_user

if TYPE_CHECKING:  # the `oidc` extra, imported only with option `identity_providers`
    from frappyauth.web.identity_clients import IdentityClients

F = TypeVar("F", bound=Callable[..., Any])
UnauthorizedHandler = Callable[[FrappyAuthError], ResponseReturnValue]

__all__ = [
    "FrappyAuth",
    "check_login_state",
    "current_user",
    "initial_user_check",
    "login_required",
    "register_endpoints",
]


class FrappyAuth:
    """frappyauth for one or more apps: `FrappyAuth(app, stores=mongo_stores(db))`, `FrappyAuth(app,
    user_store, token_store)` (frappyflaskauth's arguments), or without `app` and `init_app(app)`
    later (application factories).

    Stores are resolved once, by one rule: a store given wins; any other comes from beside the user
    store (on its MongoDB database for a Mongo user store, else in this process), and none is built
    for a feature that is off. The one exception is frappyflaskauth's: without a token store,
    sessions live in this process (and end with it). The mail flows (options `registration`,
    `email_verification`, `password_reset`, `email_change`) need a `mailer`.
    Raises `ValueError` for an unknown or badly typed option, `TypeError` for something that is not
    a store.
    """

    def __init__(
        self,
        app: Flask | None = None,
        user_store: UserStore | None = None,
        token_store: SessionStore | None = None,
        options_override: Mapping[str, Any] | None = None,
        *,
        stores: Stores | None = None,
        api_key_store: ApiKeyStore | None = None,
        attempt_store: AttemptStore | None = None,
        clock: Callable[[], datetime] = utc_now,
        mailer: Mailer | None = None,
        mail_token_store: MailTokenStore | None = None,
        mfa_store: MfaStore | None = None,
        audit_store: AuditStore | None = None,
        identity_store: IdentityStore | None = None,
        device_store: DeviceStore | None = None,
        trusted_device_store: TrustedDeviceStore | None = None,
        role_store: RoleStore | None = None,
    ) -> None:
        self.options = build_options(options_override)
        self.stores = (
            stores
            if stores is not None
            else resolve_stores(
                self.options,
                user_store,
                token_store,
                api_key_store=api_key_store,
                attempt_store=attempt_store,
                mail_token_store=mail_token_store,
                mfa_store=mfa_store,
                audit_store=audit_store,
                identity_store=identity_store,
                device_store=device_store,
                trusted_device_store=trusted_device_store,
                role_store=role_store,
            )
        )
        if stores is not None and user_store is not None:
            raise TypeError("FrappyAuth takes `stores` or a user store, not both.")
        self.clock = clock
        if self.options.mail_flows and mailer is None:
            raise ValueError(
                "frappyauth's mail flows need a mailer: register_endpoints(..., "
                "mailer=SmtpMailer(...))."
            )
        self.mailer = mailer
        self._unauthorized: UnauthorizedHandler | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register every endpoint under `api_prefix` on `app`, and keep its state in
        `app.extensions`.

        Raises `RuntimeError` when frappyauth is already set up on this app. Only the blueprints
        (with their own hooks and error handlers), a wrapper of routing errors under the prefix (see
        `routing`) and a handler for frappyauth's own errors are added: the app's
        error handlers (for 404, `HTTPException`, ...) keep working whether registered before or
        after.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "frappyauth is already set up on this app (register_endpoints, FrappyAuth(app) "
                "or init_app was called before)."
            )
        options = self.options
        if options.totp:
            _require_qr_codes()
        services = build_services(
            options,
            self.stores,
            clock=self.clock,
            event_source=app,
            mailer=self.mailer,
            composer=TemplateComposer(app),
            secret_key=app.secret_key,
        )
        endpoints = flows.ALL_ENDPOINTS
        second_factors = services.second_factors
        enrolment_check = (
            second_factors.check_enrolled
            if second_factors is not None and second_factors.required_for
            else None
        )
        app.extensions[EXTENSION_KEY] = AuthState(
            services,
            endpoints,
            enrolment_check,
            identity_clients=_identity_clients(app, services),
            impersonation_check=impersonation_guard(services.impersonation, endpoints),
        )
        for blueprint in build_blueprints(options, endpoints, services.throttle):
            app.register_blueprint(blueprint)
        answer_routing_errors(app, options, endpoints)
        app.register_error_handler(FrappyAuthError, self._render_app_route_error)
        app.cli.add_command(cli)

    def unauthorized_handler(self, handler: UnauthorizedHandler) -> UnauthorizedHandler:
        """Decorator: shape the 401 and 403 answers of the app's own routes (`check_login_state`,
        `login_required`); frappyauth's endpoints keep their JSON answers.

        `handler(error)` gets the `AuthenticationError` (401) or `PermissionDeniedError` (403), with
        `status`, `code` and `message`, and returns any Flask response value (a redirect to a login
        page...).
        """
        self._unauthorized = handler
        return handler

    def _render_app_route_error(self, error: FrappyAuthError) -> ResponseReturnValue:
        # The blueprint's own handler answers errors of frappyauth's endpoints first; this sees the
        # app's routes.
        if self._unauthorized is not None and isinstance(
            error, (AuthenticationError, PermissionDeniedError)
        ):
            return self._unauthorized(error)
        return render_error(error)


def register_endpoints(
    app: Flask,
    user_store: UserStore | None = None,
    token_store: SessionStore | None = None,
    options_override: Mapping[str, Any] | None = None,
    **stores_and_more: Any,
) -> FrappyAuth:
    """frappyflaskauth's one call: `FrappyAuth(app, user_store, token_store, options_override)`.

    Without a token store, sessions live in this process (and end with it); the keyword arguments
    are `FrappyAuth`'s (`stores`, `mailer`, `clock`, ...). Raises `ValueError` for an unknown or
    badly typed option, `RuntimeError` when called twice on one app. Returns the extension, on which
    `unauthorized_handler` can be set.
    """
    return FrappyAuth(app, user_store, token_store, options_override, **stores_and_more)


def check_login_state(
    permission: str | list[str] | None = None, allow_api_key: bool = False
) -> User:
    """Return the user of the current request, or raise: 401 without valid credentials, 403 without
    every permission in `permission` (a string or a list of strings), or for an API key where
    `allow_api_key` is False. Raises `RuntimeError` outside a request of an app with frappyauth.

    For an API key, the permissions checked (and those of the returned user) are the key's effective
    rights: its scopes that its owner holds now."""
    user = request_identity(allow_api_key).user
    # One permission that is held (the common case, on every request) needs nothing more; a list is
    # never `in` the tuple of strings, so it always takes the whole check.
    if permission is not None and permission not in user.permissions:
        authorize([permission] if isinstance(permission, str) else list(permission), allow_api_key)
    return user


def login_required(
    permission: str | list[str] | None = None, allow_api_key: bool = False
) -> Callable[[F], F]:
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
        return current_state().services.accounts.create_initial_admin(username, password)


def resolve_stores(
    options: Options, user_store: UserStore | None, token_store: SessionStore | None, **given: Any
) -> Stores:
    """The stores of an app given store by store (see `FrappyAuth` for the rule)."""
    if user_store is None:
        raise TypeError(
            "FrappyAuth needs a user store, or stores: FrappyAuth(app, stores=memory_stores()), "
            "FrappyAuth(app, MemoryUserStore()), or without `app` and init_app(app) later."
        )
    _check_store("user store", user_store, UserStore, "the user store (first store argument)")
    for name, protocol in (
        ("api_key_store", ApiKeyStore),
        ("attempt_store", AttemptStore),
        ("mail_token_store", MailTokenStore),
        ("mfa_store", MfaStore),
        ("audit_store", AuditStore),
        ("identity_store", IdentityStore),
        ("device_store", DeviceStore),
        ("trusted_device_store", TrustedDeviceStore),
        ("role_store", RoleStore),
    ):
        if given[name] is not None:
            _check_store(name.replace("_", " "), given[name], protocol, f"the {name}")
    if token_store is not None:
        _check_store("token store", token_store, SessionStore, "the session store (token_store)")
    elif not isinstance(user_store, MemoryUserStore):
        warnings.warn(
            f"frappyauth: the user store is {type(user_store).__name__}, but no token store was "
            "given, so sessions live in this process only: a login made through one worker or "
            "instance is unknown to the others. Pass a shared one, e.g. MongoSessionStore(db), or "
            "stores=mongo_stores(db).",
            RuntimeWarning,
            stacklevel=4,
        )

    def pick(name: str, kind: str, needed: bool = True) -> Any:
        given_store = given.get(name)
        if given_store is not None or not needed:
            return given_store
        return store_beside(user_store, kind)

    return Stores(
        users=user_store,
        sessions=token_store if token_store is not None else MemorySessionStore(),
        api_keys=pick("api_key_store", "api_keys"),
        attempts=pick("attempt_store", "attempts"),
        # Identity providers keep their flows' single-use values as mailed tokens are kept.
        mail_tokens=pick(
            "mail_token_store",
            "mail_tokens",
            options.mail_flows or bool(options.identity_providers),
        ),
        mfa=pick("mfa_store", "mfa", options.totp or options.passkeys),
        audit=pick("audit_store", "audit", options.audit_trail),
        identities=pick("identity_store", "identities", bool(options.identity_providers)),
        devices=pick("device_store", "devices", options.new_device_alerts),
        roles=pick("role_store", "roles", options.roles),
        trusted_devices=pick("trusted_device_store", "trusted_devices", options.trusted_devices),
    )


def _identity_clients(app: Flask, services: Services) -> IdentityClients | None:
    """Authlib's clients of the configured identity providers (the `oidc` extra), built once."""
    federation = services.federation
    if federation is None:
        return None
    if not app.secret_key or len(app.secret_key) < MIN_KEY_LENGTH:
        raise ValueError(
            "frappyauth option 'identity_providers' needs app.secret_key (16+ random characters): "
            "it signs the cookie that binds a provider's sign-in to the browser that started it."
        )
    try:
        from frappyauth.web.identity_clients import IdentityClients
    except ImportError as missing:
        raise RuntimeError(
            "frappyauth option 'identity_providers' needs the oidc extra: pip install "
            f"'frappyauth[oidc]' ({missing.name} is missing)."
        ) from None
    return IdentityClients(federation.providers)


def _require_qr_codes() -> None:
    try:
        import segno  # noqa: F401 -- the QR codes of TOTP enrolment, drawn by `totp_views`
    except ImportError:
        raise RuntimeError(
            "frappyauth option 'totp' needs the mfa extra: pip install 'frappyauth[mfa]' "
            "(segno is missing)."
        ) from None


def _check_store(role: str, store: object, protocol: type, expected: str) -> None:
    """Refuse at registration what would fail at the first login (a user store passed as the
    token store)."""
    missing = [
        name for name in _protocol_methods(protocol) if not callable(getattr(store, name, None))
    ]
    if missing:
        raise TypeError(
            f"frappyauth: {expected} must be a {protocol.__name__}, but the {type(store).__name__} "
            f"given as the {role} lacks {', '.join(missing)}. Were the user store and the session "
            "store swapped or passed twice?"
        )


@functools.cache
def _protocol_methods(protocol: type) -> tuple[str, ...]:
    return tuple(
        name
        for name, value in vars(protocol).items()
        if callable(value) and not name.startswith("_")
    )
