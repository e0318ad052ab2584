"""The SMTP mailer against a real SMTP server (plain, STARTTLS, TLS, login), the logging mailer,
templates an app overrides, the CLI's test mail, and the mail options' checks."""

from __future__ import annotations

import io
import logging
import ssl
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from frappyauth import register_endpoints
from frappyauth.core.mailer import LoggingMailer, MailMessage, Outbox, SmtpMailer
from frappyauth.stores.memory import MemoryUserStore
from frappyauth.web.mail_templates import TemplateComposer
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, login
from smtp_support import (
    FRONTEND_URL,
    HOST,
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    delivered,
    parts,
    self_signed_certificate,
)

MESSAGE = MailMessage(
    to="ann@example.org", subject="Hello", text="plain part", html="<p>html part</p>"
)


@pytest.fixture
def tls_server(tmp_path: Path) -> Any:
    server = SmtpServer(tls_files=self_signed_certificate(tmp_path))
    yield server
    server.stop()


def trusting(server: SmtpServer) -> ssl.SSLContext:
    assert server.tls_files is not None
    return ssl.create_default_context(cafile=str(server.tls_files[0]))


def test_a_plain_server_gets_both_parts_and_the_headers(smtp_server: SmtpServer) -> None:
    SmtpMailer(HOST, smtp_server.port, from_address="auth@example.org").send(MESSAGE)
    message = smtp_server.last()
    assert (message["From"], message["To"], message["Subject"]) == (
        "auth@example.org",
        "ann@example.org",
        "Hello",
    )
    assert parts(message) == ("plain part\n", "<p>html part</p>\n")


def test_starttls_with_login(tls_server: SmtpServer) -> None:
    tls_server.start(require_starttls=True, auth_required=True)
    SmtpMailer(
        HOST,
        tls_server.port,
        starttls=True,
        username=SMTP_USER,
        password=SMTP_PASSWORD,
        ssl_context=trusting(tls_server),
    ).send(MESSAGE)
    assert tls_server.inbox.logins == [SMTP_USER] and parts(tls_server.last())[0] == "plain part\n"


@pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS"
)  # it is TLS: the whole socket
def test_tls_from_the_start_with_login(tls_server: SmtpServer) -> None:
    tls_server.start(
        implicit_tls=True, auth_required=True, auth_require_tls=False
    )  # aiosmtpd: TLS is the socket
    SmtpMailer(
        HOST,
        tls_server.port,
        tls=True,
        username=SMTP_USER,
        password=SMTP_PASSWORD,
        ssl_context=trusting(tls_server),
    ).send(MESSAGE)
    assert tls_server.inbox.logins == [SMTP_USER]


def test_an_untrusted_certificate_is_refused(tls_server: SmtpServer) -> None:
    tls_server.start(require_starttls=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpMailer(HOST, tls_server.port, starttls=True).send(MESSAGE)  # the system's trust store
    assert tls_server.inbox.messages == []


def test_a_wrong_login_fails_and_is_logged_without_the_password(
    tls_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """aiosmtpd answers smtplib's fallback mechanism after a refused login with silence: the
    timeout ends it."""
    tls_server.start(require_starttls=True, auth_required=True)
    mailer = SmtpMailer(
        HOST,
        tls_server.port,
        starttls=True,
        username=SMTP_USER,
        password="a wrong smtp password",
        ssl_context=trusting(tls_server),
        timeout=1,
    )
    outbox = Outbox(mailer, StaticComposer())
    outbox.submit("test", "ann@example.org", {})
    outbox.wait_until_sent()
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.startswith("mail test not sent: SMTP") for line in lines), lines
    assert not any(
        "a wrong smtp password" in line for line in lines
    ) and "a wrong smtp" not in repr(mailer)
    assert tls_server.inbox.messages == [] and tls_server.inbox.logins == []


def test_tls_and_starttls_together_are_a_mistake() -> None:
    with pytest.raises(ValueError):
        SmtpMailer("mail.example.org", tls=True, starttls=True)


class StaticComposer:
    def compose(self, kind: str, to: str, context: dict[str, Any]) -> MailMessage:
        return MailMessage(to=to, subject=kind, text="text", html="<p>html</p>", kind=kind)

    def request_language(self) -> str | None:
        return None


def test_the_logging_mailer_prints_the_message_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    LoggingMailer(stream).send(
        MailMessage("ann@example.org", "Reset", "open https://x/?token=abc", "<p/>")
    )
    assert "ann@example.org" in stream.getvalue() and "https://x/?token=abc" in stream.getvalue()
    assert caplog.records == []


def test_an_app_template_overrides_the_built_in_one_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "frappyauth" / "mail").mkdir(parents=True)
    (tmp_path / "frappyauth" / "mail" / "password_reset.txt").write_text(
        '{% set subject = "Your Acme password" %}Acme: {{ link }}'
    )
    composer = TemplateComposer(Flask("acme", template_folder=str(tmp_path)))
    message = composer.compose(
        "password_reset",
        "ann@example.org",
        {"username": "<ann>", "link": "https://a/?token=t", "expires_in_hours": 1},
    )
    assert (message.subject, message.text) == ("Your Acme password", "Acme: https://a/?token=t")
    assert (
        "&lt;ann&gt;" in message.html and "<ann>" not in message.html
    )  # the built-in HTML part, escaped


