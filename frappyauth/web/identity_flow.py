"""The browser's half of an identity provider flow: a short-lived signed cookie holding what the
callback needs (the provider, the `state`, the PKCE verifier, the nonce, where to go next).

The cookie binds the flow to the browser that started it: a callback URL opened in another browser
(a login CSRF, a stolen answer) has no cookie and is refused. It is HttpOnly, signed with the app's
`secret_key` (itsdangerous, as Flask's session), scoped to the `sso` paths, and `SameSite=Lax`:
the provider's redirect back is a top-level navigation, which Lax lets it ride on. The `state` is
also stored hashed and single use on the server (`Federation.begin_flow`), so a replay with the
cookie fails too.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from werkzeug.wrappers import Response  # a redirect's type as much as a JSON answer's
from itsdangerous import BadData, URLSafeTimedSerializer

from frappyauth.core.errors import ProviderRefusedError
from frappyauth.core.identity_flows import FLOW_LIFETIME
from frappyauth.core.options import Options
from frappyauth.web.responses import is_secure_cookie

COOKIE = "frappyauth_sso"
SALT = "frappyauth.identity-flow"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=SALT)


def _path(options: Options) -> str:
    return f"{options.api_prefix}/sso/"


def remember_flow(response: Response, flow: dict[str, Any], options: Options) -> None:
    response.set_cookie(
        COOKIE,
        _serializer().dumps(flow),
        max_age=int(FLOW_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=is_secure_cookie(options),
        path=_path(options),
    )


def recalled_flow(provider: str) -> dict[str, Any]:
    """The flow this browser started with `provider`, if its cookie is intact and young, and the
    answer's `state` is the flow's; else `ProviderRefusedError(reason="invalid_state")`."""
    try:
        flow = _serializer().loads(
            request.cookies.get(COOKIE, ""), max_age=int(FLOW_LIFETIME.total_seconds())
        )
    except BadData:
        flow = None
    if (
        not isinstance(flow, dict)
        or flow.get("provider") != provider
        or not isinstance(flow.get("state"), str)
        or request.args.get("state") != flow["state"]
    ):
        raise ProviderRefusedError(
            "This sign-in was not started here; retry.", reason="invalid_state"
        )
    return flow


def forget_flow(response: Response, options: Options) -> None:
    response.delete_cookie(
        COOKIE, httponly=True, samesite="Lax", secure=is_secure_cookie(options), path=_path(options)
    )
