"""The OpenAPI 3.1 document of the endpoints, as the options register them; served at `{prefix}/openapi.json`."""
from __future__ import annotations

from typing import Any

from frappyauth.core.options import Options
from frappyauth.web.mfa_openapi import MFA_REQUIRED, MFA_STATUS, mfa_operations
from frappyauth.web.passkey_openapi import passkey_operations

STRING = {"type": "string", "minLength": 1}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
SESSION_SECURITY: list[dict[str, list[str]]] = [{"token": []}, {"bearer": []}, {"cookie": []}]
USER_ID = {"name": "userId", "in": "path", "required": True, "schema": {"type": "string"}}
KEY_ID = {"name": "keyId", "in": "path", "required": True, "schema": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"], "additionalProperties": False,
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "User": {"type": "object", "required": ["_id", "id", "username", "permissions", "profile", "hasApiKey"],
             "additionalProperties": False,
             "properties": {"_id": {"type": "string"}, "id": {"type": "string"}, "username": {"type": "string"},
                            "permissions": {"type": "array", "items": {"type": "string"}},
                            "profile": {"type": "object"}, "email": {"type": "string"},
                            "hasApiKey": {"type": "boolean"}, "emailVerified": {"type": "boolean"},
                            "mfa": MFA_STATUS}},
    "Session": {"type": "object", "additionalProperties": False,
                "required": ["id", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "remoteAddr", "current"],
                "properties": {"id": {"type": "string"}, "createdAt": DATE_TIME, "lastUsedAt": DATE_TIME,
                               "expiresAt": DATE_TIME, "userAgent": NULLABLE_STRING, "remoteAddr": NULLABLE_STRING,
                               "current": {"type": "boolean"}}},
    "Sessions": {"type": "object", "required": ["sessions"], "additionalProperties": False,
                 "properties": {"sessions": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}}},
    "ApiKey": {"type": "object", "additionalProperties": False,
               "required": ["id", "name", "scopes", "createdAt", "lastUsedAt", "expiresAt"],
               "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                              "scopes": {"type": ["array", "null"], "items": {"type": "string"}},
                              "createdAt": DATE_TIME, "lastUsedAt": NULLABLE_DATE_TIME,
                              "expiresAt": NULLABLE_DATE_TIME}},
    "ApiKeys": {"type": "object", "required": ["keys"], "additionalProperties": False,
                "properties": {"keys": {"type": "array", "items": {"$ref": "#/components/schemas/ApiKey"}}}},
}
SCHEMAS["NewApiKey"] = {**SCHEMAS["ApiKey"], "required": [*SCHEMAS["ApiKey"]["required"], "apiKey"],
                        "properties": {**SCHEMAS["ApiKey"]["properties"], "apiKey": STRING}}

SECURITY_SCHEMES = {
    "token": {"type": "apiKey", "in": "header", "name": "Authorization",
              "description": "A session token from POST /login, as the whole header (frappyflaskauth's form)."},
    "bearer": {"type": "http", "scheme": "bearer", "description": "A session token from POST /login."},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "Authorization",
               "description": "The HttpOnly cookie POST /login sets; writes must come from an allowed origin."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "Authorization",
               "description": "`Token <key>` with a key from POST /keys or /key, where an endpoint allows API keys."},
}

ERROR_DESCRIPTIONS = {400: "Malformed input", 401: "No valid credentials", 403: "Not allowed",
                      404: "No such user, session or API key", 409: "Conflict", 413: "Body too large",
                      415: "Body not JSON", 429: "Too many attempts or requests", 503: "Store unavailable"}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(summary: str, ok: dict[str, Any], errors: tuple[int, ...], body: dict[str, Any] | None = None,
               security: list[dict[str, list[str]]] | None = SESSION_SECURITY,
               parameters: list[dict[str, Any]] | None = None, ok_status: int = 200) -> dict[str, Any]:
    """One operation: JSON in (if `body`), `ok` out with `ok_status`, and the error statuses it can answer."""
    responses: dict[str, Any] = {str(ok_status): {"description": "OK" if ok_status == 200 else "Accepted",
                                                  "content": {"application/json": {"schema": ok}}}}
    for status in sorted({*errors, 503}):
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status],
                                  "content": {"application/json": {"schema": _ref("Error")}}}
    operation: dict[str, Any] = {"summary": summary, "responses": responses, "security": security or []}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _sessions_operations() -> dict[str, dict[str, Any]]:
    keep = {"name": "keepCurrent", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}}
    sid = {"name": "sessionId", "in": "path", "required": True, "schema": {"type": "string"}}
    deleted = _object(["deleted"], deleted={"type": "integer", "minimum": 0})
    return {
        "/sessions": {"get": _operation("The caller's active sessions", _ref("Sessions"), (401, 403)),
                      "delete": _operation("Log out everywhere (else)", deleted, (400, 401, 403), parameters=[keep])},
        "/sessions/{sessionId}": {"delete": _operation(
            "End one of the caller's sessions", _object(["sessionId", "deleted"], sessionId={"type": "string"},
                                                        deleted={"const": True}), (401, 403, 404), parameters=[sid])},
    }