@pytest.mark.parametrize(
    "hours, words", [(1.0, "1 hour"), (24.0, "24 hours"), (0.5, "30 minutes"), (1.5, "90 minutes")]
)
def test_a_links_lifetime_reads_as_words(hours: float, words: str) -> None:
    """Not "within 1.0 hours": the core passes the hours, the templates say them in words."""
    composer = TemplateComposer(Flask("plain"))
    for kind in ("password_reset", "verify_email", "confirm_email_change"):
        context = {"username": "ann", "email": "a@example.org", "link": "https://a/?token=t"}
        message = composer.compose(kind, "a@example.org", {**context, "expires_in_hours": hours})
        assert f"within {words}:" in message.text and f"within {words}:" in message.html, kind


def test_every_built_in_kind_has_both_parts_and_a_subject() -> None:
    composer = TemplateComposer(Flask("plain"))
    context = {
        "username": "ann",
        "email": "ann@example.org",
        "link": "https://a/?token=t",
        "expires_in_hours": 1,
        "new_email": "new@example.org",
    }
    for kind in (
        "password_reset",
        "verify_email",
        "already_registered",
        "confirm_email_change",
        "email_change_requested",
        "email_in_use",
        "password_was_reset",
        "test",
    ):
        message = composer.compose(kind, "ann@example.org", context)
        assert message.subject and message.text.strip() and message.html.strip(), kind


def test_the_cli_sends_a_test_mail_or_says_why_not(
    make_mail_app: Any, smtp_server: SmtpServer
) -> None:
    app = make_mail_app(password_reset=True)
    result = app.test_cli_runner().invoke(args=["frappyauth", "send-test-email", "ops@example.org"])
    assert result.exit_code == 0 and "sent to ops@example.org" in result.output
    assert smtp_server.last()["Subject"] == "frappyauth test message"
    smtp_server.stop()
    failed = app.test_cli_runner().invoke(args=["frappyauth", "send-test-email", "ops@example.org"])
    assert failed.exit_code == 1 and "Not sent: ConnectionRefusedError" in failed.output
    bad = app.test_cli_runner().invoke(args=["frappyauth", "send-test-email", "not an address"])
    assert bad.exit_code == 1 and "not a valid email address" in bad.output


def test_the_cli_without_mail_flows_says_so(make_app: Any) -> None:
    result = (
        make_app()
        .test_cli_runner()
        .invoke(args=["frappyauth", "send-test-email", "ops@example.org"])
    )
    assert result.exit_code == 1 and "No mail flow is on" in result.output


@pytest.mark.parametrize(
    "options, mailer, complaint",
    [
        ({"password_reset": True, "frontend_url": FRONTEND_URL}, None, "need a mailer"),
        ({"password_reset": True}, LoggingMailer(), "'frontend_url' is needed"),
        (
            {"registration": True, "frontend_url": "/account?token={token}"},
            LoggingMailer(),
            "absolute http(s) URL",
        ),
        (
            {"email_change": True, "frontend_url": "https://app.example/"},
            LoggingMailer(),
            "containing '{token}'",
        ),
        (
            {"email_verification": "yes", "frontend_url": FRONTEND_URL},
            LoggingMailer(),
            "'required', 'optional'",
        ),
    ],
)
def test_mail_options_are_checked_at_registration(
    options: dict, mailer: Any, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        register_endpoints(Flask("x"), MemoryUserStore(), options_override=options, mailer=mailer)


def test_with_every_mail_option_off_the_seed_is_unchanged(make_app: Any) -> None:
    app = make_app()
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    for path in (
        "/register",
        "/verify-email",
        "/verify-email/resend",
        "/password-reset",
        "/password-reset/confirm",
        "/email",
        "/email/confirm",
    ):
        response = client.post(f"/api/user{path}", json={})
        assert (response.status_code, response.get_json()["error"]) == (404, "feature_disabled"), (
            path
        )
    created = client.post(
        "/api/user/users",
        json={"username": "ann", "password": "ann's password!", "email": "Not An Address"},
        headers=auth(token),
    )
    assert (
        created.get_json()["email"] == "Not An Address"
        and "emailVerified" not in created.get_json()
    )
    twin = client.post(
        "/api/user/users",
        json={"username": "bob", "password": "bob's password!", "email": "Not An Address"},
        headers=auth(token),
    )
    assert twin.status_code == 200
    assert app.extensions["frappyauth"].services.mail is None


def test_the_demo_reset_mail_reaches_the_logging_mailer(make_app: Any) -> None:
    stream = io.StringIO()
    app = make_app(mailer=LoggingMailer(stream), password_reset=True, frontend_url=FRONTEND_URL)
    client = app.test_client()
    client.post(
        "/api/user/users",
        json={"username": "ann", "password": "ann's password!", "email": "ann@example.org"},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    client.post("/api/user/password-reset", json={"email": "ann@example.org"})
    delivered(app)
    assert "https://app.example/account/reset-password?token=" in stream.getvalue()


def test_a_reset_link_of_a_quarter_hour_says_15_minutes(make_app) -> None:
    """The core passes the lifetime as it is: rounded to a tenth of an hour, 15 minutes read 12."""
    out = io.StringIO()
    app = make_app(
        mailer=LoggingMailer(out),
        password_reset=True,
        reset_token_lifetime=900,
        frontend_url="https://app.example/{action}?token={token}",
    )
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users",
        json={"username": "ann", "password": USER_PASSWORD, "email": "ann@example.org"},
        headers=auth(admin),
    )
    assert (
        client.post("/api/user/password-reset", json={"email": "ann@example.org"}).status_code
        == 200
    )
    delivered(app)
    assert "within 15 minutes:" in out.getvalue()
