"""Refusing cross-site writes that ride on the session cookie.

A browser attaches the cookie to requests other sites make; it does not let them set the
`Authorization` header. So a request authenticated by the cookie that changes state must come from
this host (or an allowed origin), as its `Origin` (or, failing that, `Referer`) says. SameSite=Lax and
JSON-only bodies are the first two layers; this is the third.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from frappyauth.core.errors import CrossSiteRequestError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_same_origin(allowed_origins: tuple[str, ...]) -> None:
    """Raise `CrossSiteRequestError` for a state-changing request from a foreign or unknown origin."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin") or _origin_of(request.headers.get("Referer"))
    own = f"{request.scheme}://{request.host}"
    if origin is None or origin.rstrip("/") not in (own, *allowed_origins):
        raise CrossSiteRequestError()


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
