"""`current_user`: the current request's user as a proxy (Flask-Login's habit), callable like
0.x's function."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from werkzeug.local import LocalProxy

from frappyauth.core.errors import AuthenticationError, PermissionDeniedError
from frappyauth.core.models import User
from frappyauth.web.guard import cached_identity, request_identity
from frappyauth.web.state import current_state

ANONYMOUS_KEY = (
    "_frappyauth_anonymous"  # the attribute of `g` remembering that this request has no user
)


def load_current_user() -> User | None:
    """The user whose session came with this request, or `None`.

    A user that a `check_login_state` accepted earlier in the request (by session, or by API key
    where it allowed one) is that user. Otherwise the request's session is looked up once: missing,
    invalid or expired credentials, an API key (accepted only where a check allows it) and a cookie
    sent with a write from a foreign origin are all `None`, the anonymous user. Store outages still
    raise.
    """
    current_state()  # a clear RuntimeError outside an app with frappyauth
    if not has_request_context():
        raise RuntimeError(
            "frappyauth's current_user was used outside a request: it names the user of the "
            "current request, and there is none."
        )
    identity = cached_identity()
    if identity is not None:
        return identity.user
    if g.get(ANONYMOUS_KEY):
        return None
    try:
        return request_identity(allow_api_key=False).user
    except (AuthenticationError, PermissionDeniedError):
        setattr(g, ANONYMOUS_KEY, True)
        return None


class CurrentUserProxy(LocalProxy):
    """Proxies the current request's `User`, or `None` (test it with `if current_user:`; `is None`
    tests the proxy itself, which is never `None`). Calling it, `current_user()`, returns the
    same `User | None` unproxied: the function form of frappyauth 0.x keeps working."""

    def __call__(self, *args: Any, **kwargs: Any) -> User | None:
        if args or kwargs:
            raise TypeError("current_user() takes no arguments.")
        return load_current_user()


current_user: Any = CurrentUserProxy(load_current_user)
