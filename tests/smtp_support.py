"""A real SMTP server (aiosmtpd) on a loopback port, that keeps what it receives, for the mail
tests.

Nothing mocks smtplib: the mailer under test speaks SMTP over a socket to this server. The server
can be stopped and started again on the same port, as a mail server that goes away mid-flow and
comes back.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import re
import socket
import ssl
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
FRONTEND_URL = "https://app.example/account/{action}?token={token}"
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp password 1234"
TOKEN_IN_LINK = re.compile(r"token=([A-Za-z0-9_\-]+)")


class Inbox:
    """aiosmtpd's handler: every delivered message, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


class SmtpServer:
    """One aiosmtpd server; `start(**smtp_options)` and `stop()` as often as a test needs."""

    def __init__(self, tls_files: tuple[Path, Path] | None = None) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.tls_files = tls_files
        self._controller: Controller | None = None

    def start(self, implicit_tls: bool = False, **smtp_options: Any) -> None:
        context = None
        if self.tls_files is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*map(str, self.tls_files))
        kwargs: dict[str, Any] = {"authenticator": self.inbox.authenticate, **smtp_options}
        if implicit_tls:
            kwargs["ssl_context"] = context
        elif context is not None:
            kwargs["tls_context"] = context
        self._controller = Controller(self.inbox, hostname=HOST, port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def last(self) -> EmailMessage:
        assert self.inbox.messages, "no message was delivered"
        return self.inbox.messages[-1]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.inbox.messages if message["To"] == address]


def delivered(app: Any) -> None:
    """Wait until the app's outbox handed every queued message to the mailer (sent, or failed and
    logged)."""
    app.extensions["frappyauth"].services.mail.outbox.wait_until_sent()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and the HTML part of a message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "a message needs a plain-text and an HTML part"
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def token_in(message: EmailMessage) -> str:
    """The token of the link in a message's plain-text part (the HTML part must carry the same
    link)."""
    text, html = parts(message)
    found = TOKEN_IN_LINK.search(text)
    assert found is not None, f"no link in {text!r}"
    assert found.group(0) in html
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, for the TLS tests; the client trusts it as its
    CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "frappyauth test SMTP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
