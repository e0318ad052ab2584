"""How frappyauth answers: records as JSON, JSON errors, the session cookie."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from frappyauth.web.credentials import COOKIE_NAME
from frappyauth.core.errors import FrappyAuthError, RetryLaterError
from frappyauth.core.models import ApiKey, Session
from frappyauth.core.options import Options
from frappyauth.web.languages import error_message, request_language, words

log = logging.getLogger("frappyauth")


def session_json(session: Session, current: Session | None) -> dict[str, Any]:
    """A session as its owner sees it: its public id and metadata, never its token or the token's
    hash; `impersonated` only on an administrator's impersonation session. Asked from an
    impersonation session (`current`), no browser or address: whoever impersonates (support
    staff, not necessarily an administrator) learns nothing of where the user signs in."""
    watched = current is not None and current.impersonator_id is not None
    body = {
        "id": session.session_id,
        "createdAt": iso_time(session.created_at),
        "lastUsedAt": iso_time(session.last_used_at),
        "expiresAt": iso_time(session.expires_at),
        "userAgent": None if watched else session.user_agent,
        "remoteAddr": None if watched else session.remote_addr,
        "current": current is not None and current.session_id == session.session_id,
    }
    if session.impersonator_id is not None:
        body["impersonated"] = True
    return body


def api_key_json(key: ApiKey) -> dict[str, Any]:
    """An API key as its owner and admins see it: its public id and metadata, never the key or
    its hash."""
    return {
        "id": key.key_id,
        "name": key.name,
        "scopes": None if key.scopes is None else list(key.scopes),
        "createdAt": iso_time(key.created_at),
        "lastUsedAt": None if key.last_used_at is None else iso_time(key.last_used_at),
        "expiresAt": None if key.expires_at is None else iso_time(key.expires_at),
    }


def iso_time(moment: datetime, timespec: str = "seconds") -> str:
    """An instant as answers write it: UTC, `Z`, to the second unless `timespec` says finer."""
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def no_store(response: Response) -> Response:
    """Credentials and user data must not be kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    return response


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    return no_store(response)


def render_error(error: FrappyAuthError) -> Response:
    response = error_response(error.status, error.code, error_message(error))
    if isinstance(error, RetryLaterError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def render_http_error(error: HTTPException) -> Response:
    """Flask's own 404/405/413/415/... as JSON, with a code derived from its name."""
    code = (error.name or "error").lower().replace(" ", "_")
    response = error_response(error.code or 500, code, error.description or error.name)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def render_any(error: Exception) -> Response:
    """Every error raised in frappyauth's views; anything but ours and Flask's is a bug, answered
    500."""
    if isinstance(error, FrappyAuthError):
        return render_error(error)
    if isinstance(error, HTTPException):
        return render_http_error(error)
    log.exception("unexpected error in %s %s", request.method, request.path)
    message = words(request_language(), FrappyAuthError.message)
    return error_response(500, "internal_error", message)


def set_session_cookie(
    response: Response, token: str, options: Options, remember: bool | None = None
) -> None:
    """The session cookie: for `token_expiration` (the seed's); with option `remember_me`, for
    `remember_lifetime` when the client asked to be remembered, else for the browser session."""
    if remember is None:
        max_age: int | None = options.token_expiration
    else:
        max_age = options.remember_lifetime if remember else None
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=is_secure_cookie(options),
        path="/",
    )


def clear_session_cookie(response: Response, options: Options) -> None:
    response.delete_cookie(
        COOKIE_NAME, httponly=True, samesite="Lax", secure=is_secure_cookie(options), path="/"
    )


DEVICE_COOKIE = "frappyauth_device"  # a trusted device's secret (option `trusted_devices`)


def set_device_cookie(response: Response, secret: str, options: Options) -> None:
    """The trusted device's secret: HttpOnly, Secure and SameSite as the session cookie, and sent
    only to frappyauth's own endpoints."""
    response.set_cookie(
        DEVICE_COOKIE,
        secret,
        max_age=options.trusted_device_lifetime,
        httponly=True,
        samesite="Lax",
        secure=is_secure_cookie(options),
        path=options.api_prefix,
    )


def clear_device_cookie(response: Response, options: Options) -> None:
    response.delete_cookie(
        DEVICE_COOKIE,
        httponly=True,
        samesite="Lax",
        secure=is_secure_cookie(options),
        path=options.api_prefix,
    )


def is_secure_cookie(options: Options) -> bool:
    """Whether frappyauth's cookies get `Secure`: option `cookie_secure`, else as the request came
    (HTTPS)."""
    return request.is_secure if options.cookie_secure is None else options.cookie_secure
