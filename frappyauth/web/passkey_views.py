"""The endpoints of passkeys (WebAuthn): registering, listing, renaming and removing them, and logging in.

Registered only with the option `passkeys`. The relying party is the option `webauthn_rp_id` (default: the
request's host name) with the origins `webauthn_origins` (default: the request's own origin).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from datetime import datetime, timezone

from flask import Response, jsonify, request

from frappyauth.core.errors import BadRequestError
from frappyauth.core.mfa_models import Passkey
from frappyauth.core.passkeys import Passkeys, RelyingParty
from frappyauth.web import bodies
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.mfa_views import user_json_of
from frappyauth.web.responses import set_session_cookie
from frappyauth.web.state import current_state


def _passkeys() -> Passkeys:
    passkeys = current_state().passkeys
    if passkeys is None:  # the routes exist only with the option on
        raise RuntimeError("frappyauth: the passkey endpoints were registered without the option 'passkeys'.")
    return passkeys



def _relying_party() -> RelyingParty:
    options = current_state().runtime.options
    host = request.host
    rp_id = options.webauthn_rp_id or (host.rsplit(":", 1)[0] if not host.endswith("]") else host)
    return RelyingParty(rp_id=rp_id, origins=options.webauthn_origins or (f"{request.scheme}://{host}",))


def iso_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def passkey_json(passkey: Passkey) -> dict[str, Any]:
    """A passkey as its owner sees it: its id (the credential id, public) and name; never its key."""
    return {"id": passkey.credential_id, "name": passkey.name, "createdAt": iso_time(passkey.created_at),
            "lastUsedAt": None if passkey.last_used_at is None else iso_time(passkey.last_used_at)}


def passkey_register_options() -> Response:
    identity = request_identity(allow_api_key=False, enrolling=True)
    bodies.request_object()
    return jsonify(_passkeys().registration_options(identity, _relying_party()))


def passkey_register() -> Response:
    identity, body = request_identity(allow_api_key=False, enrolling=True), bodies.request_object()
    passkey = _passkeys().register(identity, _relying_party(), bodies.string(body, "name"),
                                   _credential(body), request_actor(identity))
    return jsonify(passkey_json(passkey))


def own_passkeys() -> Response:
    identity = request_identity(allow_api_key=False)
    return jsonify({"passkeys": [passkey_json(p) for p in _passkeys().of_user(identity.user.id)]})


def rename_passkey(passkey_id: str) -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    return jsonify(passkey_json(_passkeys().rename(identity.user.id, passkey_id, bodies.string(body, "name"))))


def delete_passkey(passkey_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    _passkeys().delete(identity, passkey_id, request_actor(identity))
    return jsonify({"id": passkey_id, "deleted": True})


def passkey_login_options() -> Response:
    body = bodies.request_object()
    return jsonify(_passkeys().login_options(_relying_party(), bodies.optional_string(body, "mfaToken")))


def passkey_login() -> Response:
    body, state = bodies.request_object(), current_state()
    user = _passkeys().login(_relying_party(), bodies.optional_string(body, "mfaToken"), _credential(body),
                             request.remote_addr)
    token = state.authenticator.open_session(user, request.user_agent.string or None, request.remote_addr)
    response = jsonify({"user": user_json_of(user.id), "token": token})
    set_session_cookie(response, token, state.runtime.options)
    return response


def _credential(body: dict[str, Any]) -> dict[str, Any]:
    credential = bodies.optional_object(body, "credential")
    if credential is None:
        raise BadRequestError("The field 'credential' must be the PublicKeyCredential as JSON.")
    return credential


def passkey_routes() -> list[tuple[str, Callable[..., Response], str]]:
    """The routes of passkeys, for the route table of `views.build_blueprint`."""
    return [("/passkeys/register/options", passkey_register_options, "POST"),
            ("/passkeys/register", passkey_register, "POST"),
            ("/passkeys", own_passkeys, "GET"), ("/passkeys/<passkey_id>", rename_passkey, "POST"),
            ("/passkeys/<passkey_id>", delete_passkey, "DELETE"),
            ("/passkeys/login/options", passkey_login_options, "POST"), ("/passkeys/login", passkey_login, "POST")]
