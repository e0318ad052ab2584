"""The request guard: who the current request is (looked up once per request), and whether it may act.

This is every authenticated request's path, so it reaches Flask's contexts once each: the app context (the
app's state and `g`) and the request context, not through a context-local proxy per use (each costs about
a microsecond).
"""
from __future__ import annotations

from typing import cast

from flask import request
from flask.ctx import AppContext, RequestContext
from flask.globals import app_ctx, request_ctx
from werkzeug.local import LocalProxy

from frappyauth.core.authorization import check_api_key_allowed, check_permissions
from frappyauth.core.errors import AuthenticationError
from frappyauth.core.models import Actor, Identity
from frappyauth.web.credentials import API_KEY, COOKIE, request_credential
from frappyauth.web.csrf import check_same_origin
from frappyauth.web.state import EXTENSION_KEY, NOT_SET_UP, OUTSIDE_CONTEXT

IDENTITY_KEY = "_frappyauth_identity"  # the attribute of `g` holding the current request's identity
# The current contexts themselves (each raises `RuntimeError` outside one); Flask types its proxies as the objects.
app_context = cast("LocalProxy[AppContext]", app_ctx)._get_current_object
request_context = cast("LocalProxy[RequestContext]", request_ctx)._get_current_object


def request_identity(allow_api_key: bool, enrolling: bool = False) -> Identity:
    """Who the current request is, looked up once per request; raise 401 or 403 errors otherwise.

    A user who must enrol in a second factor (option `require_mfa_for`) and has not yet gets 403
    `mfa_enrolment_required` everywhere but where `enrolling` says the endpoint serves enrolment.

    Raises `RuntimeError` outside a request of an app that called `register_endpoints`. An API key is
    refused where `allow_api_key` is False before it is looked up, and again when an earlier check of the
    request allowed it.
    """
    try:
        context = app_context()
    except RuntimeError:
        raise RuntimeError(OUTSIDE_CONTEXT) from None
    state = context.app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(NOT_SET_UP)
    cache = context.g.__dict__  # what `g.get` and `setattr(g, ...)` read and write, without their two calls
    identity = cache.get(IDENTITY_KEY)
    if identity is None:
        credential = request_credential(request_context().request)
        if credential is None:
            raise AuthenticationError()
        kind, secret = credential
        if kind == API_KEY:
            check_api_key_allowed(True, allow_api_key)  # before any lookup
            identity = state.authenticator.identify_api_key(secret)
        else:
            if kind == COOKIE:
                check_same_origin(state.runtime.options.allowed_origins)
            identity = state.authenticator.identify_token(secret)
        if state.mfa is not None and not enrolling:  # before caching: a refused user is nobody to later reads
            state.mfa.check_enrolled(identity)
        cache[IDENTITY_KEY] = identity
        return identity
    if identity.session is None:  # an earlier check of this request may have allowed a key
        check_api_key_allowed(True, allow_api_key)
    if state.mfa is not None and not enrolling:
        state.mfa.check_enrolled(identity)
    return identity


def cached_identity() -> Identity | None:
    """The identity an earlier check accepted in this request, if any; `RuntimeError` outside a context."""
    return app_context().g.get(IDENTITY_KEY)


def authorize(permissions: list[str], allow_api_key: bool) -> Identity:
    """The current request's identity if it holds every one of `permissions`; 401 or 403 errors otherwise."""
    identity = request_identity(allow_api_key)
    if permissions:
        check_permissions(identity, permissions)
    return identity


def request_actor(identity: Identity | None) -> Actor:
    """Who is asking, from where: for the log and the signals."""
    return Actor(identity.user.id if identity is not None else None, request.remote_addr)
