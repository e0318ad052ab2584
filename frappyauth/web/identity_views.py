"""The endpoints of sign-in through identity providers (option `identity_providers`).

A browser goes to `GET /sso/<provider>/start`, which redirects it to the provider; the provider
sends it back to `GET /sso/<provider>/callback`, which validates the answer and redirects to `next`
with a one-time `sso_code` (or an `sso_error`), never a session token in a URL. The front end then
posts the code to `POST /sso/exchange`, answered like `POST /login`. Linking another provider to
a signed-in account starts with `POST /sso/<provider>/link/start`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from frappyauth.core.errors import FrappyAuthError, ProviderRefusedError
from frappyauth.core.federation import Federation
from frappyauth.core.models import Identity, LinkedIdentity
from frappyauth.web import bodies
from frappyauth.web.admin_views import admin_on_user
from frappyauth.web.answers import sign_in_answer
from frappyauth.web.device_views import device_cookie
from frappyauth.web.endpoints import IDENTITY_PROVIDERS, Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.identity_flow import (
    check_code_is_this_browsers,
    derived_secret,
    forget_flow,
    recalled_flow,
    remember_code,
    remember_flow,
    safe_next,
    target,
)
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
# What a provider sends back (RFC 6749 4.1.2, RFC 9207); anything may arrive, nothing is required.
CALLBACK_PARAMETERS = [
    {"name": name, "in": "query", "schema": {"type": "string"}}
    for name in ("code", "state", "iss", "error", "error_description")
]
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
    services = current_state().services
    settings = _federation().provider(provider)
    next_path = safe_next(
        request.args.get("next") if next_path is None else next_path, services.options
    )
    flows = switched_on(services.identity_flows)
    state = (
        flows.begin_flow(None, request.remote_addr)
        if linking is None
        else flows.begin_link(linking, request.remote_addr)
    )
    redirect_uri = url_for("frappyauth.identity_callback_get", provider=provider, _external=True)
    flow = {"provider": settings.name, "state": state, "redirect_uri": redirect_uri}
    url = _clients().authorization(settings.name, redirect_uri, state, _secrets_of(state))
    response = answer(url)
    remember_flow(
        response, {**flow, "next": next_path, "linking": linking is not None}, services.options
    )
    return response


def _secrets_of(state: str) -> dict[str, str]:
    return {
        "code_verifier": derived_secret(state, "code_verifier"),
        "nonce": derived_secret(state, "nonce"),
    }


@endpoints.route(
    "GET",
    f"{PROVIDER_RULE}/callback",
    redirect_operation(
        "Where the identity provider sends the browser back: redirects to `next` with "
        "`sso_code` (for POST /sso/exchange) or `sso_error`",
        (404,),
        *CALLBACK_PARAMETERS,
    ),
)
def identity_callback(provider: str) -> BaseResponse:
    _federation().provider(provider)
    options = current_state().services.options
    next_path, outcome = None, {}
    try:
        flow = recalled_flow(provider)
        next_path = flow.get("next")
        outcome = _finish_flow(provider, flow)
    except FrappyAuthError as refused:
        outcome = {"sso_error": refused.code}
    response = redirect(target(next_path, outcome, options), 302)
    if "sso_code" in outcome:
        remember_code(response, outcome["sso_code"], options)
    else:
        forget_flow(response, options)
    return response


def _finish_flow(provider: str, flow: dict[str, Any]) -> dict[str, str]:
    services, federation = current_state().services, _federation()
    linking = switched_on(services.identity_flows).end_flow(flow["state"])
    account = _clients().account(provider, request.args, {**flow, **_secrets_of(flow["state"])})
    if flow.get("linking"):
        caller = _signed_in_caller()
        # The linking session must still be the one that started the flow (SameSite=Lax brings
        # its cookie along): a flow outlives no sign-out, reset or revocation.
        session = None if caller is None else caller.session
        if linking is None or session is None or (session.user_id, session.session_id) != linking:
            raise ProviderRefusedError(
                "The session that started this has ended.", reason="invalid_state"
            )
        federation.link(session.user_id, account, request.remote_addr, session)
        return {"sso_linked": provider}
    user = federation.sign_in(account, request.remote_addr)
    return {"sso_code": switched_on(services.identity_flows).issue_code(user)}


def _signed_in_caller() -> Identity | None:
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
    check_code_is_this_browsers(code)
    services = current_state().services
    user_agent = request.headers.get("User-Agent")
    answer = sign_in_answer(
        services.sign_in.with_identity(code, user_agent, request.remote_addr, device_cookie())
    )
    forget_flow(answer, services.options)
    return answer


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
    _federation().unlink(identity.user, identity_id, request_actor(identity), identity.session)
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
