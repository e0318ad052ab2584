"""The mail flows of one app, built together on one token store and one outbox."""

from __future__ import annotations

from dataclasses import dataclass

from frappyauth.core.addresses import email_key, normalise_email
from frappyauth.core.email_change import EmailChange
from frappyauth.core.email_sign_in import EmailSignIn
from frappyauth.core.mail_tokens import MailTokens
from frappyauth.core.mailer import Outbox
from frappyauth.core.password_reset import PasswordReset
from frappyauth.core.registration import Registration


@dataclass(frozen=True)
class MailFlows:
    tokens: MailTokens
    password_reset: PasswordReset
    registration: Registration
    email_change: EmailChange
    email_sign_in: EmailSignIn | None = None  # with option `email_sign_in`

    @property
    def outbox(self) -> Outbox:
        return self.tokens.outbox

    def addresses(self, email: str | None) -> tuple[str | None, str | None]:
        """An address given to an administrator's create, normalised, with its key (or two
        `None`s)."""
        if email is None:
            return None, None
        address = normalise_email(email)
        return address, email_key(address)

    def send_test(self, to: str) -> None:
        """Send the test message now, raising what the mailer raises (`flask frappyauth
        send-test-email`)."""
        self.outbox.send_now("test", normalise_email(to), {"username": None, "email": to})
