"""The endpoints of sign-in through identity providers (option `identity_providers`).

A browser goes to `GET /sso/<provider>/start`, which redirects it to the provider; the provider
sends it back to `GET /sso/<provider>/callback`, which validates the answer and redirects to `next`
with a one-time `sso_code` (or an `sso_error`), never a session token in a URL. The front end then
posts the code to `POST /sso/exchange`, answered like `POST /login`. Linking another provider to
a signed-in account starts with `POST /sso/<provider>/link/start`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from frappyauth.core.errors import BadRequestError, FrappyAuthError
from frappyauth.core.federation import Federation
from frappyauth.core.models import Identity, LinkedIdentity
from frappyauth.core.options import normal_origin
from frappyauth.web import bodies
from frappyauth.web.admin_views import admin_on_user
from frappyauth.web.answers import sign_in_answer
from frappyauth.web.endpoints import IDENTITY_PROVIDERS, Endpoints
from frappyauth.web.guard import cached_identity, request_actor, request_identity
from frappyauth.web.identity_flow import forget_flow, recalled_flow, remember_flow
from frappyauth.web.responses import iso_time
from frappyauth.web.schemas import STRING, closed, operation, redirect_operation, ref
from frappyauth.web.state import current_state, switched_on

if TYPE_CHECKING:  # the `oidc` extra: present whenever these endpoints are registered
    from frappyauth.web.identity_clients import IdentityClients

endpoints = Endpoints(requires=(IDENTITY_PROVIDERS,))

MAX_NEXT_LENGTH = 2000
PROVIDER_RULE = "/sso/<string(maxlength=32):provider>"
NEXT = {
    "name": "next",
    "in": "query",
    "schema": {"type": "string", "maxLength": MAX_NEXT_LENGTH},
    "description": "where to go afterwards: a path on this site, or a URL of an allowed origin",
}
IDENTITY = closed(
    ["id", "provider", "email", "emailVerified", "createdAt", "lastUsedAt"],
    id={"type": "string"},
    provider={"type": "string"},
    email={"type": ["string", "null"]},
    emailVerified={"type": "boolean"},
    createdAt={"type": "string", "format": "date-time"},
    lastUsedAt={"type": ["string", "null"], "format": "date-time"},
)
IDENTITIES = closed(["identities"], identities={"type": "array", "items": IDENTITY})
UNLINKED = closed(["id", "deleted"], id={"type": "string"}, deleted={"const": True})


def _federation() -> Federation:
    return switched_on(current_state().services.federation)


def _clients() -> IdentityClients:
    return switched_on(current_state().identity_clients)


def identity_json(identity: LinkedIdentity) -> dict[str, Any]:
    """A linked identity as its owner and administrators see it; its subject stays private."""
    return {
        "id": identity.identity_id,
        "provider": identity.provider,
        "email": identity.email,
        "emailVerified": identity.email_verified,
        "createdAt": iso_time(identity.created_at),
        "lastUsedAt": None if identity.last_used_at is None else iso_time(identity.last_used_at),
    }


@endpoints.route(
    "GET",
    "/providers",
    operation(
        "The configured identity providers, for sign-in buttons",
        closed(
            ["providers"],
            providers={
                "type": "array",
                "items": closed(
                    ["name", "displayName"], name={"type": "string"}, displayName=STRING
                ),
            },
        ),
        (),
        security=[],
    ),
)
def providers() -> Response:
    listed = _federation().providers.values()
    return jsonify({"providers": [{"name": p.name, "displayName": p.display_name} for p in listed]})


@endpoints.route(
    "GET",
    f"{PROVIDER_RULE}/start",
    redirect_operation("Sign in with an identity provider: redirects to it", (400, 404, 429), NEXT),
)
def start_sign_in(provider: str) -> BaseResponse:
    return _start(provider, None, lambda url: redirect(url, 302))


@endpoints.route(
    "POST",
    f"{PROVIDER_RULE}/link/start",
    operation(
        "Link an identity provider to the caller's account (within 10 minutes of a login): the "
        "URL to send the browser to",
        closed(["url"], url=STRING),
        (400, 401, 403, 404, 413, 415, 429),
        body={"type": "object", "properties": {"next": {"type": "string"}}},
    ),
)
def start_link(provider: str) -> Response:
    identity = request_identity(allow_api_key=False)
    next_path = bodies.optional_string(bodies.request_object(), "next", nullable=False)
    return _start(provider, identity, lambda url: jsonify({"url": url}), next_path)


def _start(
    provider: str, linking: Identity | None, answer: Any, next_path: str | None = None
) -> Any:
    """Begin a flow: its single-use state, the provider's URL, and this browser's cookie."""
    federation, options = _federation(), current_state().services.options
    settings = federation.provider(provider)
    next_path = _safe_next(request.args.get("next") if next_path is None else next_path)
    flows = switched_on(current_state().services.identity_flows)
    state = (
        flows.begin_flow(None, request.remote_addr)
        if linking is None
        else flows.begin_link(linking, request.remote_addr)
    )
    redirect_uri = url_for("frappyauth.identity_callback_get", provider=provider, _external=True)
    authorization = _clients().authorization(settings.name, redirect_uri, state)
    flow = {
        "provider": settings.name,
        "state": state,
        "redirect_uri": redirect_uri,
        "code_verifier": authorization.get("code_verifier"),
        "nonce": authorization.get("nonce"),
        "next": next_path,
        "linking": linking is not None,
    }
    response = answer(authorization["url"])
    remember_flow(response, flow, options)
    return response


@endpoints.route(
    "GET",
    f"{PROVIDER_RULE}/callback",
    redirect_operation(
        "Where the identity provider sends the browser back: redirects to `next` with "
        "`sso_code` (for POST /sso/exchange) or `sso_error`",
        (404,),
        None,
    ),
)
def identity_callback(provider: str) -> BaseResponse:
    federation = _federation()
    federation.provider(provider)
    next_path, outcome = None, {}
    try:
        flow = recalled_flow(provider)
        next_path = flow.get("next")
        outcome = _finish_flow(federation, provider, flow)
    except FrappyAuthError as refused:
        outcome = {"sso_error": refused.code}
    response = redirect(_target(next_path, outcome), 302)
    forget_flow(response, current_state().services.options)
    return response


def _finish_flow(federation: Federation, provider: str, flow: dict[str, Any]) -> dict[str, str]:
    flows = switched_on(current_state().services.identity_flows)
    linking_user_id = flows.end_flow(flow["state"])
    account = _clients().account(provider, request.args, flow)
    if flow.get("linking"):
        if linking_user_id is None:
            raise BadRequestError()
        caller = cached_identity() or _signed_in_caller()
        keep = caller.session if caller and caller.user.id == linking_user_id else None
        federation.link(linking_user_id, account, request.remote_addr, keep)
        return {"sso_linked": provider}
    return {"sso_code": flows.issue_code(federation.sign_in(account, request.remote_addr))}


def _signed_in_caller() -> Any:
    """The session the provider's redirect carried (SameSite=Lax sends it), if any and valid."""
    try:
        return request_identity(allow_api_key=False)
    except FrappyAuthError:
        return None


