"""The OpenAPI document and the body parser agree (issue 24 §6, from the schemathesis run): the
document says which object keys are refused, and a body the document forbids is refused."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from frappyauth.core.mailer import LoggingMailer
from frappyauth.core.options import build_options
from frappyauth.web.flows import ALL_ENDPOINTS
from frappyauth.web.openapi import openapi_document
from http_support import ADMIN_PASSWORD, auth, login

PREFIX = "/api/user"
EVERY_FLOW = {
    "api_keys": True,
    "allow_own_profile_edit": True,
    "totp": True,
    "passkeys": True,
    "passwordless": True,
    "registration": True,
    "email_verification": "optional",
    "password_reset": True,
    "email_change": True,
    "frontend_url": "https://app.example/{action}?token={token}",
}


def object_schemas(schema: Any) -> Iterator[dict[str, Any]]:
    """Every schema inside `schema` (itself included) that allows an object."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "object" or (isinstance(kind, list) and "object" in kind):
            yield schema
        for value in schema.values():
            yield from object_schemas(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from object_schemas(value)


def request_bodies() -> list[tuple[str, dict[str, Any]]]:
    paths = openapi_document(build_options(EVERY_FLOW), ALL_ENDPOINTS)["paths"]
    return [
        (f"{method.upper()} {path}", operation["requestBody"]["content"]["application/json"])
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]


def test_every_object_of_a_request_body_says_which_keys_are_refused() -> None:
    bodies = request_bodies()
    assert len(bodies) > 20
    for name, content in bodies:
        schemas = list(object_schemas(content["schema"]))
        assert schemas, name
        for schema in schemas:
            pattern = schema.get("propertyNames", {}).get("pattern")
            assert pattern is not None, (name, schema)
            for refused in ("$ne", "a.b", "a\x00b", "$"):
                assert re.search(pattern, refused) is None, (name, refused)
            for allowed in ("username", "mfaToken", "a$b", "é", ""):
                assert re.search(pattern, allowed) is not None, (name, allowed)


@pytest.fixture
def mail_app(make_app) -> Flask:
    return make_app(mailer=LoggingMailer(io.StringIO()), **EVERY_FLOW)


@pytest.mark.parametrize(
    "sent",
    [
        {"email": None, "username": "0"},
        {"email": "ann@example.org", "username": None},
        {"email": None},
        {"username": None},
    ],
)
def test_password_reset_refuses_a_null_field(mail_app: Flask, sent: dict[str, Any]) -> None:
    answer = mail_app.test_client().post(f"{PREFIX}/password-reset", json=sent)
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == "bad_request"


@pytest.mark.parametrize("sent", [{"email": {}}, {"email": None}, {"email": ["a@example.org"]}])
@pytest.mark.parametrize("signed_in", [False, True])
def test_resend_refuses_an_address_that_is_no_string(
    mail_app: Flask, sent: dict[str, Any], signed_in: bool
) -> None:
    client = mail_app.test_client()
    headers = auth(login(client, "admin", ADMIN_PASSWORD)) if signed_in else {}
    answer = client.post(f"{PREFIX}/verify-email/resend", json=sent, headers=headers)
    assert answer.status_code == 400, answer.get_json()
