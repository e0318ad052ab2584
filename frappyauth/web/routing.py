"""Requests under `api_prefix` that match no route: a JSON 404/405, naming the option that is
switched off.

Flask raises routing errors (404, 405) outside any blueprint, so a blueprint's error handlers never
see them and an app-wide handler would replace the app's own. Flask hands each routing error to the
app's `raise_routing_exception` first, an override point it documents and calls only when routing
failed, so frappyauth wraps that: under the prefix it aborts with the JSON answer (a response, which
Flask sends as it is); elsewhere, and for redirects, the app's own method runs. The rest of the app,
its routes under the prefix and its error handlers registered before or after frappyauth are left
alone.

Not a `before_request` hook, nor a last-resort URL rule: the hook would run on every request of the
app, and a rule under the prefix would outrank the app's own `/api/<section>/...` or `/<path:...>`
routes in Werkzeug's ordering.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from flask import Flask, Request, abort
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect, Rule

from frappyauth.core.options import Options
from frappyauth.web.endpoints import Endpoint
from frappyauth.web.responses import error_response, render_http_error


def disabled_endpoints(options: Options, endpoints: Iterable[Endpoint]) -> Map:
    """The declared endpoints these options leave out, each named by what removed it."""
    rules = [
        Rule(options.api_prefix + endpoint.rule, methods=[endpoint.method], endpoint=message)
        for endpoint in endpoints
        if (message := endpoint.off_message(options)) is not None
    ]
    return Map(rules, strict_slashes=False)


def under_prefix(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def answer_routing_errors(app: Flask, options: Options, endpoints: Iterable[Endpoint]) -> None:
    """Answer routing errors under the prefix as JSON, by wrapping the app's
    `raise_routing_exception`."""
    disabled = disabled_endpoints(options, endpoints)
    raise_as_before = (
        app.raise_routing_exception
    )  # the app's own, or another extension's wrapper of it

    def raise_routing_exception(request: Request) -> NoReturn:
        error = request.routing_exception
        if (
            isinstance(error, HTTPException)
            and not isinstance(error, RequestRedirect)
            and under_prefix(options.api_prefix, request.path)
        ):
            message = _disabled_message(disabled, request.path, request.method)
            abort(
                error_response(404, "feature_disabled", message)
                if message is not None
                else render_http_error(error)
            )
        raise_as_before(request)

    app.raise_routing_exception = raise_routing_exception  # type: ignore[method-assign]


def _disabled_message(disabled: Map, path: str, method: str) -> str | None:
    try:
        message, _ = disabled.bind("localhost").match(path, method)
    except HTTPException:  # not a disabled endpoint either
        return None
    return str(message)
