"""Requests under `api_prefix` that match no route: a JSON 404/405, naming the option that is switched off.

Flask raises routing errors (404, 405) outside any blueprint, so a blueprint's error handlers never see them
and an app-wide handler would replace the app's own. Flask hands each routing error to the app's
`raise_routing_exception` first, an override point it documents and calls only when routing failed, so
frappyauth wraps that: under the prefix it aborts with the JSON answer (a response, which Flask sends as it
is); elsewhere, and for redirects, the app's own method runs. The rest of the app, its routes under the
prefix and its error handlers registered before or after frappyauth are left alone.

Not a `before_request` hook, nor a last-resort URL rule: the hook would run on every request of the app
(about 2 µs each, a sixth of frappyauth's cost per authenticated request), and a rule under the prefix
would outrank the app's own `/api/<section>/...` or `/<path:...>` routes in Werkzeug's ordering.
"""
from __future__ import annotations

from typing import NoReturn

from flask import Flask, Request, abort
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


def disabled_endpoints(options: Options) -> Map:
    """The endpoints these options leave out, each named by the option that removed them."""
    rules = [Rule(options.api_prefix + rule, methods=list(methods), endpoint=message)
             for option, removing_value, message, endpoints in OPTIONAL_ENDPOINTS
             if getattr(options, option) == removing_value for rule, methods in endpoints]
    return Map(rules, strict_slashes=False)


def under_prefix(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def answer_routing_errors(app: Flask, options: Options) -> None:
    """Answer routing errors under the prefix as JSON, by wrapping the app's `raise_routing_exception`."""
    disabled = disabled_endpoints(options)
    raise_as_before = app.raise_routing_exception  # the app's own, or another extension's wrapper of it

    def raise_routing_exception(request: Request) -> NoReturn:
        error = request.routing_exception
        if isinstance(error, HTTPException) and not isinstance(error, RequestRedirect) \
                and under_prefix(options.api_prefix, request.path):
            message = _disabled_message(disabled, request.path, request.method)
            abort(error_response(404, "feature_disabled", message) if message is not None
                  else render_http_error(error))
        raise_as_before(request)
    app.raise_routing_exception = raise_routing_exception  # type: ignore[method-assign]


def _disabled_message(disabled: Map, path: str, method: str) -> str | None:
    try:
        message, _ = disabled.bind("localhost").match(path, method)
    except HTTPException:  # not a disabled endpoint either
        return None
    return str(message)