@endpoints.route(
    "POST",
    "/sso/exchange",
    operation(
        "Exchange the callback's one-time code for a sign-in (answered like POST /login)",
        {
            "type": "object",
            "properties": {"user": ref("User"), "token": STRING, "mfaRequired": {"const": True}},
        },
        (400, 401, 403, 413, 415, 429),
        security=[],
        body={"type": "object", "required": ["code"], "properties": {"code": STRING}},
    ),
)
def exchange_code() -> Response:
    code = bodies.string(bodies.request_object(), "code")
    sign_in = current_state().services.sign_in
    return sign_in_answer(
        sign_in.with_identity(code, request.headers.get("User-Agent"), request.remote_addr)
    )


@endpoints.route(
    "GET", "/identities", operation("The caller's linked identities", IDENTITIES, (401, 403))
)
def own_identities() -> Response:
    identity = request_identity(allow_api_key=False)
    linked = _federation().identities_of(identity.user.id)
    return jsonify({"identities": [identity_json(i) for i in linked]})


@endpoints.route(
    "DELETE",
    "/identities/<string(maxlength=64):identity_id>",
    operation("Unlink one of the caller's identities", UNLINKED, (401, 403, 404, 409)),
)
def unlink_own(identity_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    _federation().unlink(identity.user, identity_id, request_actor(identity))
    return jsonify({"id": identity_id, "deleted": True})


@endpoints.route(
    "GET",
    "/users/<user_id>/identities",
    operation("A user's linked identities (administrators)", IDENTITIES, (401, 403, 404)),
)
def user_identities(user_id: str) -> Response:
    _, user = admin_on_user(user_id)
    return jsonify({"identities": [identity_json(i) for i in _federation().identities_of(user.id)]})


@endpoints.route(
    "DELETE",
    "/users/<user_id>/identities/<string(maxlength=64):identity_id>",
    operation("Unlink a user's identity (administrators)", UNLINKED, (401, 403, 404)),
)
def unlink_for_user(user_id: str, identity_id: str) -> Response:
    actor, user = admin_on_user(user_id)
    _federation().unlink(user, identity_id, actor, by_admin=True)
    return jsonify({"id": identity_id, "deleted": True})


def _safe_next(next_path: str | None) -> str | None:
    """`next` if it stays on this site or goes to an allowed origin (no open redirect)."""
    if next_path is None or next_path == "":
        return None
    allowed = current_state().services.options.allowed_origins
    if len(next_path) <= MAX_NEXT_LENGTH and next_path.isprintable() and "\\" not in next_path:
        parts = urlsplit(next_path)
        if not parts.scheme and not parts.netloc and next_path.startswith("/"):
            return next_path
        if normal_origin(f"{parts.scheme}://{parts.netloc}") in allowed and parts.netloc:
            return next_path
    raise BadRequestError("next must be a path on this site or a URL of an allowed origin.")


def _target(next_path: str | None, outcome: dict[str, str]) -> str:
    """Where the callback sends the browser: `next`, else `frontend_url` (action `sso`), else the
    site's root; with the outcome added to its query."""
    template = current_state().services.options.frontend_url
    if next_path is None and template is not None:
        next_path = template.replace("{action}", "sso").replace("{token}", "")
    parts = urlsplit(next_path or "/")
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *outcome.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
