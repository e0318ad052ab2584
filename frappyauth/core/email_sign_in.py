"""Sign-in by a code or a link sent by mail (option `email_sign_in`), a first factor like a
password.

Asking answers alike whatever the address (an account, none, an unverified one): one lookup on the
request path, the code and the link issued and mailed on the outbox's thread, throttle counters
keyed by the address asked for. A code goes only to an account's verified address (or to any
address of an app that does not verify addresses), so that nobody who registered someone else's
address can have its owner sign in to their account.

A code has 8 digits, little entropy, so it is never looked up alone: it is stored as the SHA-256 of
the address's key and the code, and each try at an address is counted atomically before any code
is checked (`attempts.increment`): after `MAX_CODE_TRIES` the code is void, and N parallel tries
check at most that many. Tries are counted like passwords too (`Throttle.admit`, 429 above its
limits). The link carries a 256-bit token. Both are single use, live `CODE_LIFETIME`, are bound to
the password and address of the moment (see `mail_tokens.binding_of`), and using either voids the
other. The sign-in then ends in `SignIn.finish` like any other: a second factor still applies.
"""

from __future__ import annotations

import hashlib
import hmac

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from frappyauth.core import signals
from frappyauth.core.addresses import email_key, normalise_email
from frappyauth.core.errors import BadRequestError, InvalidSignInCodeError
from frappyauth.core.mail_tokens import EMAIL_SIGN_IN, MailTokens, binding_of
from frappyauth.core.minting import hash_secret
from frappyauth.core.models import Actor, MailToken, User
from frappyauth.core.throttle import CODES, Admission

EMAIL_SIGN_IN_CODE = (
    "email_sign_in_code"  # the purpose of a code's record; the link's: EMAIL_SIGN_IN
)
CODE_DIGITS = 8
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_TRIES = 5  # tries at one address's code; then it is void
TRIES_PREFIX = "emailcode:"  # the attempt-store counter of tries at an address's code
MAX_TOKEN_LENGTH = 128  # ours are 43 characters; nothing longer is hashed


def code_hash(key: bytes, address_key: str, code: str) -> str:
    """What a code is stored and looked up as: bound to its address, never the code alone, and
    keyed with the app's key (HMAC-SHA-256), so a copy of the database alone gives no code."""
    message = f"frappyauth email sign-in\x00{address_key}\x00{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class EmailSignIn:
    tokens: MailTokens
    code_key: bytes = field(repr=False)

    def request(self, email: str, actor: Actor) -> None:
        """Mail a code and a link to the account with this address, if it may sign in so; answer
        alike either way. Raises only for a malformed address or the throttle."""
        key = email_key(normalise_email(email))
        self.tokens.throttle("email_sign_in", actor.remote_addr, f"account:{key}")
        user = self.tokens.context.stores.users.get_by_email(key)
        if user is not None and self._may_receive(user, key):
            self._send(user, key)
        self.tokens.context.events.announce(
            signals.email_sign_in_requested,
            user_id=user.id if user is not None else None,
            actor=actor,
        )

    def _may_receive(self, user: User, key: str) -> bool:
        verifying = self.tokens.context.options.email_verification is not None
        return (
            user.email is not None
            and user.email_key == key
            and (user.email_verified or not verifying)
        )

    def _send(self, user: User, key: str) -> None:
        """Queue the mail; its code and link are issued on the outbox's thread (no store time on
        the request path), each new pair voiding the address's earlier ones and its tries."""
        email, minutes = user.email or "", int(CODE_LIFETIME.total_seconds() // 60)

        def context() -> dict[str, object]:
            code, token = self._issue(user, key, email)
            return {
                "username": user.username,
                "email": email,
                "code": code,
                "link": self.tokens.link(token, EMAIL_SIGN_IN),
                "expires_in_minutes": minutes,
            }

        self.tokens.outbox.submit("email_sign_in", email, context)

    def _issue(self, user: User, key: str, email: str) -> tuple[str, str]:
        context, store = self.tokens.context, self.tokens.store
        self._void(user.id)
        context.stores.attempts.delete(TRIES_PREFIX + key)
        now, code = context.clock(), f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        token = secrets.token_urlsafe(32)
        for purpose, token_hash in (
            (EMAIL_SIGN_IN_CODE, code_hash(self.code_key, key, code)),
            (EMAIL_SIGN_IN, hash_secret(token)),
        ):
            store.create(
                MailToken(
                    token_hash, purpose, user.id, email, binding_of(user), now, now + CODE_LIFETIME
                )
            )
        return code, token

    def redeem(
        self, email: str | None, code: str | None, token: str | None, remote_addr: str | None
    ) -> tuple[User, Admission | None]:
        """The user an emailed code (with its address) or link token proves, and the throttle's
        admission of a code; `InvalidSignInCodeError` for anything wrong, alike (and announced as a
        failed login)."""
        if (token is None) == (code is None) or (code is not None and email is None):
            raise BadRequestError("Give either an email address and a code, or a token.")
        try:
            if token is not None:
                self.tokens.throttle("email_sign_in_confirm", remote_addr)
                if len(token) > MAX_TOKEN_LENGTH:
                    raise InvalidSignInCodeError()
                return self._taken(hash_secret(token), EMAIL_SIGN_IN), None
            return self._redeem_code(email or "", code or "", remote_addr)
        except InvalidSignInCodeError:
            self.tokens.context.events.announce(
                signals.login_failed,
                user_id=None,
                actor=Actor(None, remote_addr),
                level=logging.WARNING,
            )
            raise

    def _redeem_code(
        self, email: str, code: str, remote_addr: str | None
    ) -> tuple[User, Admission]:
        key = email_key(normalise_email(email))
        if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
            raise BadRequestError("The code has {digits} digits.", digits=CODE_DIGITS)
        admission = self.tokens.limiter.admit(f"email:{key}", remote_addr, CODES)
        now = self.tokens.context.clock()
        tries = self.tokens.context.stores.attempts.increment(
            TRIES_PREFIX + key, None, now, now + CODE_LIFETIME
        )
        if tries.count > MAX_CODE_TRIES:  # counted before checking: never more checks than this
            user = self.tokens.context.stores.users.get_by_email(key)
            if user is not None:
                self._void(user.id)
            raise InvalidSignInCodeError()
        return self._taken(code_hash(self.code_key, key, code), EMAIL_SIGN_IN_CODE), admission

    def _taken(self, token_hash: str, purpose: str) -> User:
        """Use up the code or link; void its sibling; return its user."""
        context = self.tokens.context
        taken = self.tokens.store.take(token_hash, purpose, context.clock())
        user = None if taken is None else context.stores.users.get(taken.user_id)
        if taken is None or user is None or binding_of(user) != taken.binding:
            raise InvalidSignInCodeError()
        self._void(user.id)
        if user.email_key is not None:
            context.stores.attempts.delete(TRIES_PREFIX + user.email_key)
        return user

    def _void(self, user_id: str) -> None:
        store = self.tokens.store
        store.delete_for_user(user_id, EMAIL_SIGN_IN_CODE)
        store.delete_for_user(user_id, EMAIL_SIGN_IN)
