"""One's own data: exporting it (`GET /me/export`, always on) and deleting one's account
(`DELETE /me`, option `allow_self_delete`); see docs/privacy.md."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from flask import Response, jsonify

from frappyauth.core.data_export import PersonalData
from frappyauth.core.device_models import SeenDevice
from frappyauth.core.mfa_models import TotpEnrolment
from frappyauth.web import bodies
from frappyauth.web.answers import user_json
from frappyauth.web.audit_views import ENTRY, entry_json
from frappyauth.web.endpoints import SELF_DELETE, Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.passkey_views import PASSKEY, passkey_json
from frappyauth.web.responses import api_key_json, clear_session_cookie, iso_time, session_json
from frappyauth.web.schemas import DATE_TIME, STRING, closed, obj, operation, ref
from frappyauth.web.state import current_state, switched_on

endpoints = Endpoints()

TOTP = closed(
    ["enrolledAt", "confirmed", "recoveryCodesLeft"],
    enrolledAt=DATE_TIME,
    confirmed={"type": "boolean"},
    recoveryCodesLeft={"type": "integer", "minimum": 0},
)
DEVICE = closed(["fingerprint", "lastSeenAt"], fingerprint={"type": "string"}, lastSeenAt=DATE_TIME)
EXPORT = closed(
    [
        "exportedAt",
        "user",
        "sessions",
        "apiKeys",
        "secondFactors",
        "identities",
        "devices",
        "activity",
    ],
    exportedAt=DATE_TIME,
    user=ref("User"),
    sessions={"type": "array", "items": ref("Session")},
    apiKeys={"type": "array", "items": ref("ApiKey")},
    secondFactors=closed(
        ["totp", "passkeys"],
        totp={"oneOf": [TOTP, {"type": "null"}]},
        passkeys={"type": "array", "items": PASSKEY},
    ),
    identities={"type": "array", "items": {"type": "object"}},
    devices={"type": "array", "items": DEVICE},
    activity={"oneOf": [{"type": "array", "items": ENTRY}, {"type": "null"}]},
)


@endpoints.route(
    "GET",
    "/me/export",
    operation(
        "Everything stored about the caller, as JSON (no secret, token or hash)", EXPORT, (401, 403)
    ),
)
def export_own_data() -> Response:
    identity = request_identity(allow_api_key=False)
    data = switched_on(current_state().services.data_export).of(identity.user)
    response = jsonify(_export_json(data, identity.session))
    response.headers["Content-Disposition"] = 'attachment; filename="account-data.json"'
    return response


@endpoints.route(
    "DELETE",
    "/me",
    operation(
        "Delete one's own account: the password, and with a second factor a code of it or a "
        "sign-in of the last 10 minutes",
        closed(["userId", "deleted"], userId={"type": "string"}, deleted={"const": True}),
        (400, 401, 403, 409, 413, 415, 429),
        body=obj(["password"], password=STRING, code=STRING, recoveryCode=STRING),
    ),
    requires=(SELF_DELETE,),
)
def delete_own_account() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    deleted = switched_on(current_state().services.account_deletion).delete_own(
        identity,
        bodies.string(body, "password"),
        bodies.optional_string(body, "code", nullable=False),
        bodies.optional_string(body, "recoveryCode", nullable=False),
        request_actor(identity),
    )
    response = jsonify({"userId": deleted.id, "deleted": True})
    clear_session_cookie(response, current_state().services.options)
    return response


def _export_json(data: PersonalData, current: Any) -> dict[str, Any]:
    return {
        "exportedAt": iso_time(data.exported_at),
        "user": user_json(data.user),
        "sessions": [session_json(session, current) for session in data.sessions],
        "apiKeys": [api_key_json(key) for key in data.api_keys],
        "secondFactors": {
            "totp": None if data.totp is None else _totp_json(data.totp),
            "passkeys": [passkey_json(passkey) for passkey in data.passkeys],
        },
        "identities": [_record_json(identity) for identity in data.identities],
        "devices": [_device_json(device) for device in data.devices],
        "activity": None if data.activity is None else [entry_json(e) for e in data.activity],
    }


def _totp_json(enrolment: TotpEnrolment) -> dict[str, Any]:
    """Metadata only: never the (sealed) secret, nor the recovery codes' hashes."""
    return {
        "enrolledAt": iso_time(enrolment.created_at),
        "confirmed": enrolment.confirmed,
        "recoveryCodesLeft": len(enrolment.recovery_code_hashes),
    }


def _device_json(device: SeenDevice) -> dict[str, Any]:
    return {"fingerprint": device.fingerprint_hash, "lastSeenAt": iso_time(device.last_seen_at)}


def _record_json(record: Any) -> dict[str, Any]:
    """A linked identity (provider sign-in's record: no secret in it) with camel-case names."""
    return {_camel(name): _plain(value) for name, value in dataclasses.asdict(record).items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _plain(value: Any) -> Any:
    return iso_time(value) if isinstance(value, datetime) else value
