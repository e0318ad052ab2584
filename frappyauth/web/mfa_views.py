"""The endpoints of the TOTP second factor: enrolment, recovery codes, turning it off, the login's second step.

Registered with the option `totp` (or, for the admin's reset, `passkeys`); this module needs the `mfa` extra:
`segno` draws the QR codes.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import segno
from flask import Response, jsonify, request

from frappyauth.core.mfa import Mfa
from frappyauth.core.options import Options
from frappyauth.web import bodies
from frappyauth.web.guard import authorize, request_actor, request_identity
from frappyauth.web.responses import set_session_cookie, user_json
from frappyauth.web.state import current_state


def _mfa() -> Mfa:
    mfa = current_state().mfa
    if mfa is None:  # the routes exist only with the option on
        raise RuntimeError("frappyauth: the MFA endpoints were registered without the option 'totp'.")
    return mfa



def qr_svg(uri: str) -> str:
    """The URI as a QR code in SVG, for an `<img src="data:image/svg+xml,...">` or inline."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4)
    return buffer.getvalue().decode("utf-8")


def begin_totp() -> Response:
    identity, body = request_identity(allow_api_key=False, enrolling=True), bodies.request_object()
    secret, uri = _mfa().begin_totp(identity, bodies.string(body, "password"), request_actor(identity))
    return jsonify({"secret": secret, "otpauthUri": uri, "qrSvg": qr_svg(uri)})


def confirm_totp() -> Response:
    identity, body = request_identity(allow_api_key=False, enrolling=True), bodies.request_object()
    codes = _mfa().confirm_totp(identity, bodies.string(body, "code"), request_actor(identity))
    return jsonify({"recoveryCodes": codes})


def regenerate_recovery_codes() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    codes = _mfa().regenerate_recovery_codes(identity, bodies.string(body, "password"),
                                             bodies.optional_string(body, "code"),
                                             bodies.optional_string(body, "recoveryCode"), request_actor(identity))
    return jsonify({"recoveryCodes": codes})


def disable_totp() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    _mfa().disable_totp(identity, bodies.string(body, "password"), bodies.optional_string(body, "code"),
                        bodies.optional_string(body, "recoveryCode"), request_actor(identity))
    return jsonify(user_json_of(identity.user.id))


def reset_user_mfa(user_id: str) -> Response:
    admin = authorize([current_state().runtime.options.user_admin_permission], allow_api_key=False)
    user = _mfa().reset(user_id, request_actor(admin))
    return jsonify({"userId": user.id, "reset": True})


def login_mfa() -> Response:
    body, state = bodies.request_object(), current_state()
    user, token = state.authenticator.complete_login(
        bodies.string(body, "mfaToken"), bodies.optional_string(body, "code"),
        bodies.optional_string(body, "recoveryCode"), request.user_agent.string or None, request.remote_addr)
    response = jsonify({"user": user_json_of(user.id), "token": token})
    set_session_cookie(response, token, state.runtime.options)
    return response


def user_json_of(user_id: str) -> dict[str, Any]:
    state = current_state()
    user = state.accounts.get(user_id)
    return user_json(user, user.id in state.api_keys.default_key_holders([user]), _mfa().status([user])[user.id])


def mfa_routes(options: Options) -> list[tuple[str, Callable[..., Response], str]]:
    """The routes of the second factor, for the route table of `views.build_blueprint`."""
    routes: list[tuple[str, Callable[..., Response], str]] = []
    if options.totp:
        routes += [("/mfa/totp", begin_totp, "POST"), ("/mfa/totp/confirm", confirm_totp, "POST"),
                   ("/mfa/totp", disable_totp, "DELETE"), ("/mfa/recovery-codes", regenerate_recovery_codes, "POST"),
                   ("/login/mfa", login_mfa, "POST")]
    if not options.no_user_management:
        routes.append(("/users/<user_id>/mfa", reset_user_mfa, "DELETE"))
    return routes
