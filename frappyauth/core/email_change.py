"""Changing one's address with a confirmation link sent to the new one (option `email_change`).

The address changes only when the link is followed, which proves the new mailbox; the old address
gets a notice, so a hijacked session cannot quietly move an account away. Asking answers alike
whether the new address is free or taken (a taken one gets a notice instead of a link).
"""

from __future__ import annotations

from dataclasses import dataclass

from frappyauth.core import signals
from frappyauth.core.addresses import email_key, normalise_email
from frappyauth.core.errors import PermissionDeniedError
from frappyauth.core.mail_tokens import BOUND_PURPOSES, EMAIL_CHANGE, MailTokens
from frappyauth.core.models import Actor, User


@dataclass(frozen=True)
class EmailChange:
    tokens: MailTokens

    def request(self, user: User, password: str, email: str, actor: Actor) -> None:
        """Send a confirmation link to the new address and a notice to the old one, after the
        password."""
        context = self.tokens.context
        address = normalise_email(email)
        # Per target mailbox too: many accounts must not flood one address with confirmation links.
        self.tokens.throttle(
            "email_change", actor.remote_addr, f"account:{user.id}", f"mailbox:{email_key(address)}"
        )
        current = context.stores.users.get(user.id) or user
        if not context.hasher.verify(password, current.password_hash):
            raise PermissionDeniedError("The password is wrong.")
        if (
            current.email is not None
        ):  # whether the new address is free or taken: no tell in one's own mailbox
            self.tokens.send("email_change_requested", current.email, current, new_email=address)
        holder = context.stores.users.get_by_email(email_key(address))
        if holder is not None and holder.id != current.id:
            self.tokens.send("email_in_use", address, None)
            return
        self.tokens.send_link("confirm_email_change", current, EMAIL_CHANGE, address)

    def confirm(self, token: str, actor: Actor) -> User:
        """Move the token's user to the address it was sent to, verified; `DuplicateEmailError` if
        another user took that address meanwhile, `InvalidTokenError` for a bad token."""
        context = self.tokens.context
        self.tokens.throttle("email_change_confirm", actor.remote_addr)
        taken, user = self.tokens.redeem(token, EMAIL_CHANGE)
        updated = (
            context.stores.users.set_email(user.id, taken.email, email_key(taken.email), True)
            or user
        )
        for purpose in BOUND_PURPOSES:  # their bindings name the old address: void anyway
            self.tokens.store.delete_for_user(user.id, purpose)
        context.events.announce(signals.email_changed, user_id=user.id, actor=actor)
        return updated