def _user_management_operations() -> dict[str, dict[str, Any]]:
    user, body_errors = _ref("User"), (400, 401, 403, 404, 413, 415)
    new_user = _object(["username", "password"], username=STRING, password=STRING,
                       permissions={"type": "array", "items": STRING}, email=NULLABLE_STRING,
                       profile={"type": ["object", "null"]})
    return {
        "/users/{userId}/permissions": {"post": _operation(
            "Replace a user's permissions", user, (*body_errors, 409), parameters=[USER_ID],
            body=_object(["permissions"], permissions={"type": "array", "items": STRING}))},
        "/users/{userId}/profile": {"post": _operation("Replace a user's profile", user, body_errors,
                                                       parameters=[USER_ID], body={"type": "object"})},
        "/users/{userId}/password": {"post": _operation("Set a user's password; ends their sessions and API keys",
                                                        user, body_errors, parameters=[USER_ID],
                                                        body=_object(["password"], password=STRING))},
        "/users/{userId}": {"delete": _operation(
            "Delete a user", _object(["userId", "deleted"], userId={"type": "string"}, deleted={"const": True}),
            (401, 403, 404, 409), parameters=[USER_ID])},
        "/users/{userId}/sessions": {
            "get": _operation("A user's active sessions", _ref("Sessions"), (401, 403, 404), parameters=[USER_ID]),
            "delete": _operation("End all of a user's sessions",
                                 _object(["userId", "deleted"], userId={"type": "string"},
                                         deleted={"type": "integer", "minimum": 0}),
                                 (401, 403, 404), parameters=[USER_ID])},
        "/users": {"post": _operation("Create a user", user, (400, 401, 403, 409, 413, 415), body=new_user)},
        "/users/{userId}/unlock": {"post": _operation(
            "Clear the login throttle for a user's account, from every address",
            _object(["userId", "unlocked"], userId={"type": "string"}, unlocked={"const": True}),
            (401, 403, 404), parameters=[USER_ID])},
    }


def _core_operations() -> dict[str, dict[str, Any]]:
    status = _object(["status"], status={"const": True})
    logout = _operation("Log out: end this session and clear the cookie", status, (401, 403))
    page = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 999_999_999}}
    prefix = {"name": "q", "in": "query", "description": "only users whose name starts with this, in any case; "
              "ordered by name", "schema": {"type": "string", "maxLength": 150}}
    return {
        "/login": {"post": _operation("Log in", _object(["user", "token"], user=_ref("User"), token=STRING),
                                      (400, 401, 413, 415, 429), security=[],
                                      body=_object(["username", "password"], username=STRING, password=STRING)),
                   "delete": logout},
        "/logout": {"delete": logout},
        "": {"get": _operation("The logged-in user", _ref("User"), (401, 403))},
        "/users": {"get": _operation("A page of users", _object(
            ["users", "total"], users={"type": "array", "items": _ref("User")}, total={"type": "integer"}),
            (400, 401, 403), parameters=[page, prefix])},
        "/password": {"post": _operation(
            "Change one's own password; ends one's other sessions", _ref("User"),
            (400, 401, 403, 404, 409, 413, 415, 429),
            body=_object(["oldPassword", "newPassword"], oldPassword=STRING, newPassword=STRING))},
    }


def _api_key_operations() -> dict[str, dict[str, Any]]:
    new_key = _object(["name"], name={**STRING, "maxLength": 100},
                      scopes={"type": ["array", "null"], "items": STRING},
                      expiresIn={"type": ["integer", "null"], "minimum": 1}, expiresAt=NULLABLE_DATE_TIME)
    return {
        "/key": {"post": _operation("Replace the key named `default`; the key is shown this once",
                                    _object(["apiKey"], apiKey=STRING), (401, 403, 409)),
                 "delete": _operation("Revoke the key named `default`", _object(["apiKey"], apiKey={"type": "null"}),
                                      (401, 403))},
        "/keys": {"get": _operation("The caller's API keys", _ref("ApiKeys"), (401, 403)),
                  "post": _operation("Create an API key; the key is shown this once", _ref("NewApiKey"),
                                     (400, 401, 403, 409, 413, 415), body=new_key)},
        "/keys/{keyId}": {"delete": _operation(
            "Revoke one of the caller's API keys", _object(["id", "revoked"], id={"type": "string"},
                                                           revoked={"const": True}), (401, 403, 404),
            parameters=[KEY_ID])},
    }


