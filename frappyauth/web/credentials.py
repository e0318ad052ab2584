"""Finding a request's credential: a session token (header or cookie) or an API key (`Token <key>`)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request

from frappyauth.core.errors import AuthenticationError

COOKIE_NAME = "Authorization"  # frappyflaskauth's cookie, read by frappy-react-authentication
MAX_CREDENTIAL_LENGTH = 512  # ours are 43 characters; anything this long is not one of them


@dataclass(slots=True)  # not frozen: built on every request, and frozen dataclasses build 3x slower
class Credential:
    secret: str
    is_api_key: bool = False
    from_cookie: bool = False


def request_credential() -> Credential | None:
    """The credential of the current request, or `None`. Never read from the query string.

    Header forms: `<token>` (frappyflaskauth's raw form), `Bearer <token>`, `Token <api key>`.
    The header wins over the cookie.
    """
    header = request.headers.get("Authorization")
    if header is not None and header.strip():
        return _parse_header(header.strip())
    cookie = request.cookies.get(COOKIE_NAME)
    return Credential(_checked(cookie), from_cookie=True) if cookie else None


def _parse_header(header: str) -> Credential:
    scheme, _, rest = header.partition(" ")
    if not rest:
        return Credential(_checked(scheme))
    if scheme.lower() == "bearer":
        return Credential(_checked(rest.strip()))
    if scheme.lower() == "token":
        return Credential(_checked(rest.strip()), is_api_key=True)
    raise AuthenticationError("The Authorization header has an unknown scheme.")


def _checked(secret: str) -> str:
    if len(secret) > MAX_CREDENTIAL_LENGTH or not secret.isprintable():
        raise AuthenticationError("The credential is malformed.")
    return secret
