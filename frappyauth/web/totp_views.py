"""The endpoints of the TOTP second factor (option `totp`): enrolment, recovery codes, turning it
off, the second step of a sign-in, and an administrator's reset of every second factor (with `totp`
or `passkeys`).

The services need the `mfa` extra, which registration checks; `segno` (of that extra) draws the QR
codes.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request

from frappyauth.web import bodies
from frappyauth.web.admin_views import admin
from frappyauth.web.device_views import TRUST_DEVICE, asks_trust, trust_device_if_asked
from frappyauth.web.endpoints import SECOND_FACTORS, TOTP, USER_MANAGEMENT, Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.answers import sign_in_answer, user_json
from frappyauth.web.schemas import closed, STRING, operation, ref
from frappyauth.web.remember import REMEMBER, remember_choice
from frappyauth.web.state import current_state, switched_on

if TYPE_CHECKING:
    from frappyauth.core.totp import Totp

endpoints = Endpoints(requires=(TOTP,))

CODE = {
    "type": "string",
    "pattern": "^[0-9]{6}$",
    "description": "The six digits the authenticator app shows.",
}
RECOVERY_CODE = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "One of the recovery codes.",
}
RECOVERY_CODES = closed(
    ["recoveryCodes"],
    recoveryCodes={"type": "array", "items": STRING, "minItems": 10, "maxItems": 10},
)
BODY_ERRORS = (400, 401, 403, 409, 413, 415, 429)


def _factor(*required: str, **properties: Any) -> dict[str, Any]:
    """A body with a code or a recovery code (exactly one: the other is refused with 400)."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**properties, "code": CODE, "recoveryCode": RECOVERY_CODE},
    }


def _totp() -> Totp:
    return switched_on(current_state().services.totp)


def qr_svg(uri: str) -> str:
    """The URI as a QR code in SVG, for an `<img src="data:image/svg+xml,...">` or inline."""
    import segno  # the `mfa` extra, present whenever TOTP is on

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4)
    return buffer.getvalue().decode("utf-8")


ENROLMENT = closed(
    ["secret", "otpauthUri", "qrSvg"], secret=STRING, otpauthUri=STRING, qrSvg=STRING
)


@endpoints.route(
    "POST",
    "/mfa/totp",
    operation(
        "Start TOTP enrolment (password re-entered): the secret, its otpauth URI, a QR code",
        ENROLMENT,
        BODY_ERRORS,
        body={"type": "object", "required": ["password"], "properties": {"password": STRING}},
    ),
)
def begin_totp() -> Response:
    identity, body = (
        request_identity(allow_api_key=False, enrolment_exempt=True),
        bodies.request_object(),
    )
    secret, uri = _totp().begin(identity, bodies.string(body, "password"), request_actor(identity))
    return jsonify({"secret": secret, "otpauthUri": uri, "qrSvg": qr_svg(uri)})


@endpoints.route(
    "POST",
    "/mfa/totp/confirm",
    operation(
        "Turn TOTP on with its first code; the ten recovery codes are shown this once",
        RECOVERY_CODES,
        BODY_ERRORS,
        body={"type": "object", "required": ["code"], "properties": {"code": CODE}},
    ),
)
def confirm_totp() -> Response:
    identity, body = (
        request_identity(allow_api_key=False, enrolment_exempt=True),
        bodies.request_object(),
    )
    codes = _totp().confirm(identity, bodies.string(body, "code"), request_actor(identity))
    return jsonify({"recoveryCodes": codes})


@endpoints.route(
    "POST",
    "/mfa/recovery-codes",
    operation(
        "Replace the recovery codes (password and a code or recovery code); shown this once",
        RECOVERY_CODES,
        BODY_ERRORS,
        body=_factor("password", password=STRING),
    ),
)
def regenerate_recovery_codes() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    codes = _totp().regenerate_recovery_codes(
        identity,
        bodies.string(body, "password"),
        bodies.optional_string(body, "code"),
        bodies.optional_string(body, "recoveryCode"),
        request_actor(identity),
    )
    return jsonify({"recoveryCodes": codes})


@endpoints.route(
    "DELETE",
    "/mfa/totp",
    operation(
        "Turn TOTP off (password and a code or recovery code)",
        ref("User"),
        BODY_ERRORS,
        body=_factor("password", password=STRING),
    ),
)
def disable_totp() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    _totp().disable(
        identity,
        bodies.string(body, "password"),
        bodies.optional_string(body, "code"),
        bodies.optional_string(body, "recoveryCode"),
        request_actor(identity),
    )
    return jsonify(user_json(current_state().services.accounts.get(identity.user.id)))


@endpoints.route(
    "POST",
    "/login/mfa",
    operation(
        "The second step of a login: the mfaToken of POST /login and a code or recovery code",
        {
            "type": "object",
            "required": ["user", "token"],
            "properties": {"user": ref("User"), "token": STRING},
        },
        (400, 401, 413, 415, 429),
        security=[],
        body=_factor("mfaToken", mfaToken=STRING, trustDevice=TRUST_DEVICE, remember=REMEMBER),
    ),
)
def login_mfa() -> Response:
    body = bodies.request_object()
    asked = asks_trust(body)
    signed_in = current_state().services.sign_in.with_second_step(
        bodies.string(body, "mfaToken"),
        bodies.optional_string(body, "code"),
        bodies.optional_string(body, "recoveryCode"),
        request.user_agent.string or None,
        request.remote_addr,
        remember_choice(body),
    )
    response = sign_in_answer(signed_in)
    trust_device_if_asked(response, asked, signed_in)
    return response


resetting = Endpoints(requires=(USER_MANAGEMENT, SECOND_FACTORS))


@resetting.route(
    "DELETE",
    "/users/<user_id>/mfa",
    operation(
        "Remove a user's second factors (a lost phone)",
        closed(["userId", "reset"], userId={"type": "string"}, reset={"const": True}),
        (401, 403, 404),
    ),
)
def reset_user_mfa(user_id: str) -> Response:
    caller = admin()
    second_factors = current_state().services.second_factors
    assert second_factors is not None  # the endpoint exists only with a second factor on
    user = second_factors.reset(user_id, request_actor(caller))
    return jsonify({"userId": user.id, "reset": True})