def _user_api_key_operations() -> dict[str, dict[str, Any]]:
    return {
        "/users/{userId}/keys": {
            "get": _operation("A user's API keys", _ref("ApiKeys"), (401, 403, 404), parameters=[USER_ID]),
            "delete": _operation("Revoke all of a user's API keys, a legacy one included",
                                 _object(["userId", "revoked"], userId={"type": "string"},
                                         revoked={"type": "integer", "minimum": 0}),
                                 (401, 403, 404), parameters=[USER_ID])},
        "/users/{userId}/keys/{keyId}": {"delete": _operation(
            "Revoke one of a user's API keys", _object(["userId", "id", "revoked"], userId={"type": "string"},
                                                       id={"type": "string"}, revoked={"const": True}),
            (401, 403, 404), parameters=[USER_ID, KEY_ID])},
    }


def _mail_operations(options: Options) -> dict[str, dict[str, Any]]:
    """The mail flows' endpoints the options turn on: anyone may call them, except where a session is named."""
    def status(value: str) -> dict[str, Any]:
        return _object(["status"], status={"const": value})
    token, user, errors = _object(["token"], token=STRING), _ref("User"), (400, 413, 415, 429)
    verifies = options.email_verification is not None
    operations: dict[str, dict[str, Any]] = {}
    if options.registration:
        operations["/register"] = {"post": _operation(
            "Sign up", status("verification_sent") if verifies else user, (*errors, 409), security=[],
            ok_status=202 if verifies else 200,
            body=_object(["username", "password", "email"], username=STRING, password=STRING, email=STRING,
                         profile={"type": ["object", "null"]}))}
    if verifies:
        operations["/verify-email"] = {"post": _operation("Verify an address", user, errors, security=[], body=token)}
        operations["/verify-email/resend"] = {"post": _operation(
            "Send a new verification link: to the caller, or (without a session) to the account with `email`",
            status("verification_sent"), (*errors, 401, 403), security=[{}, *SESSION_SECURITY], ok_status=202,
            body=_object([], email=STRING))}
    if options.password_reset:
        operations["/password-reset"] = {"post": _operation(
            "Ask for a password-reset link, by `email` or `username`; the same answer for any account or none",
            status("reset_requested"), errors, security=[], body=_object([], email=STRING, username=STRING))}
        operations["/password-reset/confirm"] = {"post": _operation(
            "Set a new password with a reset token; ends every session and API key", user, (*errors, 404),
            security=[], body=_object(["token", "password"], token=STRING, password=STRING))}
    if options.email_change:
        operations["/email"] = {"post": _operation(
            "Ask to change one's address; a link goes to the new one", status("confirmation_sent"),
            (*errors, 401, 403), ok_status=202, body=_object(["password", "email"], password=STRING, email=STRING))}
        operations["/email/confirm"] = {"post": _operation("Confirm an address change", user, (*errors, 409),
                                                           security=[], body=token)}
    return operations


def openapi_document(options: Options) -> dict[str, Any]:
    """The document for these options: exactly the operations they register, under their prefix."""
    groups = [_core_operations(), _sessions_operations()]
    if not options.no_user_management:
        groups.append(_user_management_operations())
    if options.api_keys:
        groups.append(_api_key_operations())
    if options.api_keys and not options.no_user_management:
        groups.append(_user_api_key_operations())
    groups.append(_mail_operations(options))
    if options.totp or options.passkeys:
        groups.append(mfa_operations(options, _operation, _ref))
    if options.passkeys:
        groups.append(passkey_operations(_operation, _ref))
    paths: dict[str, dict[str, Any]] = {}
    for group in groups:
        for path, operations in group.items():
            paths.setdefault(options.api_prefix + path, {}).update(operations)
    if options.console:
        paths[options.api_prefix + "/console/"] = {"get": {"summary": "The browser console's page", "security": [],
                                                          "responses": {"200": {"description": "OK", "content": {
                                                              "text/html": {"schema": {"type": "string"}}}}}}}
    paths[options.api_prefix + "/openapi.json"] = {"get": {
        "summary": "This document", "security": [],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
    if options.totp or options.passkeys:  # a right password of a user with a second factor: no session yet
        login = paths[options.api_prefix + "/login"]["post"]["responses"]["200"]["content"]["application/json"]
        login["schema"] = {"oneOf": [login["schema"], MFA_REQUIRED]}
    return {"openapi": "3.1.0",
            "info": {"title": "frappyauth", "version": "1", "description": "User management and authentication."},
            "paths": paths, "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES}}
