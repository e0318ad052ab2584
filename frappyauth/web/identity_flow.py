"""The browser's half of an identity provider flow: a short-lived signed cookie, and where the
browser may be sent.

The cookie binds the flow to the browser that started it. From the start to the callback it names
the provider, the `state`, the redirect URI and where to go next; from the callback to the exchange
it names the hash of the one-time code, so that a code made in another browser is refused (a login
CSRF: an attacker's code planted in a victim's URL would sign the victim in to the attacker's
account). It holds no secret a URL does not already carry: the PKCE verifier and the nonce are
derived from the `state` with the app's key (`derived_secret`), never stored. It is HttpOnly,
signed with the app's `secret_key` (itsdangerous, as Flask's session), scoped to the `sso` paths,
and `SameSite=Lax`: the provider's redirect back is a top-level navigation, which Lax lets it ride
on. The `state` is also stored hashed and single use on the server (`IdentityFlows.begin_flow`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response  # a redirect's type as much as a JSON answer's

from frappyauth.core.errors import BadRequestError, InvalidTokenError, ProviderRefusedError
from frappyauth.core.identity_flows import CODE_LIFETIME, FLOW_LIFETIME
from frappyauth.core.minting import hash_secret
from frappyauth.core.options import Options, normal_origin
from frappyauth.web.responses import is_secure_cookie

COOKIE = "frappyauth_sso"
SALT = "frappyauth.identity-flow"
MAX_NEXT_LENGTH = 2000
# A path of this site: one "/" and then neither "/" nor "\" (browsers read "//host", "/\host" and
# "///host" as another host), only printable ASCII without spaces (browsers drop tabs and newlines,
# which could join a "/" to a following "/").
SITE_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=SALT)


def _path(options: Options) -> str:
    return f"{options.api_prefix}/sso/"


def derived_secret(state: str, purpose: str) -> str:
    """A flow's PKCE verifier or nonce: the state, keyed with the app's secret key (43+ characters
    of base64url, as RFC 7636 asks of a verifier). Whoever sees the state (it travels in URLs)
    cannot compute it (64 hex characters: RFC 7636 asks a verifier for 43 to 128)."""
    key = current_app.secret_key or b""
    key = key.encode() if isinstance(key, str) else bytes(key)
    return hmac.new(key, f"{purpose}\x00{state}".encode(), hashlib.sha256).hexdigest()


def _set(response: Response, value: dict[str, Any], seconds: int, options: Options) -> None:
    response.set_cookie(
        COOKIE,
        _serializer().dumps(value),
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=is_secure_cookie(options),
        path=_path(options),
    )


def _read(seconds: int) -> dict[str, Any] | None:
    try:
        value = _serializer().loads(request.cookies.get(COOKIE, ""), max_age=seconds)
    except BadData:
        return None
    return value if isinstance(value, dict) else None


def remember_flow(response: Response, flow: dict[str, Any], options: Options) -> None:
    _set(response, flow, int(FLOW_LIFETIME.total_seconds()), options)


def recalled_flow(provider: str) -> dict[str, Any]:
    """The flow this browser started with `provider`, if its cookie is intact and young, and the
    answer's `state` is the flow's; else `ProviderRefusedError(reason="invalid_state")`."""
    flow = _read(int(FLOW_LIFETIME.total_seconds()))
    if (
        flow is None
        or flow.get("provider") != provider
        or not isinstance(flow.get("state"), str)
        or request.args.get("state") != flow["state"]
    ):
        raise ProviderRefusedError(
            "This sign-in was not started here; retry.", reason="invalid_state"
        )
    return flow


def remember_code(response: Response, code: str, options: Options) -> None:
    """After the callback: only this browser may exchange the code."""
    _set(response, {"code": hash_secret(code)}, int(CODE_LIFETIME.total_seconds()), options)


def check_code_is_this_browsers(code: str) -> None:
    """`InvalidTokenError` unless this browser ran the flow that made `code`."""
    held = _read(int(CODE_LIFETIME.total_seconds()))
    if held is None or not hmac.compare_digest(str(held.get("code")), hash_secret(code)):
        raise InvalidTokenError()


def forget_flow(response: Response, options: Options) -> None:
    response.delete_cookie(
        COOKIE, httponly=True, samesite="Lax", secure=is_secure_cookie(options), path=_path(options)
    )


def safe_next(next_path: str | None, options: Options) -> str | None:
    """`next` if it is a path of this site or a URL of an allowed origin (no open redirect); a 400
    otherwise."""
    if not next_path:
        return None
    if len(next_path) <= MAX_NEXT_LENGTH:
        if SITE_PATH.fullmatch(next_path):
            return next_path
        origin = normal_origin("/".join(next_path.split("/", 3)[:3]))
        if origin is not None and origin in options.allowed_origins and _is_plain(next_path):
            return next_path
    raise BadRequestError("next must be a path on this site or a URL of an allowed origin.")


def _is_plain(url: str) -> bool:
    return bool(re.fullmatch(r"https?://[\x21-\x7e]+", url)) and "\\" not in url


def target(next_path: str | None, outcome: dict[str, str], options: Options) -> str:
    """Where the callback sends the browser: `next`, else `frontend_url` (action `sso`), else the
    site's root; the outcome appended to its query, by string (never re-parsed into another URL).
    """
    if next_path is None and options.frontend_url is not None:
        next_path = options.frontend_url.replace("{action}", "sso").replace("{token}", "")
    base = next_path or "/"
    base, hash_mark, fragment = base.partition("#")
    joiner = "&" if "?" in base else "?"
    query = urlencode(outcome)
    return f"{base}{joiner}{query}{hash_mark}{fragment}"
