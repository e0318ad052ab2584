"""The per-app state kept in `app.extensions["frappyauth"]`, and finding it and the request's identity."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from frappyauth.accounts import Accounts
from frappyauth.authentication import Authenticator
from frappyauth.context import AuthContext, Identity
from frappyauth.credentials import request_credential
from frappyauth.csrf import check_same_origin
from frappyauth.errors import AuthenticationError, PermissionDeniedError

EXTENSION_KEY = "frappyauth"
IDENTITY_KEY = "_frappyauth_identity"  # the attribute of `g` holding the current request's identity


@dataclass(frozen=True)
class AuthState:
    context: AuthContext
    authenticator: Authenticator
    accounts: Accounts


def current_state() -> AuthState:
    try:
        state = current_app.extensions.get(EXTENSION_KEY)
    except RuntimeError:  # outside an app context
        state = None
    if state is None:
        raise RuntimeError("frappyauth is not set up here: call frappyauth.register_endpoints(app, ...) first, "
                           "and use it inside a request of that app.")
    return state


def request_identity(allow_api_key: bool) -> Identity:
    """Who the current request is, looked up once per request; raise 401 or 403 errors otherwise.

    Raises `RuntimeError` outside a request of an app that called `register_endpoints`. This is every
    authenticated request's path: each context-local lookup here costs about a microsecond.
    """
    state = current_state()
    identity = cached_identity()
    if identity is None:
        credential = request_credential()
        if credential is None:
            raise AuthenticationError()
        if credential.is_api_key and not allow_api_key:
            raise PermissionDeniedError("API keys are not accepted here.")
        if credential.from_cookie:
            check_same_origin(state.context.options.allowed_origins)
        authenticator = state.authenticator
        identity = (authenticator.identify_api_key(credential.secret) if credential.is_api_key
                    else authenticator.identify_token(credential.secret))
        setattr(g, IDENTITY_KEY, identity)
    if identity.via_api_key and not allow_api_key:
        raise PermissionDeniedError("API keys are not accepted here.")
    return identity


def cached_identity() -> Identity | None:
    """The identity an earlier check accepted in this request, if any."""
    return g.get(IDENTITY_KEY)


def authorize(permissions: list[str], allow_api_key: bool) -> Identity:
    """The current request's identity if it holds every one of `permissions`; 401 or 403 errors otherwise."""
    identity = request_identity(allow_api_key)
    if permissions and not identity.user.has_permissions(*permissions):
        raise PermissionDeniedError("You do not have the permission this needs.")
    return identity
