"""Self sign-up (option `registration`) and address verification (option `email_verification`).

With verification on, sign-up answers alike whether the address was free or taken: the owner of a
taken address gets a notice instead of an account, and the password is hashed either way, so neither
the answer nor its time tells an address exists. A taken username is still refused: names are
visible anyway. Without verification, sign-up answers like an administrator's create, which does
reveal taken addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frappyauth.core import signals
from frappyauth.core.accounts import Accounts
from frappyauth.core.usernames import check_username
from frappyauth.core.addresses import email_key, normalise_email
from frappyauth.core.errors import DuplicateEmailError, DuplicateUsernameError
from frappyauth.core.mail_tokens import EMAIL_VERIFICATION, MailTokens
from frappyauth.core.models import Actor, User, username_key


@dataclass(frozen=True)
class Registration:
    tokens: MailTokens
    accounts: Accounts

    @property
    def verifies(self) -> bool:
        return self.tokens.context.options.email_verification is not None

    def register(
        self, username: str, password: str, email: str, profile: dict[str, Any] | None, actor: Actor
    ) -> User | None:
        """Create an account with `default_permissions`; return it, or `None` when a verification
        mail went out instead (with verification on, whether or not the address was free)."""
        context = self.tokens.context
        check_username(username)
        self.accounts.check_new_password(password)
        address = normalise_email(email)
        key = email_key(address)
        self.tokens.throttle("register", actor.remote_addr, f"account:{key}")
        if (
            self.verifies
            and context.stores.users.get_by_username(username_key(username)) is not None
        ):
            raise DuplicateUsernameError()
        try:
            user = self.accounts.create(
                username,
                password,
                email=address,
                profile=profile,
                actor=actor,
                email_key=key,
                password_checked=True,
            )
        except DuplicateEmailError:
            if not self.verifies:
                raise
            owner = context.stores.users.get_by_email(key)
            if owner is not None:
                self.tokens.send("already_registered", address, owner)
            return None
        context.events.announce(signals.user_registered, user_id=user.id, actor=actor)
        if not self.verifies:
            return user
        self.tokens.send_link("verify_email", user, EMAIL_VERIFICATION, address)
        return None

    def verify(self, token: str, actor: Actor) -> User:
        """Mark the address the token was sent to as verified; `InvalidTokenError` for a bad
        token."""
        context = self.tokens.context
        self.tokens.throttle("verify_email", actor.remote_addr)
        _, user = self.tokens.redeem(token, EMAIL_VERIFICATION)
        verified = context.stores.users.set_email(user.id, user.email, user.email_key, True) or user
        self.tokens.store.delete_for_user(user.id, EMAIL_VERIFICATION)
        context.events.announce(signals.email_verified, user_id=user.id, actor=actor)
        return verified

    def resend(self, user: User | None, email: str | None, actor: Actor) -> None:
        """Send a new verification link to the logged-in `user`, or to the account with `email`, if
        its address is not verified yet; answer alike otherwise. Earlier links stay valid until
        one is used."""
        context = self.tokens.context
        key = user.email_key if user is not None else email_key(normalise_email(email or ""))
        self.tokens.throttle("resend_verification", actor.remote_addr, f"account:{key}")
        if user is None and key is not None:
            user = context.stores.users.get_by_email(key)
        if (
            user is not None
            and user.email is not None
            and user.email_key is not None
            and not user.email_verified
        ):
            self.tokens.send_link("verify_email", user, EMAIL_VERIFICATION, user.email)
