"""Refusing cross-site writes that ride on the session cookie.

A browser attaches the cookie to requests other sites make; it does not let them set the
`Authorization` header. So a request authenticated by the cookie that changes state must come from
this host (or an allowed origin), as its `Origin` (or, failing that, `Referer`) says. SameSite=Lax
and JSON-only bodies are the first two layers; this is the third.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from frappyauth.core.errors import CrossSiteRequestError
from frappyauth.core.options import normal_origin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_same_origin(allowed_origins: tuple[str, ...]) -> None:
    """Raise `CrossSiteRequestError` for a state-changing request from a foreign or unknown origin.

    `allowed_origins` are normalised (see `options.normal_origin`); so is what the request says, so
    that case and default ports do not matter. `Origin: null` (sandboxed frames, some redirects)
    never matches.
    """
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin") or _origin_of(request.headers.get("Referer"))
    origin = normal_origin(origin) if origin is not None else None
    if origin is None or origin not in (
        normal_origin(f"{request.scheme}://{request.host}"),
        *allowed_origins,
    ):
        raise CrossSiteRequestError()


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
