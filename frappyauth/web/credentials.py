"""Finding a request's credential: a session token (header or cookie) or an API key (`Token
<key>`, or `Bearer <key>` for a key of our `fak_<id>_<secret>` form)."""

from __future__ import annotations

import re
from typing import Literal

from flask import Request

from frappyauth.core.errors import AuthenticationError
from frappyauth.core.minting import API_KEY_PREFIX

COOKIE_NAME = "Authorization"  # frappyflaskauth's cookie, read by frappy-react-authentication
IDENTITY_KEY = "_frappyauth_identity"  # the attribute of `g` holding the current request's identity
MAX_CREDENTIAL_LENGTH = 512  # ours are 43 characters; anything this long is not one of them

# What a credential is. A plain (kind, secret) tuple: it is built on every request, a class would
# cost more.
Kind = Literal["token", "cookie", "key"]
TOKEN: Kind = "token"  # a session token in the header
COOKIE: Kind = (
    "cookie"  # a session token in the cookie: state-changing requests must pass the origin check
)
API_KEY: Kind = "key"
SCHEMES: dict[str, Kind] = {"bearer": TOKEN, "token": API_KEY}
# The start of every key `minting.new_api_key` makes: the prefix, a 16-hex-digit id, `_`. A session
# token (43 random URL-safe characters) starts so with a chance of 2**-62, so a header token of this
# form is a key sent with `Bearer` (what most HTTP clients send) rather than `Token`.
PREFIX_LENGTH = len(API_KEY_PREFIX)
API_KEY_FORM = re.compile(re.escape(API_KEY_PREFIX) + "[0-9a-f]{16}_")


def request_credential(request: Request) -> tuple[Kind, str] | None:
    """The credential of `request` as (kind, secret), or `None`. Never read from the query string.

    Header forms: `<token>` (frappyflaskauth's raw form), `Bearer <token>`, `Token <api key>`; an
    API key of our form is a key in the two token forms too (see `API_KEY_FORM`). The header wins
    over the cookie. Raises `AuthenticationError` for a malformed one.
    """
    # The environ's value is the header's (what `request.headers` would build a mapping to find).
    header = request.environ.get("HTTP_AUTHORIZATION")
    if header and (header := header.strip()):
        scheme, _, secret = header.partition(" ")
        kind: Kind
        if secret:  # `Bearer <token>` or `Token <key>`; the scheme's case does not matter
            found = SCHEMES.get(scheme.lower())
            if found is None:
                raise AuthenticationError("The Authorization header has an unknown scheme.")
            kind, secret = found, secret.strip()
        else:
            kind, secret = TOKEN, scheme
        # A slice and a comparison, no call, on every session request; the match only for a key.
        if (
            kind is TOKEN
            and secret[:PREFIX_LENGTH] == API_KEY_PREFIX
            and API_KEY_FORM.match(secret)
        ):
            kind = API_KEY
        # `_checked`, inline: this runs on every request.
        if len(secret) > MAX_CREDENTIAL_LENGTH or not secret.isprintable():
            raise AuthenticationError("The credential is malformed.")
        return kind, secret
    cookie = request.cookies.get(COOKIE_NAME)
    return (COOKIE, _checked(cookie)) if cookie else None


def _checked(secret: str) -> str:
    if len(secret) > MAX_CREDENTIAL_LENGTH or not secret.isprintable():
        raise AuthenticationError("The credential is malformed.")
    return secret
