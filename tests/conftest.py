"""Shared fixtures: every store fixture is parametrized over `backends.BACKENDS`."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import bcrypt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from backends import BACKEND_PARAMS, BACKENDS, Backend
from frappyauth.core.protocols import (
    ApiKeyStore,
    AttemptStore,
    AuditStore,
    IdentityStore,
    DeviceStore,
    MailTokenStore,
    MfaStore,
    RoleStore,
    SessionStore,
    TrustedDeviceStore,
    UserStore,
)
from http_support import ADMIN_PASSWORD, USER_PASSWORD, Clock, SecretLedger, auth, build_app, login
from smtp_support import FRONTEND_URL, HOST, SmtpServer
from frappyauth.core.mailer import SmtpMailer

pytest_plugins = ["oidc_support", "github_shape"]  # the sign-in providers' fixtures

# Instants in the future: mongomock runs TTL deletion on the real clock and would drop past-dated
# documents.
NOW = datetime(2100, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=1)


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param]


@pytest.fixture
def database(backend: Backend) -> Iterator[Any]:
    with backend.database() as db:
        yield db


@pytest.fixture
def user_store(backend: Backend, database: Any) -> UserStore:
    return backend.user_store(database)


@pytest.fixture
def token_store(backend: Backend, database: Any) -> SessionStore:
    return backend.token_store(database)


@pytest.fixture
def api_key_store(backend: Backend, database: Any) -> ApiKeyStore:
    return backend.api_key_store(database)


@pytest.fixture
def mail_token_store(backend: Backend, database: Any) -> MailTokenStore:
    return backend.mail_token_store(database)


@pytest.fixture
def attempt_store(backend: Backend, database: Any) -> AttemptStore:
    return backend.attempt_store(database)


@pytest.fixture
def audit_store(backend: Backend, database: Any) -> AuditStore:
    return backend.audit_store(database)


@pytest.fixture
def identity_store(backend: Backend, database: Any) -> IdentityStore:
    return backend.identity_store(database)


@pytest.fixture
def device_store(backend: Backend, database: Any) -> DeviceStore:
    return backend.device_store(database)


@pytest.fixture
def role_store(backend: Backend, database: Any) -> RoleStore:
    return backend.role_store(database)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a loopback port, plain text, no login."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_mail_app(make_app: Any, smtp_server: SmtpServer, mail_token_store: MailTokenStore) -> Any:
    """Apps with mail flows, sending through the SMTP mailer to `smtp_server`, tokens in this
    backend's store."""

    def build(**options: Any) -> Flask:
        mailer = SmtpMailer(HOST, smtp_server.port, from_address="auth@example.org", timeout=5)
        return make_app(
            mailer=mailer, mail_token_store=mail_token_store, frontend_url=FRONTEND_URL, **options
        )

    return build


@pytest.fixture
def mfa_store(backend: Backend, database: Any) -> MfaStore:
    return backend.mfa_store(database)


@pytest.fixture
def trusted_device_store(backend: Backend, database: Any) -> TrustedDeviceStore:
    return backend.trusted_device_store(database)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def ledger(user_store: UserStore, caplog: pytest.LogCaptureFixture) -> Iterator[SecretLedger]:
    """Fails the test if any secret it used shows in a response body or a `frappyauth` log line."""
    caplog.set_level(logging.DEBUG, logger="frappyauth")
    ledger = SecretLedger()
    yield ledger
    for record in caplog.get_records("setup") + caplog.get_records("call"):
        ledger.responses.append((f"log line {record.getMessage()!r}", record.getMessage(), ""))
    assert ledger.leaks(user_store) == []


@pytest.fixture
def make_app(
    user_store: UserStore,
    token_store: SessionStore,
    api_key_store: ApiKeyStore,
    mfa_store: MfaStore,
    attempt_store: AttemptStore,
    audit_store: AuditStore,
    identity_store: IdentityStore,
    device_store: DeviceStore,
    clock: Clock,
    ledger: SecretLedger,
) -> Any:
    """Apps sharing this test's stores; each call builds another app instance on them."""
    return lambda **options: build_app(
        user_store,
        token_store,
        clock,
        ledger,
        api_key_store=api_key_store,
        mfa_store=mfa_store,
        attempt_store=attempt_store,
        audit_store=audit_store,
        identity_store=identity_store,
        device_store=device_store,
        **options,
    )


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(api_keys=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin_token(client: FlaskClient) -> str:
    return login(client, "admin", ADMIN_PASSWORD)


@pytest.fixture
def user_token(app: Flask, client: FlaskClient, admin_token: str) -> str:
    """A second user, `bob`, with the `view` permission, logged in on a client of its own."""
    response = client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin_token),
    )
    assert response.status_code == 200
    return login(app.test_client(), "bob", USER_PASSWORD)


@pytest.fixture
def bcrypt_checks(monkeypatch) -> list[int]:
    """Counts bcrypt verifications (Django's method); it wraps, it does not change the cost."""
    calls: list[int] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(1)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep each phase's report on the test, so fixtures can tell at teardown whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per skip reason, with its count, instead of a line per skipping test and place (a
    run without MongoDB skips hundreds of tests for one reason): pytest.ini's `-r` leaves out `s`.
    """
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = Counter(_skip_reason(report) for report in skipped)
    terminalreporter.section("skipped, by reason")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:5d}  {reason}")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")
