"""The OpenAPI vocabulary every endpoint declaration uses: shared schemas and one way to write an
operation."""

from __future__ import annotations

from typing import Any

Operation = dict[str, Any]  # one OpenAPI operation object

STRING = {"type": "string", "minLength": 1}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
MFA_STATUS = {
    "type": "object",
    "required": ["totp", "passkeys"],
    "additionalProperties": False,
    "properties": {"totp": {"type": "boolean"}, "passkeys": {"type": "integer", "minimum": 0}},
}
MFA_REQUIRED = {
    "type": "object",
    "required": ["mfaRequired", "mfaToken", "methods"],
    "additionalProperties": False,
    "properties": {
        "mfaRequired": {"const": True},
        "mfaToken": STRING,
        "methods": {"type": "array", "items": {"type": "string"}},
    },
}
SESSION_SECURITY: list[dict[str, list[str]]] = [{"token": []}, {"bearer": []}, {"cookie": []}]

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "additionalProperties": False,
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "User": {
        "type": "object",
        "required": ["_id", "id", "username", "permissions", "profile", "hasApiKey"],
        "additionalProperties": False,
        "properties": {
            "_id": {"type": "string"},
            "id": {"type": "string"},
            "username": {"type": "string"},
            "permissions": {"type": "array", "items": {"type": "string"}},
            "profile": {"type": "object"},
            "email": {"type": "string"},
            "hasApiKey": {"type": "boolean"},
            "emailVerified": {"type": "boolean"},
            "mfa": MFA_STATUS,
            "roles": {"type": "array", "items": {"type": "string"}},
            "effectivePermissions": {"type": "array", "items": {"type": "string"}},
            "suspended": {"type": "boolean"},
            "suspendedAt": NULLABLE_DATE_TIME,
            "createdAt": NULLABLE_DATE_TIME,
            "passwordChangedAt": NULLABLE_DATE_TIME,
            "lastLoginAt": NULLABLE_DATE_TIME,
            "loginCount": {"type": "integer", "minimum": 0},
            "lastLoginAddress": NULLABLE_STRING,
        },
    },
    "Role": {
        "type": "object",
        "required": ["name", "permissions"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "permissions": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Session": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "createdAt",
            "lastUsedAt",
            "expiresAt",
            "userAgent",
            "remoteAddr",
            "current",
        ],
        "properties": {
            "id": {"type": "string"},
            "createdAt": DATE_TIME,
            "lastUsedAt": DATE_TIME,
            "expiresAt": DATE_TIME,
            "userAgent": NULLABLE_STRING,
            "remoteAddr": NULLABLE_STRING,
            "current": {"type": "boolean"},
            "impersonated": {"const": True},
        },
    },
    "Sessions": {
        "type": "object",
        "required": ["sessions"],
        "additionalProperties": False,
        "properties": {
            "sessions": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}
        },
    },
    "ApiKey": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "scopes", "createdAt", "lastUsedAt", "expiresAt"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "scopes": {"type": ["array", "null"], "items": {"type": "string"}},
            "createdAt": DATE_TIME,
            "lastUsedAt": NULLABLE_DATE_TIME,
            "expiresAt": NULLABLE_DATE_TIME,
        },
    },
    "ApiKeys": {
        "type": "object",
        "required": ["keys"],
        "additionalProperties": False,
        "properties": {"keys": {"type": "array", "items": {"$ref": "#/components/schemas/ApiKey"}}},
    },
}
SCHEMAS["NewApiKey"] = {
    **SCHEMAS["ApiKey"],
    "required": [*SCHEMAS["ApiKey"]["required"], "apiKey"],
    "properties": {**SCHEMAS["ApiKey"]["properties"], "apiKey": STRING},
}

SECURITY_SCHEMES = {
    "token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": (
            "A session token from POST /login, as the whole header (frappyflaskauth's form)."
        ),
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token from POST /login, or an API key of the `fak_` form.",
    },
    "cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "Authorization",
        "description": (
            "The HttpOnly cookie POST /login sets; writes must come from an allowed origin."
        ),
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": (
            "`Token <key>` with a key from POST /keys or /key, where an endpoint allows API keys."
        ),
    },
}

ERROR_DESCRIPTIONS = {
    400: "Malformed input",
    401: "No valid credentials",
    403: "Not allowed",
    404: "No such user, session or API key",
    409: "Conflict",
    413: "Body too large",
    415: "Body not JSON",
    429: "Too many attempts or requests",
    503: "Store unavailable",
}


# What `bodies` refuses in any object of a body (MongoDB gives `$`-prefixed and dotted keys meanings
# of their own, and refuses NUL): no key starting with `$`, none with a `.` or a NUL. Without a
# lookahead, so that every JSON Schema dialect (and schemathesis' generator) reads it.
STORABLE_KEY = {
    "pattern": "^(?:[^$.\\u0000][^.\\u0000]*)?$",
    "description": "Object keys must not start with '$' or contain '.' or NUL characters.",
}


def refusing_unstorable_keys(schema: Any) -> Any:
    """A copy of a request body's schema in which every object schema says, with `propertyNames`,
    which keys the body parser refuses (see `bodies._check_structure`)."""
    if isinstance(schema, list):
        return [refusing_unstorable_keys(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copied = {name: refusing_unstorable_keys(value) for name, value in schema.items()}
    kind = schema.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        copied.setdefault("propertyNames", STORABLE_KEY)
    return copied


def obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def closed(required: list[str], **properties: Any) -> dict[str, Any]:
    """An object with exactly these properties: what an answer carries, and nothing else."""
    return {**obj(required, **properties), "additionalProperties": False}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def operation(
    summary: str,
    ok: dict[str, Any],
    errors: tuple[int, ...],
    body: dict[str, Any] | None = None,
    security: list[dict[str, list[str]]] | None = SESSION_SECURITY,
    parameters: list[dict[str, Any]] | None = None,
    ok_status: int = 200,
) -> Operation:
    """One operation: JSON in (if `body`), `ok` out with `ok_status`, and the error statuses it
    can answer."""
    responses: dict[str, Any] = {
        str(ok_status): {
            "description": "OK" if ok_status == 200 else "Accepted",
            "content": {"application/json": {"schema": ok}},
        }
    }
    for status in sorted({*errors, 503}):
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": responses,
        "security": security or [],
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refusing_unstorable_keys(body)}},
        }
    if parameters:
        operation["parameters"] = parameters
    return operation


def redirect_operation(
    summary: str, errors: tuple[int, ...], *parameters: dict[str, Any]
) -> Operation:
    """An operation a browser navigates to: a 302 with `Location`, or a JSON error."""
    redirecting = operation(summary, {}, errors, security=[], parameters=list(parameters) or None)
    del redirecting["responses"]["200"]
    redirecting["responses"]["302"] = {
        "description": "Redirect",
        "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
    }
    return redirecting
