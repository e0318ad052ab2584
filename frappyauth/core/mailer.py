"""Sending mail: the `Mailer` protocol, its two built-ins, and the outbox that sends off the request
path.

Mail is handed to an `Outbox`, whose thread delivers it, so the time a request takes never depends
on the mail server, nor on whether a message was sent at all (a reset for an unknown address sends
none). A failed delivery is logged with its cause and otherwise ignored: the answer the client saw
does not change, and the token the message carried stays valid, so asking again sends a new one.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import ssl
import sys
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from collections.abc import Callable
from typing import Any, Protocol, TextIO, Union

log = logging.getLogger("frappyauth")


@dataclass(frozen=True)
class MailMessage:
    """One message: a plain-text and an HTML part. `kind` names the template, for the log only."""

    to: str
    subject: str
    text: str
    html: str
    kind: str = "mail"


class Mailer(Protocol):
    """Delivers a message; any exception means it was not delivered (the outbox logs it and goes
    on)."""

    def send(self, message: MailMessage) -> None:
        """Deliver `message` to `message.to`, or raise."""


@dataclass
class LoggingMailer:
    """For development: writes each message's plain text to `stream` (standard error by default).

    Its output holds live links, so it never goes to the `frappyauth` logger, which must not show
    secrets.
    """

    stream: TextIO | None = None

    def send(self, message: MailMessage) -> None:
        stream = self.stream or sys.stderr
        stream.write(f"--- mail to {message.to}: {message.subject}\n{message.text}\n---\n")
        stream.flush()


@dataclass
class SmtpMailer:
    """Delivers through an SMTP server with the standard library.

    `tls=True` speaks TLS from the start (port 465); `starttls=True` upgrades a plain connection
    (port 587); both verify the server's certificate with `ssl_context` (the system's trust store by
    default). With a `username`, it logs in; the password is never logged.
    """

    host: str
    port: int = 25
    from_address: str = "frappyauth@localhost"
    starttls: bool = False
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    ssl_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        if self.tls and self.starttls:
            raise ValueError("SmtpMailer: choose tls (TLS from the start) or starttls, not both.")

    def send(self, message: MailMessage) -> None:
        context = self.ssl_context or ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            if self.tls
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        )
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.build(message))

    def build(self, message: MailMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.from_address, message.to, message.subject
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail


class MessageComposer(Protocol):
    """Renders the message of a kind (`"password_reset"`, ...) for an address from the kind's
    templates."""

    def compose(self, kind: str, to: str, context: dict[str, Any]) -> MailMessage:
        """Return the message; raise if a template is missing or fails."""

    def request_language(self) -> str | None:
        """The language the request being served on this thread asks for (`Accept-Language`), or
        `None` outside a request; asked when a message is queued, for a recipient who chose none."""


# A message's template context, or a function that makes it on the outbox's thread (minting its
# token there).
Context = Union[dict[str, Any], Callable[[], dict[str, Any]]]


class Outbox:
    """A queue of messages to compose and send, and one daemon thread that does it, in order.

    Making the context (which may store a token), composing and sending all happen on that thread: a
    request that queues a message costs the same as one that queues none, whatever the store or the
    mail server.
    """

    def __init__(self, mailer: Mailer, composer: MessageComposer) -> None:
        self.mailer = mailer
        self.composer = composer
        self._queue: queue.Queue[tuple[str, str, Context]] = queue.Queue()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, kind: str, to: str, context: Context) -> None:
        """Queue a message of `kind` for `to` and return at once."""
        self._queue.put((kind, to, context))
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._deliver_forever, name="frappyauth-outbox", daemon=True
                )
                self._thread.start()

    def send_now(self, kind: str, to: str, context: dict[str, Any]) -> None:
        """Compose and send on this thread, raising what the mailer raises (for the CLI's test
        mail)."""
        self.mailer.send(self.composer.compose(kind, to, context))

    def wait_until_sent(self) -> None:
        """Block until every queued message was handed to the mailer (delivered or failed)."""
        self._queue.join()

    def _deliver_forever(self) -> None:
        while True:
            kind, to, context = self._queue.get()
            try:
                self.send_now(kind, to, context() if callable(context) else context)
                log.info("mail %s sent", kind)
            # Whatever the mailer raises, the outbox goes on.
            except Exception as error:  # noqa: BLE001
                log.warning("mail %s not sent: %s: %s", kind, type(error).__name__, error)
            finally:
                self._queue.task_done()
