"""Logging in and out, recognising a request's session token or API key, and a user's sessions."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from frappyauth import signals
from frappyauth.context import AuthContext, Identity, seconds_until
from frappyauth.errors import AuthenticationError, InvalidCredentialsError, NotFoundError, TooManyAttemptsError
from frappyauth.events import announce
from frappyauth.models import Session, User, username_key
from frappyauth.passwords import check_length_cap
from frappyauth.tokens import hash_secret, new_secret, new_session_id

MAX_USER_AGENT_LENGTH = 256
PURGE_INTERVAL = timedelta(minutes=10)  # expired sessions are removed at most this often (TTL does it in MongoDB)


class SessionNotFoundError(NotFoundError):
    code, message = "session_not_found", "No such session."


class Authenticator:
    """Sessions for one app: every decision here, persistence in the stores."""

    def __init__(self, context: AuthContext) -> None:
        self._context = context
        options = context.options
        # Computed once: identify_token runs on every authenticated request.
        self._lifetime = timedelta(seconds=options.token_expiration)
        self._lockout = timedelta(seconds=options.lockout_seconds)
        self._idle_timeout = None if options.idle_timeout is None else timedelta(seconds=options.idle_timeout)
        self._touch_after = timedelta(seconds=options.last_used_interval)
        self._next_purge = context.clock() + PURGE_INTERVAL

    def login(self, username: str, password: str, user_agent: str | None = None,
              remote_addr: str | None = None) -> tuple[User, str]:
        """Return the user and a new session token; raise `InvalidCredentialsError` or `TooManyAttemptsError`.

        An unknown username costs one dummy bcrypt check and is answered like a wrong password. After
        `max_failed_logins` consecutive failures every attempt, right or wrong, is refused until the lockout
        ends, so the throttle cannot be used to test passwords.
        """
        context, key, now = self._context, username_key(username), self._context.clock()
        check_length_cap(password, context.options.password_max_length)  # 400 before any hashing
        counter = context.users.get_failed_logins(key, now)
        if counter is not None and counter.count >= context.options.max_failed_logins:
            announce(signals.login_throttled, user_id=None, level=logging.WARNING)
            raise TooManyAttemptsError(retry_after=seconds_until(counter.expires_at, now))
        user = context.users.get_by_username(key)
        # Verify even without a user (against a dummy hash): both answers must take the same time.
        password_is_right = context.hasher.verify(password, None if user is None else user.password_hash)
        if user is None or not password_is_right:
            context.users.record_failed_login(key, now, now + self._lockout)
            announce(signals.login_failed, user_id=user.id if user else None, level=logging.WARNING)
            raise InvalidCredentialsError()
        if counter is not None:
            context.users.clear_failed_logins(key)
        user = self._upgrade_hash(user, password)
        token = self._start_session(user, now, user_agent, remote_addr)
        self._purge_now_and_then(now)
        announce(signals.login_succeeded, user_id=user.id, actor=user.id)
        return user, token

    def identify_token(self, token: str) -> Identity:
        """Return who holds this session token; raise `AuthenticationError` if it is unknown, expired or idle.

        "Last used" is written only when it is older than `last_used_interval`, so most requests write nothing.
        """
        now = self._context.clock()
        session = self._context.tokens.get(hash_secret(token), now)
        if session is not None and self._idle_timeout is not None and now - session.last_used_at >= self._idle_timeout:
            self._context.tokens.delete(session.token_hash)
            session = None
        user = None if session is None else self._context.users.get(session.user_id)
        if session is None or user is None:
            raise AuthenticationError("The session is invalid or has expired.")
        if now - session.last_used_at >= self._touch_after:
            self._context.tokens.touch(session.token_hash, now)
        return Identity(user=user, session=session)

    def identify_api_key(self, api_key: str) -> Identity:
        """Return whose API key this is; raise `AuthenticationError` if it belongs to nobody."""
        user = self._context.users.get_by_api_key_hash(hash_secret(api_key)) if self._context.options.api_keys else None
        if user is None:
            raise AuthenticationError("The API key is invalid.")
        return Identity(user=user, session=None)

    def logout(self, identity: Identity) -> None:
        if identity.session is not None:
            self._context.tokens.delete(identity.session.token_hash)
        announce(signals.logged_out, user_id=identity.user.id, actor=identity.user.id)

    def sessions_of(self, user_id: str) -> list[Session]:
        """The user's active sessions, newest first."""
        return self._context.tokens.list_for_user(user_id, self._context.clock())

    def end_session(self, user_id: str, session_id: str, actor: str) -> None:
        """End one of the user's sessions; raise `SessionNotFoundError` if the user has no such session."""
        if not self._context.tokens.delete_by_id(user_id, session_id):
            raise SessionNotFoundError()
        announce(signals.session_revoked, user_id=user_id, actor=actor, count=1)

    def end_sessions(self, user_id: str, actor: str, keep: Session | None = None) -> int:
        """End all the user's sessions but `keep`; return how many ended."""
        count = self._context.tokens.delete_for_user(user_id, keep_token_hash=keep.token_hash if keep else None)
        announce(signals.session_revoked, user_id=user_id, actor=actor, count=count)
        return count

    def _start_session(self, user: User, now: datetime, user_agent: str | None, remote_addr: str | None) -> str:
        token = new_secret()
        self._context.tokens.create(Session(
            token_hash=hash_secret(token), session_id=new_session_id(), user_id=user.id, created_at=now,
            last_used_at=now, expires_at=now + self._lifetime,
            user_agent=user_agent[:MAX_USER_AGENT_LENGTH] if user_agent else None, remote_addr=remote_addr))
        return token

    def _purge_now_and_then(self, now: datetime) -> None:
        """Remove expired sessions once per interval, so a process-local store does not grow without end.

        Expired sessions are never accepted anyway; this is garbage collection. Two threads may both purge
        at the turn of an interval, which is harmless.
        """
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL
            self._context.tokens.purge_expired(now)

    def _upgrade_hash(self, user: User, password: str) -> User:
        """Replace a legacy MD5 or a cheaper bcrypt hash, now that the password is known to be right."""
        if not self._context.hasher.needs_rehash(user.password_hash):
            return user
        upgraded = self._context.users.set_password_hash(user.id, self._context.hasher.hash(password))
        return upgraded or user
