"""Requests under `api_prefix` that match no route: a JSON 404/405, naming the option that is switched off.

Flask raises routing errors (404, 405) only after the request hooks, and outside any blueprint, so a
blueprint's error handlers never see them and an app-wide handler would replace the app's own. An app-level
`before_request` hook answers them instead, for paths under the prefix only: the rest of the app, and its
error handlers registered before or after frappyauth, are left alone.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect, Rule

from frappyauth.core.options import Options
from frappyauth.web.responses import error_response, render_http_error

# Endpoints that exist only when an option allows them: (option, its value that removes them, what to tell
# the client, rules relative to the prefix with their methods). A request for one of them, with the option so
# set, is told which option removed it instead of getting a bare 404. An optional endpoint adds a line here.
OPTIONAL_ENDPOINTS: list[tuple[str, object, str, list[tuple[str, tuple[str, ...]]]]] = [
    ("api_keys", False, "API keys are disabled on this server (the frappyauth option 'api_keys' is off).",
     [("/key", ("POST", "DELETE")), ("/keys", ("GET", "POST")), ("/keys/<key_id>", ("DELETE",)),
      ("/users/<user_id>/keys", ("GET", "DELETE")), ("/users/<user_id>/keys/<key_id>", ("DELETE",))]),
    ("no_user_management", True, "User management is disabled on this server (the frappyauth option "
                                 "'no_user_management' is on).",
     [("/users", ("POST",)), ("/users/<user_id>", ("DELETE",)), ("/users/<user_id>/permissions", ("POST",)),
      ("/users/<user_id>/profile", ("POST",)), ("/users/<user_id>/password", ("POST",)),
      ("/users/<user_id>/unlock", ("POST",)), ("/users/<user_id>/keys", ("GET", "DELETE")),
      ("/users/<user_id>/keys/<key_id>", ("DELETE",)),
      ("/users/<user_id>/sessions", ("GET", "DELETE")), ("/users/<user_id>/mfa", ("DELETE",))]),
    ("registration", False, "Self sign-up is disabled on this server (the frappyauth option 'registration' is off).",
     [("/register", ("POST",))]),
    ("email_verification", None, "Address verification is disabled on this server (the frappyauth option "
                                 "'email_verification' is off).",
     [("/verify-email", ("POST",)), ("/verify-email/resend", ("POST",))]),
    ("password_reset", False, "Password reset by mail is disabled on this server (the frappyauth option "
                              "'password_reset' is off).",
     [("/password-reset", ("POST",)), ("/password-reset/confirm", ("POST",))]),
    ("email_change", False, "Address change is disabled on this server (the frappyauth option 'email_change' "
                            "is off).",
     [("/email", ("POST",)), ("/email/confirm", ("POST",))]),
    ("totp", False, "TOTP is disabled on this server (the frappyauth option 'totp' is off).",
     [("/mfa/totp", ("POST", "DELETE")), ("/mfa/totp/confirm", ("POST",)), ("/mfa/recovery-codes", ("POST",)),
      ("/login/mfa", ("POST",)), ("/users/<user_id>/mfa", ("DELETE",))]),
    ("passkeys", False, "Passkeys are disabled on this server (the frappyauth option 'passkeys' is off).",
     [("/passkeys/register/options", ("POST",)), ("/passkeys/register", ("POST",)), ("/passkeys", ("GET",)),
      ("/passkeys/<passkey_id>", ("POST", "DELETE")), ("/passkeys/login/options", ("POST",)),
      ("/passkeys/login", ("POST",)), ("/users/<user_id>/mfa", ("DELETE",))]),
    ("console", False, "The console is disabled on this server (the frappyauth option 'console' is off).",
     [("/console/", ("GET",)), ("/console/<path:name>", ("GET",))]),
]


def under_prefix(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def disabled_endpoints(options: Options) -> Map:
    """The endpoints these options leave out, each named by the option that removed them."""
    rules = [Rule(options.api_prefix + rule, methods=list(methods), endpoint=message)
             for option, removing_value, message, endpoints in OPTIONAL_ENDPOINTS
             if getattr(options, option) == removing_value for rule, methods in endpoints]
    return Map(rules, strict_slashes=False)


def routing_error_hook(options: Options) -> Callable[[], Response | None]:
    """An app `before_request` hook answering routing errors under the prefix as JSON."""
    disabled = disabled_endpoints(options)

    def answer_routing_error() -> Response | None:
        error = request.routing_exception
        if error is None or isinstance(error, RequestRedirect) or not under_prefix(options.api_prefix, request.path):
            return None
        if isinstance(error, HTTPException):
            message = _disabled_message(disabled, request.path, request.method)
            if message is not None:
                return error_response(404, "feature_disabled", message)
            return render_http_error(error)
        return None
    return answer_routing_error


def _disabled_message(disabled: Map, path: str, method: str) -> str | None:
    try:
        message, _ = disabled.bind("localhost").match(path, method)
    except HTTPException:  # not a disabled endpoint either
        return None
    return str(message)
