"""schemathesis fuzzes every operation of the OpenAPI document, as an admin and as a plain user.

Each generated case (valid and invalid data alike) is sent once per identity; checks: no 5xx, and
status codes, content types, headers and bodies as the document says. CI runs `FUZZ_EXAMPLES`
(default 30) examples per operation and store: well over 1,000 requests. A long run:
`FUZZ_EXAMPLES=1000 python -m pytest tests/test_fuzzing.py`.

schemathesis' strategies drive plain Hypothesis tests here: its lazy pytest loader does not run
under pytest 9 ('Function' object has no attribute '_nodeid').
"""

from __future__ import annotations

import io
import os

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frappyauth.core.mailer import LoggingMailer
from frappyauth.web.flows import ALL_ENDPOINTS
from frappyauth.web.openapi import openapi_document
from frappyauth.core.options import build_options
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, login

pytestmark = pytest.mark.slow

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
FUZZ_OPTIONS = {
    "api_keys": True,
    "allow_own_profile_edit": True,
    "totp": True,
    "passkeys": True,
    "passwordless": True,
    "console": True,
    "audit_trail": True,
    "allow_self_delete": True,  # DELETE /me: never with the right password, so bob stays
    "new_device_alerts": True,
    "impersonation": True,
    "roles": True,
    "suspension": True,
    "login_history": True,
    "max_failed_logins": 1_000_000,  # generated logins must not lock out the identities used
    "registration": True,
    "email_verification": "optional",
    "password_reset": True,
    "email_change": True,
    "email_sign_in": True,
    "trusted_devices": True,
    "frontend_url": "https://app.example/{action}?token={token}",
    "mail_rate_limit": 1_000_000,
    # A provider that is never reached (nothing listens on port 9): its starts answer 503, its
    # callbacks redirect with an error, its exchanges refuse the code.
    "identity_providers": {
        "idp": {"issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"}
    },
    "allow_username_change": True,
    "remember_me": True,
    "refuse_common_passwords": True,
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
IDENTITIES = [("admin", ADMIN_PASSWORD), ("bob", USER_PASSWORD)]
OPERATIONS = [
    (method.upper(), path)
    for path, operations in openapi_document(build_options(FUZZ_OPTIONS), ALL_ENDPOINTS)[
        "paths"
    ].items()
    for method in operations
]
requests_sent: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def at_least_a_thousand_requests():
    yield
    if FUZZ_EXAMPLES >= 30 and len({path for path in requests_sent}) == len(OPERATIONS):
        assert len(requests_sent) >= 1000, f"only {len(requests_sent)} fuzzed requests"


@pytest.fixture
def fuzz_app(make_app) -> Flask:
    app = make_app(mailer=LoggingMailer(io.StringIO()), **FUZZ_OPTIONS)
    client = app.test_client()
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    return app


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error_and_every_response_conforms(
    fuzz_app: Flask, method: str, path: str
) -> None:
    operation = schemathesis.openapi.from_wsgi("/api/user/openapi.json", fuzz_app)[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def send(case) -> None:
        for username, password in IDENTITIES:
            token = login(
                fuzz_app.test_client(), username, password
            )  # fresh: a fuzzed logout must not starve the rest
            response = case.call(headers={"Authorization": token})
            requests_sent.append(f"{method} {path}")
            case.validate_response(response, checks=CHECKS)

    send()
