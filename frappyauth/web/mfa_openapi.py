"""The OpenAPI operations of the TOTP second factor, for `openapi.openapi_document` (option `totp`)."""
from __future__ import annotations

from typing import Any

from frappyauth.core.options import Options

STRING = {"type": "string", "minLength": 1}
CODE = {"type": "string", "pattern": "^[0-9]{6}$", "description": "The six digits the authenticator app shows."}
RECOVERY_CODE = {"type": "string", "minLength": 1, "maxLength": 64, "description": "One of the recovery codes."}
USER_ID = {"name": "userId", "in": "path", "required": True, "schema": {"type": "string"}}
MFA_STATUS = {"type": "object", "required": ["totp", "passkeys"], "additionalProperties": False,
              "properties": {"totp": {"type": "boolean"}, "passkeys": {"type": "integer", "minimum": 0}}}
MFA_REQUIRED = {"type": "object", "required": ["mfaRequired", "mfaToken", "methods"], "additionalProperties": False,
                "properties": {"mfaRequired": {"const": True}, "mfaToken": STRING,
                               "methods": {"type": "array", "items": {"type": "string"}}}}
RECOVERY_CODES = {"type": "object", "required": ["recoveryCodes"], "additionalProperties": False,
                  "properties": {"recoveryCodes": {"type": "array", "items": STRING, "minItems": 10, "maxItems": 10}}}


def _factor(*required: str, **properties: Any) -> dict[str, Any]:
    """A body with a code or a recovery code (exactly one: the other is refused with 400)."""
    return {"type": "object", "required": list(required),
            "properties": {**properties, "code": CODE, "recoveryCode": RECOVERY_CODE}}


def mfa_operations(options: Options, operation: Any, ref: Any) -> dict[str, dict[str, Any]]:
    """The paths and operations; `operation` and `ref` are `openapi`'s builders (so errors look alike)."""
    user, body_errors = ref("User"), (400, 401, 403, 409, 413, 415, 429)
    paths: dict[str, dict[str, Any]] = {} if not options.totp else {
        "/mfa/totp": {
            "post": operation("Start TOTP enrolment (password re-entered): the secret, its otpauth URI, a QR code",
                              {"type": "object", "required": ["secret", "otpauthUri", "qrSvg"],
                               "additionalProperties": False,
                               "properties": {"secret": STRING, "otpauthUri": STRING, "qrSvg": STRING}},
                              body_errors, body={"type": "object", "required": ["password"],
                                                 "properties": {"password": STRING}}),
            "delete": operation("Turn TOTP off (password and a code or recovery code)", user, body_errors,
                                body=_factor("password", password=STRING))},
        "/mfa/totp/confirm": {"post": operation(
            "Turn TOTP on with its first code; the ten recovery codes are shown this once", RECOVERY_CODES,
            body_errors, body={"type": "object", "required": ["code"], "properties": {"code": CODE}})},
        "/mfa/recovery-codes": {"post": operation(
            "Replace the recovery codes (password and a code or recovery code); shown this once", RECOVERY_CODES,
            body_errors, body=_factor("password", password=STRING))},
        "/login/mfa": {"post": operation(
            "The second step of a login: the mfaToken of POST /login and a code or recovery code",
            {"type": "object", "required": ["user", "token"], "properties": {"user": user, "token": STRING}},
            (400, 401, 413, 415, 429), security=[], body=_factor("mfaToken", mfaToken=STRING))},
    }
    if not options.no_user_management:
        paths["/users/{userId}/mfa"] = {"delete": operation(
            "Remove a user's second factors (a lost phone)",
            {"type": "object", "required": ["userId", "reset"], "additionalProperties": False,
             "properties": {"userId": {"type": "string"}, "reset": {"const": True}}},
            (401, 403, 404), parameters=[USER_ID])}
    return paths
