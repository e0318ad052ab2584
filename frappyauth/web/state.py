"""The per-app state kept in `app.extensions["frappyauth"]`, and finding it from a request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from flask import current_app, has_app_context

from frappyauth.core.models import Identity
from frappyauth.core.services import Services

if TYPE_CHECKING:
    from frappyauth.web.endpoints import Endpoint
    from frappyauth.web.identity_clients import IdentityClients

T = TypeVar("T")
EXTENSION_KEY = "frappyauth"
OUTSIDE_CONTEXT = (
    "frappyauth was used outside a request or app context: call check_login_state() and "
    "current_user inside a request, or wrap the code in `with app.app_context():`."
)
NOT_SET_UP = (
    "frappyauth is not set up on this app: call frappyauth.register_endpoints(app, ...) "
    "(or FrappyAuth(app, ...)) first."
)


@dataclass(frozen=True)
class AuthState:
    """One app's services, and every endpoint declared (on or off: see `Endpoint.off_message`)."""

    services: Services
    endpoints: tuple[Endpoint, ...]
    # The second-factor enrolment rule, or `None` while `require_mfa_for` is empty: checked on every
    # request.
    enrolment_check: Callable[[Identity], None] | None = None
    # Authlib's clients of the identity providers, or `None` while option `identity_providers` is
    # empty.
    identity_clients: IdentityClients | None = None
    # What an impersonation session may do, and the record of each of its requests (see
    # `impersonation_views.impersonation_guard`); `None` while `impersonation` is off, and then such
    # a session is nobody.
    impersonation_check: Callable[[Identity], None] | None = None


def switched_on(service: T | None) -> T:
    """A service that the option of the calling endpoint turns on: endpoints are registered only
    with their option on (see `Endpoint.off_message`), so `None` here is a bug, not a client's
    error."""
    if service is None:
        raise RuntimeError("frappyauth: an endpoint was registered without the option it needs.")
    return service


def current_state() -> AuthState:
    """This app's state; `RuntimeError` outside an app context or on an app without frappyauth."""
    if not has_app_context():
        raise RuntimeError(OUTSIDE_CONTEXT)
    state = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(NOT_SET_UP)
    return state
