"""The OpenAPI operations of passkeys, for `openapi.openapi_document` (option `passkeys`)."""
from __future__ import annotations

from typing import Any

STRING = {"type": "string", "minLength": 1}
NAME = {"type": "string", "minLength": 1, "maxLength": 100}
PASSKEY_ID = {"name": "passkeyId", "in": "path", "required": True, "schema": {"type": "string"}}
CREDENTIAL = {"type": "object", "description": "The PublicKeyCredential of navigator.credentials, as JSON "
                                               "(base64url for its binary fields)."}
OPTIONS = {"type": "object", "description": "The options for navigator.credentials, as JSON (base64url), "
                                            "with a new single-use challenge."}
PASSKEY = {"type": "object", "required": ["id", "name", "createdAt", "lastUsedAt"], "additionalProperties": False,
           "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                          "createdAt": {"type": "string", "format": "date-time"},
                          "lastUsedAt": {"type": ["string", "null"], "format": "date-time"}}}
MFA_TOKEN = {"type": "object", "properties": {"mfaToken": STRING}}


def passkey_operations(operation: Any, ref: Any) -> dict[str, dict[str, Any]]:
    """The paths and operations; `operation` and `ref` are `openapi`'s builders (so errors look alike)."""
    errors, login_errors = (400, 401, 403, 409, 413, 415), (400, 401, 413, 415, 429)
    return {
        "/passkeys/register/options": {"post": operation(
            "Options to register a passkey", OPTIONS, errors, body={"type": "object"})},
        "/passkeys/register": {"post": operation(
            "Register a passkey under a name", PASSKEY, errors,
            body={"type": "object", "required": ["name", "credential"],
                  "properties": {"name": NAME, "credential": CREDENTIAL}})},
        "/passkeys": {"get": operation(
            "The caller's passkeys", {"type": "object", "required": ["passkeys"], "additionalProperties": False,
                                      "properties": {"passkeys": {"type": "array", "items": PASSKEY}}}, (401, 403))},
        "/passkeys/{passkeyId}": {
            "post": operation("Rename one of the caller's passkeys", PASSKEY, (*errors, 404), parameters=[PASSKEY_ID],
                              body={"type": "object", "required": ["name"], "properties": {"name": NAME}}),
            "delete": operation("Remove one of the caller's passkeys",
                                {"type": "object", "required": ["id", "deleted"], "additionalProperties": False,
                                 "properties": {"id": {"type": "string"}, "deleted": {"const": True}}},
                                (401, 403, 404), parameters=[PASSKEY_ID])},
        "/passkeys/login/options": {"post": operation(
            "Options to log in with a passkey: with the mfaToken of POST /login, or (passwordless) without",
            OPTIONS, login_errors, security=[], body=MFA_TOKEN)},
        "/passkeys/login": {"post": operation(
            "Log in with a passkey: the second step after POST /login, or (passwordless) the only one",
            {"type": "object", "required": ["user", "token"], "properties": {"user": ref("User"), "token": STRING}},
            login_errors, security=[], body={"type": "object", "required": ["credential"],
                                             "properties": {"mfaToken": STRING, "credential": CREDENTIAL}})},
    }
