"""The tokens the mail flows send, the links that carry them, and the throttle on every mail-flow
endpoint.

A token is 256 random bits; only its SHA-256 is stored, with its purpose, its user and a binding: a
fingerprint of the user's credential and address when it was issued. Taking it from the store is
atomic (single use), and a token whose binding no longer matches is void, so changing the password
or the address voids every token issued before, without a write to the token store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from frappyauth.core.errors import InvalidTokenError
from frappyauth.core.mailer import Outbox
from frappyauth.core.minting import hash_secret, new_secret
from frappyauth.core.models import MailToken, User
from frappyauth.core.protocols import MailTokenStore
from frappyauth.core.context import ServiceContext
from frappyauth.core.languages import profile_language
from frappyauth.core.sessions import PURGE_INTERVAL
from frappyauth.core.throttle import Throttle

PASSWORD_RESET, EMAIL_VERIFICATION, EMAIL_CHANGE, EMAIL_SIGN_IN = (
    "password_reset",
    "email_verification",
    "email_change",
    "email_sign_in",
)
NEW_DEVICE = "new_device"  # the "this wasn't me" link of a new-device alert (`new_devices`)
# The purposes whose tokens are bound to the address and credential (`binding_of`): void after a
# change of either. A new-device alert's link is not: it must outlive what an intruder changes.
BOUND_PURPOSES = (PASSWORD_RESET, EMAIL_VERIFICATION, EMAIL_CHANGE, EMAIL_SIGN_IN)
NEW_DEVICE_LINK_LIFETIME = 7 * 24 * 60 * 60  # seconds: an alert may be read days later
# What `{action}` in `frontend_url` becomes, per purpose: the page of the front end that takes the
# token.
ACTIONS = {
    PASSWORD_RESET: "reset-password",
    EMAIL_VERIFICATION: "verify-email",
    EMAIL_CHANGE: "confirm-email",
    NEW_DEVICE: "report-sign-in",
    EMAIL_SIGN_IN: "email-sign-in",
}


def binding_of(user: User) -> str:
    """A fingerprint of what a token was issued for: it changes when the password or the address
    changes.

    The credential version changes with every password change or reset (and not with a hash
    upgrade at login); a user stored before versions existed has none, and is bound by the
    password hash instead."""
    credential = user.credential_version or f"hash:{user.password_hash}"
    return hash_secret(f"{credential}\x00{user.email_key or ''}")


@dataclass(frozen=True)
class MailTokens:
    """Issues, redeems and links mailed tokens; throttles the endpoints; queues the mail."""

    context: ServiceContext
    limiter: Throttle
    outbox: Outbox
    _next_purge: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_next_purge", self.context.clock() + PURGE_INTERVAL)

    @property
    def store(self) -> MailTokenStore:
        store = self.context.stores.mail_tokens
        if store is None:  # resolved whenever a mail flow is on, and only then are these built
            raise RuntimeError("frappyauth's mail flows need a mail-token store.")
        return store

    def issue(self, user: User, purpose: str, email: str) -> str:
        """Store a new token for `user` and `purpose`, sent to `email`; return the token (for the
        link only)."""
        now, token = self.context.clock(), new_secret()
        self.store.create(
            MailToken(
                token_hash=hash_secret(token),
                purpose=purpose,
                user_id=user.id,
                email=email,
                binding=binding_of(user),
                created_at=now,
                expires_at=now + self.lifetime(purpose),
            )
        )
        self._purge_now_and_then(now)
        return token

    def _purge_now_and_then(self, now: datetime) -> None:
        """Remove expired tokens once per interval, as `Sessions` does with sessions, so a
        process-local store does not grow without end (in MongoDB a TTL index does it too).

        Expired tokens are never redeemed anyway; this is garbage collection. Two threads may both
        purge at the turn of an interval, which is harmless.
        """
        if now >= self._next_purge:
            object.__setattr__(self, "_next_purge", now + PURGE_INTERVAL)
            self.store.purge_expired(now)

    def redeem(self, token: str, purpose: str) -> tuple[MailToken, User]:
        """Use up the token; return it with its user. `InvalidTokenError` for a token that is
        unknown, used, expired, of another purpose, of a deleted user, or void since the password
        or address changed."""
        taken = self.store.take(hash_secret(token), purpose, self.context.clock())
        user = None if taken is None else self.context.stores.users.get(taken.user_id)
        if taken is None or user is None or binding_of(user) != taken.binding:
            raise InvalidTokenError()
        return taken, user

    def link(self, token: str, purpose: str) -> str:
        template = self.context.options.frontend_url or ""
        return template.replace("{action}", ACTIONS[purpose]).replace("{token}", token)

    def lifetime(self, purpose: str) -> timedelta:
        options = self.context.options
        seconds = {
            PASSWORD_RESET: options.reset_token_lifetime,
            EMAIL_VERIFICATION: options.verification_token_lifetime,
            EMAIL_CHANGE: options.email_change_token_lifetime,
            NEW_DEVICE: NEW_DEVICE_LINK_LIFETIME,
        }[purpose]
        return timedelta(seconds=seconds)

    def send(self, kind: str, to: str, user: User | None, **context: Any) -> None:
        """Queue a message; the templates get `username`, `email` and the given context."""
        username = user.username if user else None
        language = self.language(user)
        self.outbox.submit(
            kind, to, {"username": username, "email": to, "language": language, **context}
        )

    def language(self, user: User | None) -> str | None:
        """The language of a message to `user`: the profile's choice, else the current request's
        (asked now, on the request's thread)."""
        return profile_language(user) or self.outbox.composer.request_language()

    def send_link(self, kind: str, user: User, purpose: str, email: str, **extra: Any) -> None:
        """Queue the message that carries a link; its token is issued on the outbox's thread, so
        storing it costs the request no time (asking for an account that exists takes as long as
        for one that does not). The token is bound to `user` as it was now: a password change
        before it is issued voids it. `extra` is more context for the templates."""
        hours = self.lifetime(purpose).total_seconds() / 3600  # the templates say it in words
        language = self.language(user)

        def context() -> dict[str, Any]:
            link = self.link(self.issue(user, purpose, email), purpose)
            return {
                "username": user.username,
                "email": email,
                "link": link,
                "expires_in_hours": hours,
                "language": language,
                **extra,
            }

        self.outbox.submit(kind, email, context)

    def throttle(self, endpoint: str, remote_addr: str | None, *accounts: str) -> None:
        """Count one request to `endpoint` (see `Throttle.limit_requests`): counted before
        acting."""
        self.limiter.limit_requests(endpoint, remote_addr, *accounts)
