"""Finding a request's credential: a session token (header or cookie) or an API key (`Token <key>`)."""
from __future__ import annotations

from typing import Literal

from flask import Request

from frappyauth.core.errors import AuthenticationError

COOKIE_NAME = "Authorization"  # frappyflaskauth's cookie, read by frappy-react-authentication
MAX_CREDENTIAL_LENGTH = 512  # ours are 43 characters; anything this long is not one of them

# What a credential is. A plain (kind, secret) tuple: it is built on every request, a class would cost more.
Kind = Literal["token", "cookie", "key"]
TOKEN: Kind = "token"  # a session token in the header
COOKIE: Kind = "cookie"  # a session token in the cookie: state-changing requests must pass the origin check
API_KEY: Kind = "key"


def request_credential(request: Request) -> tuple[Kind, str] | None:
    """The credential of `request` as (kind, secret), or `None`. Never read from the query string.

    Header forms: `<token>` (frappyflaskauth's raw form), `Bearer <token>`, `Token <api key>`.
    The header wins over the cookie. Raises `AuthenticationError` for a malformed one.
    """
    # The environ's value is the header's (what `request.headers` would build a mapping to find).
    header = request.environ.get("HTTP_AUTHORIZATION")
    if header and (header := header.strip()):
        scheme, _, rest = header.partition(" ")
        if rest:
            return _with_scheme(scheme.lower(), rest.strip())
        if len(scheme) > MAX_CREDENTIAL_LENGTH or not scheme.isprintable():  # `_checked`, inline: every request
            raise AuthenticationError("The credential is malformed.")
        return TOKEN, scheme
    cookie = request.cookies.get(COOKIE_NAME)
    return (COOKIE, _checked(cookie)) if cookie else None


def _with_scheme(scheme: str, secret: str) -> tuple[Kind, str]:
    if scheme == "bearer":
        return TOKEN, _checked(secret)
    if scheme == "token":
        return API_KEY, _checked(secret)
    raise AuthenticationError("The Authorization header has an unknown scheme.")


def _checked(secret: str) -> str:
    if len(secret) > MAX_CREDENTIAL_LENGTH or not secret.isprintable():
        raise AuthenticationError("The credential is malformed.")
    return secret
