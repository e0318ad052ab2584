"""Requests under `api_prefix` that match no route: a JSON 404/405, naming the option that is switched off.

Flask raises routing errors (404, 405) outside any blueprint, so a blueprint's error handlers never see them
and an app-wide handler would replace the app's own. Instead, one rule of frappyauth's own matches every path
under the prefix that no other rule matches, whatever the method: Werkzeug tries it last (it is the only
rule with a dynamic part right after the prefix that spans the rest of the path). Its view finds what the
routing error would have been and answers it as JSON. The rest of the app, and its error handlers registered
before or after frappyauth, are left alone.

A request hook could do the same, but it would run on every request of the app: Flask passes each
`before_request` hook through a coroutine check and each URL value preprocessor two context lookups, about
2 µs together, a sixth of frappyauth's whole cost per authenticated request. A rule costs nothing until
it matches.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import BaseConverter, Map, RequestRedirect, Rule
from werkzeug.wrappers import Response as BaseResponse

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


UNMATCHED_ENDPOINT = "frappyauth.unmatched"  # in the blueprint's name space: its error handler and hooks apply
_REST_CONVERTER = "frappyauth_rest"


class RestOfPath(BaseConverter):
    """What follows the prefix in a path no other rule matched: nothing, or a slash and anything."""

    regex = r"(?:/.*)?"
    part_isolating = False  # spans slashes, so Werkzeug tries it after every rule under the prefix


def add_unmatched_route(app: Flask, options: Options) -> None:
    """Answer routing errors under the prefix as JSON, for any method (the rule lists none, so it has all)."""
    app.url_map.converters[_REST_CONVERTER] = RestOfPath
    app.url_map.add(Rule(f"{options.api_prefix}<{_REST_CONVERTER}:rest>", endpoint=UNMATCHED_ENDPOINT))
    app.view_functions[UNMATCHED_ENDPOINT] = unmatched_view(app, options)


def unmatched_view(app: Flask, options: Options) -> Callable[[str], BaseResponse]:
    disabled = disabled_endpoints(options)
    other_routes: list[Map] = []  # built at the first unmatched request: the app's rules are final by then

    def answer_unmatched(rest: str) -> BaseResponse:
        if not other_routes:
            other_routes.append(_without_unmatched(app.url_map))
        error = _routing_error(app, other_routes[0])
        if isinstance(error, RequestRedirect):  # a missing trailing slash, or doubled slashes: as Flask does
            return error.get_response()
        message = _disabled_message(disabled, request.path, request.method)
        if message is not None:
            return error_response(404, "feature_disabled", message)
        return render_http_error(error)
    return answer_unmatched


def _without_unmatched(routes: Map) -> Map:
    """The app's URL map without the unmatched rule, with the same settings."""
    rules = [rule.empty() for rule in routes.iter_rules() if rule.endpoint != UNMATCHED_ENDPOINT]
    return Map(rules, default_subdomain=routes.default_subdomain, strict_slashes=routes.strict_slashes,
               merge_slashes=routes.merge_slashes, redirect_defaults=routes.redirect_defaults,
               converters=routes.converters, sort_parameters=routes.sort_parameters, sort_key=routes.sort_key,
               host_matching=routes.host_matching)


def _routing_error(app: Flask, routes: Map) -> HTTPException:
    """The error routing the current request would have raised without the unmatched rule."""
    adapter = app.create_url_adapter(request)
    if adapter is None:  # only outside a request
        return NotFound()
    adapter.map = routes  # Flask's binding (server name, subdomain, script root), matched against `routes`
    try:
        adapter.match()
    except HTTPException as error:
        return error
    return NotFound()


def _disabled_message(disabled: Map, path: str, method: str) -> str | None:
    try:
        message, _ = disabled.bind("localhost").match(path, method)
    except HTTPException:  # not a disabled endpoint either
        return None
    return str(message)
