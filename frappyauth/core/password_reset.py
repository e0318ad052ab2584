"""A forgotten password, reset by a link sent by mail (option `password_reset`).

Asking answers alike whether an account matched or not: the same answer, no mail-server time on the
request path (the outbox sends), and throttle counters keyed by what was asked for, not by what was
found. Confirming is account recovery, with an administrator's reset semantics: every session and
API key of the user ended, the login throttle cleared; and it proves the address, so it counts as
verification.
"""

from __future__ import annotations

from dataclasses import dataclass

from frappyauth.core import signals
from frappyauth.core.accounts import Accounts
from frappyauth.core.addresses import email_key, normalise_email
from frappyauth.core.errors import BadRequestError
from frappyauth.core.mail_tokens import PASSWORD_RESET, MailTokens
from frappyauth.core.models import Actor, User
from frappyauth.core.usernames import capped_username_key


@dataclass(frozen=True)
class PasswordReset:
    tokens: MailTokens
    accounts: Accounts

    def request(self, email: str | None, username: str | None, actor: Actor) -> None:
        """Send a reset link to the account with this address (or username), if there is one with an
        address.

        Raises only for malformed input or the throttle, never for a missing account.
        """
        users = self.tokens.context.stores.users
        if (email is None) == (username is None):
            raise BadRequestError("Give either an email address or a username.")
        if email is not None:
            key = email_key(normalise_email(email))
            self.tokens.throttle("password_reset", actor.remote_addr, f"account:{key}")
            user = users.get_by_email(key)
        else:
            key = capped_username_key(username or "")
            self.tokens.throttle("password_reset", actor.remote_addr, f"account:{key}")
            user = users.get_by_username(key)
        if user is not None and user.email_key is not None and user.email is not None:
            self.tokens.send_link("password_reset", user, PASSWORD_RESET, user.email)
        self.tokens.context.events.announce(
            signals.password_reset_requested,
            user_id=user.id if user is not None else None,
            actor=actor,
        )

    def confirm(self, token: str, password: str, actor: Actor) -> User:
        """Set the password of the token's user with recovery semantics; `InvalidTokenError` for a
        bad token.

        The password is checked first, so a too-short one does not use the token up.
        """
        self.accounts.check_new_password(password)
        self.tokens.throttle("password_reset_confirm", actor.remote_addr)
        taken, user = self.tokens.redeem(token, PASSWORD_RESET)
        # The administrator's reset is account recovery: every session and API key ends, the
        # throttle clears.
        updated = self.accounts.reset_password(user.id, password, actor, password_checked=True)
        if not updated.email_verified and updated.email_key == email_key(taken.email):
            users = self.tokens.context.stores.users
            updated = users.set_email(updated.id, updated.email, updated.email_key, True) or updated
            self._forget_identities_linked_before_proof(updated, actor)
        self.tokens.store.delete_for_user(updated.id, PASSWORD_RESET)
        self.tokens.send("password_was_reset", taken.email, updated)  # ASVS 2.5.5: tell the owner
        self.tokens.context.events.announce(signals.password_reset, user_id=updated.id, actor=actor)
        return updated

    def _forget_identities_linked_before_proof(self, user: User, actor: Actor) -> None:
        """This reset first proved the address: provider identities linked before may be those of
        whoever registered it (a trojan identifier). The owner links their own again."""
        identities = self.tokens.context.stores.identities
        if identities is not None and identities.delete_for_user(user.id):
            self.tokens.context.events.announce(
                signals.identity_unlinked, user_id=user.id, actor=actor
            )
