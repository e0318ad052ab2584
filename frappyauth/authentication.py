"""Logging in and out, and recognising a request's session token or API key."""
from __future__ import annotations

import logging
from datetime import datetime

from frappyauth.context import AuthContext, Identity, seconds_until
from frappyauth.errors import AuthenticationError, InvalidCredentialsError, TooManyAttemptsError
from frappyauth.models import Session, User, username_key
from frappyauth.tokens import hash_secret, new_secret

log = logging.getLogger("frappyauth")


class Authenticator:
    """Sessions for one app: every decision here, persistence in the stores."""

    def __init__(self, context: AuthContext) -> None:
        self._context = context

    def login(self, username: str, password: str, remote_addr: str | None) -> tuple[User, str]:
        """Return the user and a new session token; raise `InvalidCredentialsError` or `TooManyAttemptsError`.

        An unknown username costs one dummy bcrypt check and is answered like a wrong password. After
        `max_failed_logins` consecutive failures every attempt, right or wrong, is refused until the lockout
        ends, so the throttle cannot be used to test passwords.
        """
        context, key, now = self._context, username_key(username), self._context.clock()
        counter = context.users.get_failed_logins(key, now)
        if counter is not None and counter.count >= context.options.max_failed_logins:
            log.warning("login throttled for a username from %s", remote_addr)
            raise TooManyAttemptsError(retry_after=seconds_until(counter.expires_at, now))
        user = context.users.get_by_username(key)
        # Verify even without a user (against a dummy hash): both answers must take the same time.
        password_is_right = context.hasher.verify(password, None if user is None else user.password_hash)
        if user is None or not password_is_right:
            context.users.record_failed_login(key, now, now + context.seconds(context.options.lockout_seconds))
            log.warning("login failed for user %s from %s", user.id if user else "(unknown)", remote_addr)
            raise InvalidCredentialsError()
        if counter is not None:
            context.users.clear_failed_logins(key)
        user = self._upgrade_hash(user, password)
        token = self.start_session(user, now)
        log.info("login succeeded for user %s from %s", user.id, remote_addr)
        return user, token

    def start_session(self, user: User, now: datetime) -> str:
        token = new_secret()
        expires_at = now + self._context.seconds(self._context.options.token_expiration)
        self._context.tokens.create(Session(token_hash=hash_secret(token), user_id=user.id, created_at=now,
                                            expires_at=expires_at))
        return token

    def identify_token(self, token: str) -> Identity:
        """Return who holds this session token; raise `AuthenticationError` if it is unknown or expired."""
        session = self._context.tokens.get(hash_secret(token), self._context.clock())
        user = None if session is None else self._context.users.get(session.user_id)
        if session is None or user is None:
            raise AuthenticationError("The session is invalid or has expired.")
        return Identity(user=user, session=session)

    def identify_api_key(self, api_key: str) -> Identity:
        """Return whose API key this is; raise `AuthenticationError` if it belongs to nobody."""
        user = self._context.users.get_by_api_key_hash(hash_secret(api_key)) if self._context.options.api_keys else None
        if user is None:
            raise AuthenticationError("The API key is invalid.")
        return Identity(user=user, session=None)

    def logout(self, identity: Identity, remote_addr: str | None) -> None:
        if identity.session is not None:
            self._context.tokens.delete(identity.session.token_hash)
        log.info("logout of user %s from %s", identity.user.id, remote_addr)

    def _upgrade_hash(self, user: User, password: str) -> User:
        """Replace a legacy MD5 or a cheaper bcrypt hash, now that the password is known to be right."""
        if not self._context.hasher.needs_rehash(user.password_hash):
            return user
        upgraded = self._context.users.set_password_hash(user.id, self._context.hasher.hash(password))
        log.info("password hash of user %s upgraded to bcrypt cost %d", user.id, self._context.hasher.cost)
        return upgraded or user
