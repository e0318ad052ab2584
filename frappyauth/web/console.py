"""The browser console (option `console`): static files served at `{api_prefix}/console/`.

The page is plain HTML, CSS and JavaScript shipped in `console_static/`: nothing is built at install
and nothing is fetched from elsewhere. It talks only to this library's JSON endpoints, with the
HttpOnly session cookie (the script never sees a token), so its writes pass the same origin check as
any cookie write.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, jsonify, send_from_directory

from frappyauth.core.errors import FrappyAuthError
from frappyauth.core.models import User
from frappyauth.web.endpoints import CONSOLE, BlueprintSpec, Endpoints
from frappyauth.web.guard import request_identity
from frappyauth.web.languages import console_messages, request_language
from frappyauth.web.schemas import STRING, closed, operation

STATIC_FOLDER = Path(__file__).with_name("console_static")

# No inline script or style anywhere in the console, so the policy can forbid both; data: images are
# for the QR code of a second-factor enrolment. Nothing may frame the console (clickjacking its
# buttons).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
CONSOLE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cache-Control": "no-cache",  # revalidate, so an upgraded library serves its own script at once
}


def secure_headers(response: Response) -> Response:
    response.headers.update(CONSOLE_HEADERS)
    return response


endpoints = Endpoints(
    requires=(CONSOLE,),
    blueprint=BlueprintSpec("frappyauth_console", after_request=(secure_headers,)),
)


@endpoints.route(
    "GET",
    "/console/",
    {
        "summary": "The browser console's page",
        "security": [],
        "responses": {
            "200": {"description": "OK", "content": {"text/html": {"schema": {"type": "string"}}}}
        },
    },
)
def index() -> Response:
    return send_from_directory(STATIC_FOLDER, "index.html")


@endpoints.route(
    "GET",
    "/console/messages",
    operation(
        "The console's words in the reader's language: the signed-in user's profile setting "
        "(`profile.language`), else `Accept-Language`, else English",
        closed(
            ["language", "messages"],
            language=STRING,
            messages={"type": "object", "additionalProperties": {"type": ["string", "array"]}},
        ),
        (),
        security=[],
    ),
)
def messages() -> Response:
    language = request_language(_signed_in_user())
    response = jsonify({"language": language, "messages": console_messages(language)})
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def _signed_in_user() -> User | None:
    """The user of the request's session, if it has a valid one; nobody otherwise (the words are
    then chosen by `Accept-Language`)."""
    try:
        return request_identity(allow_api_key=False).user
    except FrappyAuthError:
        return None


@endpoints.route("GET", "/console/<path:name>", None)
def static_file(name: str) -> Response:
    return send_from_directory(STATIC_FOLDER, name)  # refuses paths outside the folder with 404
