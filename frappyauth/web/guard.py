"""The request guard: who the current request is (looked up once per request), and whether it may act."""
from __future__ import annotations

from flask import g, request

from frappyauth.core.authorization import check_api_key_allowed, check_permissions
from frappyauth.core.errors import AuthenticationError
from frappyauth.core.models import Actor, Identity
from frappyauth.web.credentials import request_credential
from frappyauth.web.csrf import check_same_origin
from frappyauth.web.state import current_state

IDENTITY_KEY = "_frappyauth_identity"  # the attribute of `g` holding the current request's identity


def request_identity(allow_api_key: bool, enrolling: bool = False) -> Identity:
    """Who the current request is, looked up once per request; raise 401 or 403 errors otherwise.

    A user who must enrol in a second factor (option `require_mfa_for`) and has not yet gets 403
    `mfa_enrolment_required` everywhere but where `enrolling` says the endpoint serves enrolment.

    Raises `RuntimeError` outside a request of an app that called `register_endpoints`. This is every
    authenticated request's path: each context-local lookup here costs about a microsecond.
    """
    state = current_state()
    identity = cached_identity()
    if identity is None:
        credential = request_credential()
        if credential is None:
            raise AuthenticationError()
        check_api_key_allowed(credential.is_api_key, allow_api_key)  # before any lookup
        if credential.from_cookie:
            check_same_origin(state.runtime.options.allowed_origins)
        authenticator = state.authenticator
        identity = (authenticator.identify_api_key(credential.secret) if credential.is_api_key
                    else authenticator.identify_token(credential.secret))
        setattr(g, IDENTITY_KEY, identity)
    check_api_key_allowed(identity.via_api_key, allow_api_key)  # an earlier check may have allowed a key
    if state.mfa is not None and not enrolling:
        state.mfa.check_enrolled(identity.user)
    return identity


def cached_identity() -> Identity | None:
    """The identity an earlier check accepted in this request, if any."""
    return g.get(IDENTITY_KEY)


def authorize(permissions: list[str], allow_api_key: bool) -> Identity:
    """The current request's identity if it holds every one of `permissions`; 401 or 403 errors otherwise."""
    identity = request_identity(allow_api_key)
    check_permissions(identity, permissions)
    return identity


def request_actor(identity: Identity | None) -> Actor:
    """Who is asking, from where: for the log and the signals."""
    return Actor(identity.user.id if identity is not None else None, request.remote_addr)
