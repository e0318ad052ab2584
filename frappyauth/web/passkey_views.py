"""The endpoints of passkeys (option `passkeys`, WebAuthn): registering, listing, renaming and
removing them, and signing in with one.

The relying party is the option `webauthn_rp_id` (default: the request's host name) with the origins
`webauthn_origins` (default: the request's own origin). The services need the `mfa` extra, which
registration checks; this module itself imports nothing of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request

from frappyauth.core.errors import BadRequestError
from frappyauth.core.mfa_models import Passkey, RelyingParty
from frappyauth.web import bodies
from frappyauth.web.endpoints import PASSKEYS, Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.answers import sign_in_answer
from frappyauth.web.device_views import TRUST_DEVICE, asks_trust, trust_device_if_asked
from frappyauth.web.schemas import closed, STRING, operation, ref
from frappyauth.web.responses import iso_time
from frappyauth.web.remember import REMEMBER, remember_choice
from frappyauth.web.state import current_state, switched_on

if TYPE_CHECKING:
    from frappyauth.core.passkeys import Passkeys

endpoints = Endpoints(requires=(PASSKEYS,))

NAME = {"type": "string", "minLength": 1, "maxLength": 100}
CREDENTIAL = {
    "type": "object",
    "description": "The PublicKeyCredential of navigator.credentials, as JSON "
    "(base64url for its binary fields).",
}
CEREMONY_OPTIONS = {
    "type": "object",
    "description": "The options for navigator.credentials, as JSON "
    "(base64url), with a new single-use challenge.",
}
PASSKEY = closed(
    ["id", "name", "createdAt", "lastUsedAt"],
    id={"type": "string"},
    name={"type": "string"},
    createdAt={"type": "string", "format": "date-time"},
    lastUsedAt={"type": ["string", "null"], "format": "date-time"},
)
ERRORS, LOGIN_ERRORS = (400, 401, 403, 409, 413, 415), (400, 401, 413, 415, 429)
# A passkey's id is its credential id in base64url: WebAuthn has authenticators make it at least 16
# bytes (22 characters) and at most 1023 (1364). The rule's converter asks for 16 characters or
# more, so `/passkeys/login` and `/passkeys/register` are never taken for one (a `DELETE` there is a
# 405, and their `Allow` names only their own methods); the alphabet is the store's to match.
PASSKEY_ID = "/passkeys/<string(minlength=16, maxlength=1400):passkey_id>"


def _passkeys() -> Passkeys:
    return switched_on(current_state().services.passkeys)


def _relying_party() -> RelyingParty:
    options = current_state().services.options
    host = request.host
    rp_id = options.webauthn_rp_id or (host.rsplit(":", 1)[0] if not host.endswith("]") else host)
    return RelyingParty(
        rp_id=rp_id, origins=options.webauthn_origins or (f"{request.scheme}://{host}",)
    )


def passkey_json(passkey: Passkey) -> dict[str, Any]:
    """A passkey as its owner sees it: its id (the credential id, public) and name; never its
    key."""
    return {
        "id": passkey.credential_id,
        "name": passkey.name,
        "createdAt": iso_time(passkey.created_at),
        "lastUsedAt": None if passkey.last_used_at is None else iso_time(passkey.last_used_at),
    }


@endpoints.route(
    "POST",
    "/passkeys/register/options",
    operation("Options to register a passkey", CEREMONY_OPTIONS, ERRORS, body={"type": "object"}),
)
def passkey_register_options() -> Response:
    identity = request_identity(allow_api_key=False, enrolment_exempt=True)
    bodies.request_object()
    return jsonify(_passkeys().registration_options(identity, _relying_party()))


@endpoints.route(
    "POST",
    "/passkeys/register",
    operation(
        "Register a passkey under a name",
        PASSKEY,
        ERRORS,
        body={
            "type": "object",
            "required": ["name", "credential"],
            "properties": {"name": NAME, "credential": CREDENTIAL},
        },
    ),
)
def passkey_register() -> Response:
    identity, body = (
        request_identity(allow_api_key=False, enrolment_exempt=True),
        bodies.request_object(),
    )
    passkey = _passkeys().register(
        identity,
        _relying_party(),
        bodies.string(body, "name"),
        _credential(body),
        request_actor(identity),
    )
    return jsonify(passkey_json(passkey))


@endpoints.route(
    "GET",
    "/passkeys",
    operation(
        "The caller's passkeys",
        closed(["passkeys"], passkeys={"type": "array", "items": PASSKEY}),
        (401, 403),
    ),
    impersonation=True,
)
def own_passkeys() -> Response:
    identity = request_identity(allow_api_key=False)
    return jsonify({"passkeys": [passkey_json(p) for p in _passkeys().of_user(identity.user.id)]})


@endpoints.route(
    "POST",
    PASSKEY_ID,
    operation(
        "Rename one of the caller's passkeys",
        PASSKEY,
        (*ERRORS, 404),
        body={"type": "object", "required": ["name"], "properties": {"name": NAME}},
    ),
)
def rename_passkey(passkey_id: str) -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    return jsonify(
        passkey_json(_passkeys().rename(identity.user.id, passkey_id, bodies.string(body, "name")))
    )


@endpoints.route(
    "DELETE",
    PASSKEY_ID,
    operation(
        "Remove one of the caller's passkeys",
        closed(["id", "deleted"], id={"type": "string"}, deleted={"const": True}),
        (401, 403, 404),
    ),
)
def delete_passkey(passkey_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    _passkeys().delete(identity, passkey_id, request_actor(identity))
    return jsonify({"id": passkey_id, "deleted": True})


@endpoints.route(
    "POST",
    "/passkeys/login/options",
    operation(
        "Options to log in with a passkey: with the mfaToken of POST /login, or (passwordless) "
        "without",
        CEREMONY_OPTIONS,
        LOGIN_ERRORS,
        security=[],
        body={"type": "object", "properties": {"mfaToken": STRING}},
    ),
)
def passkey_login_options() -> Response:
    body = bodies.request_object()
    return jsonify(
        _passkeys().login_options(_relying_party(), bodies.optional_string(body, "mfaToken"))
    )


@endpoints.route(
    "POST",
    "/passkeys/login",
    operation(
        "Log in with a passkey: the second step after POST /login, or (passwordless) the only one",
        {
            "type": "object",
            "required": ["user", "token"],
            "properties": {"user": ref("User"), "token": STRING},
        },
        LOGIN_ERRORS,
        security=[],
        body={
            "type": "object",
            "required": ["credential"],
            "properties": {
                "mfaToken": STRING,
                "credential": CREDENTIAL,
                "trustDevice": TRUST_DEVICE,
                "remember": REMEMBER,
            },
        },
    ),
)
def passkey_login() -> Response:
    body = bodies.request_object()
    asked = asks_trust(body)
    mfa_token = bodies.optional_string(body, "mfaToken")
    signed_in = current_state().services.sign_in.with_passkey(
        _relying_party(),
        mfa_token,
        _credential(body),
        request.user_agent.string or None,
        request.remote_addr,
        remember_choice(body),
    )
    response = sign_in_answer(signed_in)
    if mfa_token is not None:  # a second step; a passwordless passkey leaves no factor to skip
        trust_device_if_asked(response, asked, signed_in)
    return response


def _credential(body: dict[str, Any]) -> dict[str, Any]:
    credential = bodies.optional_object(body, "credential")
    if credential is None:
        raise BadRequestError("The field 'credential' must be the PublicKeyCredential as JSON.")
    return credential
