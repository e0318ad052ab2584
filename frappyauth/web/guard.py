"""The request guard: who the current request is (looked up once per request), and whether it may
act.

This is every authenticated request's path, so it reaches Flask's contexts once each: the app
context (the app's state and `g`) and the request context, read from Flask's own context variables
where it has them (one C call each) rather than through a context-local proxy per use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask import request
from flask.ctx import AppContext, RequestContext
from flask.globals import app_ctx, request_ctx
from werkzeug.local import LocalProxy

from frappyauth.core.authorization import check_permissions, refuse_api_key
from frappyauth.core.errors import AuthenticationError
from frappyauth.core.models import Actor, Identity
from frappyauth.web.credentials import API_KEY, COOKIE, IDENTITY_KEY, request_credential
from frappyauth.web.csrf import check_same_origin
from frappyauth.web.state import EXTENSION_KEY, NOT_SET_UP, OUTSIDE_CONTEXT

NO_REQUEST = (
    "frappyauth's check needs a request: call it inside one (`app.test_request_context()`)."
)
NOT_IN_CONTEXT = (LookupError, RuntimeError)  # what the getters below raise outside a context
# The current contexts themselves. Flask 3 keeps them in context variables; their `get` is one C
# call, the proxies' `_get_current_object` (the fallback for a Flask without them) a Python call and
# a C call.
app_context: Callable[[], AppContext]
request_context: Callable[[], RequestContext]
try:
    from flask.globals import _cv_app, _cv_request

    app_context, request_context = _cv_app.get, _cv_request.get
except ImportError:  # pragma: no cover -- a Flask that has renamed them
    app_context = cast("LocalProxy[AppContext]", app_ctx)._get_current_object
    request_context = cast("LocalProxy[RequestContext]", request_ctx)._get_current_object


def request_identity(allow_api_key: bool, enrolment_exempt: bool = False) -> Identity:
    """Who the current request is, looked up once per request; raise 401 or 403 errors otherwise.

    A user who must enrol in a second factor (option `require_mfa_for`) and has not yet gets 403
    `mfa_enrolment_required` everywhere but on endpoints that are `enrolment_exempt` (those that
    serve enrolment, sign-out and the user's own record).

    Raises `RuntimeError` outside a request of an app that called `register_endpoints`. An API key
    is refused where `allow_api_key` is False before it is looked up, and again when an earlier
    check of the request allowed it.
    """
    try:
        context = app_context()
    except NOT_IN_CONTEXT:
        raise RuntimeError(OUTSIDE_CONTEXT) from None
    state = context.app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(NOT_SET_UP)
    cache = (
        context.g.__dict__
    )  # what `g.get` and `setattr(g, ...)` read and write, without their two calls
    identity = cache.get(IDENTITY_KEY)
    if identity is None:
        try:
            credential = request_credential(request_context().request)
        except NOT_IN_CONTEXT:
            raise RuntimeError(NO_REQUEST) from None
        if credential is None:
            raise AuthenticationError()
        kind, secret = credential
        services = state.services
        if kind == API_KEY:
            if not allow_api_key:  # before any lookup
                refuse_api_key()
            identity = services.api_keys.identify(secret)
        else:
            if kind == COOKIE:
                check_same_origin(services.options.allowed_origins)
            identity = services.sessions.identify(secret)
            if identity.session.impersonator_id is not None:  # sessions.identify: always one
                _check_impersonation(state.impersonation_check, identity)
        # Before caching: a refused user is nobody to later reads.
        if state.enrolment_check is not None and not enrolment_exempt:
            state.enrolment_check(identity)
        cache[IDENTITY_KEY] = identity
        return identity
    if identity.session is None and not allow_api_key:  # an earlier check may have allowed a key
        refuse_api_key()
    if state.enrolment_check is not None and not enrolment_exempt:
        state.enrolment_check(identity)
    return identity


def _check_impersonation(check: Callable[[Identity], None] | None, identity: Identity) -> None:
    """Every request of an impersonation session passes here once: recorded, and refused unless
    its endpoint is open to impersonation. With the option off, such a session is nobody."""
    if check is None:
        raise AuthenticationError("The session is invalid or has expired.")
    check(identity)


def cached_identity() -> Identity | None:
    """The identity an earlier check accepted in this request, if any; `RuntimeError` outside a
    context."""
    try:
        return app_context().g.get(IDENTITY_KEY)
    except NOT_IN_CONTEXT:
        raise RuntimeError(OUTSIDE_CONTEXT) from None


def authorize(permissions: list[str], allow_api_key: bool) -> Identity:
    """The current request's identity if it holds every one of `permissions`; 401 or 403 errors
    otherwise."""
    identity = request_identity(allow_api_key)
    if permissions:
        check_permissions(identity, permissions)
    return identity


def request_actor(identity: Identity | None) -> Actor:
    """Who is asking, from where (and the administrator, through an impersonation session): for
    the log, the signals and the audit trail."""
    if identity is None:
        return Actor(None, request.remote_addr)
    session = identity.session
    return Actor(
        identity.user.id,
        request.remote_addr,
        session.impersonator_id if session is not None else None,
    )
