"""Logging in and out, recognising a request's session token or API key, and a user's sessions."""
from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.errors import (AuthenticationError, InvalidCredentialsError, SessionNotFoundError,
                                   TooManyAttemptsError)
from frappyauth.core.events import announce
from frappyauth.core.models import Actor, Identity, Session, User, username_key
from frappyauth.core.passwords import check_length_cap
from frappyauth.core.runtime import Runtime
from frappyauth.core.minting import hash_secret, new_secret, new_session_id

MAX_USER_AGENT_LENGTH = 256
PURGE_INTERVAL = timedelta(minutes=10)  # expired sessions are removed at most this often (TTL does it in MongoDB)


class Authenticator:
    """Sessions for one app: every decision here, persistence in the stores."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        options = runtime.options
        # Computed once: identify_token runs on every authenticated request.
        self._lifetime = timedelta(seconds=options.token_expiration)
        self._lockout = timedelta(seconds=options.lockout_seconds)
        self._idle_timeout = None if options.idle_timeout is None else timedelta(seconds=options.idle_timeout)
        self._touch_after = timedelta(seconds=options.last_used_interval)
        self._next_purge = runtime.clock() + PURGE_INTERVAL

    def login(self, username: str, password: str, user_agent: str | None = None,
              remote_addr: str | None = None) -> tuple[User, str]:
        """Return the user and a new session token; raise `InvalidCredentialsError` or `TooManyAttemptsError`.

        An unknown username costs one dummy bcrypt check and is answered like a wrong password. After
        `max_failed_logins` consecutive failures every attempt, right or wrong, is refused until the lockout
        ends, so the throttle cannot be used to test passwords.
        """
        runtime, key, now = self._runtime, username_key(username), self._runtime.clock()
        check_length_cap(password, runtime.options.password_max_length)  # 400 before any hashing
        counter = runtime.users.get_failed_logins(key, now)
        if counter is not None and counter.count >= runtime.options.max_failed_logins:
            announce(runtime.sender, signals.login_throttled, user_id=None, actor=Actor(None, remote_addr),
                     level=logging.WARNING)
            raise TooManyAttemptsError(retry_after=seconds_until(counter.expires_at, now))
        user = runtime.users.get_by_username(key)
        # Verify even without a user (against a dummy hash): both answers must take the same time.
        password_is_right = runtime.hasher.verify(password, None if user is None else user.password_hash)
        if user is None or not password_is_right:
            runtime.users.record_failed_login(key, now, now + self._lockout)
            announce(runtime.sender, signals.login_failed, user_id=user.id if user else None,
                     actor=Actor(None, remote_addr), level=logging.WARNING)
            raise InvalidCredentialsError()
        if counter is not None:
            runtime.users.clear_failed_logins(key)
        user = self._upgrade_hash(user, password)
        token = self._start_session(user, now, user_agent, remote_addr)
        self._purge_now_and_then(now)
        announce(runtime.sender, signals.login_succeeded, user_id=user.id, actor=Actor(user.id, remote_addr))
        return user, token

    def identify_token(self, token: str) -> Identity:
        """Return who holds this session token; raise `AuthenticationError` if it is unknown, expired or idle.

        "Last used" is written only when it is older than `last_used_interval`, so most requests write nothing.
        """
        now = self._runtime.clock()
        session = self._runtime.sessions.get(hash_secret(token), now)
        if session is not None and self._idle_timeout is not None and now - session.last_used_at >= self._idle_timeout:
            self._runtime.sessions.delete(session.token_hash)
            session = None
        user = None if session is None else self._runtime.users.get(session.user_id)
        if session is None or user is None:
            raise AuthenticationError("The session is invalid or has expired.")
        if now - session.last_used_at >= self._touch_after:
            self._runtime.sessions.touch(session.token_hash, now)
        return Identity(user=user, session=session)

    def identify_api_key(self, api_key: str) -> Identity:
        """Return whose API key this is; raise `AuthenticationError` if it belongs to nobody."""
        user = self._runtime.users.get_by_api_key_hash(hash_secret(api_key)) if self._runtime.options.api_keys else None
        if user is None:
            raise AuthenticationError("The API key is invalid.")
        return Identity(user=user, session=None)

    def logout(self, identity: Identity, actor: Actor) -> None:
        if identity.session is not None:
            self._runtime.sessions.delete(identity.session.token_hash)
        announce(self._runtime.sender, signals.logged_out, user_id=identity.user.id, actor=actor)

    def sessions_of(self, user_id: str) -> list[Session]:
        """The user's active sessions, newest first."""
        return self._runtime.sessions.list_for_user(user_id, self._runtime.clock())

    def end_session(self, user_id: str, session_id: str, actor: Actor) -> None:
        """End one of the user's sessions; raise `SessionNotFoundError` if the user has no such session."""
        if not self._runtime.sessions.delete_by_id(user_id, session_id):
            raise SessionNotFoundError()
        announce(self._runtime.sender, signals.session_revoked, user_id=user_id, actor=actor, count=1)

    def end_sessions(self, user_id: str, actor: Actor, keep: Session | None = None) -> int:
        """End all the user's sessions but `keep`; return how many ended."""
        count = self._runtime.sessions.delete_for_user(user_id, keep_token_hash=keep.token_hash if keep else None)
        announce(self._runtime.sender, signals.session_revoked, user_id=user_id, actor=actor, count=count)
        return count

    def _start_session(self, user: User, now: datetime, user_agent: str | None, remote_addr: str | None) -> str:
        token = new_secret()
        self._runtime.sessions.create(Session(
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
            self._runtime.sessions.purge_expired(now)

    def _upgrade_hash(self, user: User, password: str) -> User:
        """Replace a legacy MD5 or a cheaper bcrypt hash, now that the password is known to be right."""
        if not self._runtime.hasher.needs_rehash(user.password_hash):
            return user
        upgraded = self._runtime.users.set_password_hash(user.id, self._runtime.hasher.hash(password))
        return upgraded or user


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from `now` to `moment`, rounded up, at least 1: a `Retry-After` value."""
    return max(1, math.ceil((moment - now).total_seconds()))
