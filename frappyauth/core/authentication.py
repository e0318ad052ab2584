"""Logging in and out, recognising a request's session token or API key, and a user's sessions."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from frappyauth.core import signals
from frappyauth.core.authorization import check_email_verified
from frappyauth.core.api_keys import ApiKeys
from frappyauth.core.errors import AuthenticationError, BadRequestError, InvalidCredentialsError, SessionNotFoundError
from frappyauth.core.events import announce
from frappyauth.core.models import Actor, Identity, Session, User, username_key
from frappyauth.core.passwords import check_length_cap
from frappyauth.core.minting import hash_secret, new_secret, new_session_id
from frappyauth.core.runtime import Runtime
from frappyauth.core.throttle import Throttle

if TYPE_CHECKING:  # the second factor's module needs the `mfa` extra; it is passed in only when enabled
    from frappyauth.core.mfa import Mfa

MAX_USER_AGENT_LENGTH = 256
PURGE_INTERVAL = timedelta(minutes=10)  # expired sessions are removed at most this often (TTL does it in MongoDB)
MAX_USERNAME_LENGTH = 150


def check_username_length(username: str) -> None:
    """The creation cap, on the given and the normalised form, before a name is hashed, counted or stored:
    NFKC expands some characters 18-fold, so a short request could otherwise make a huge counter key."""
    if len(username) > MAX_USERNAME_LENGTH or len(username_key(username)) > MAX_USERNAME_LENGTH:
        raise BadRequestError(f"The username must have at most {MAX_USERNAME_LENGTH} characters.")


class Authenticator:
    """Sessions for one app: every decision here, persistence in the stores."""

    def __init__(self, runtime: Runtime, second_factor: Mfa | None = None) -> None:
        self._runtime = runtime
        self._second_factor = second_factor
        options = runtime.options
        # Computed once: identify_token runs on every authenticated request, where each attribute lookup and
        # call counts (the runtime is frozen, so these stay its own).
        self._clock, self._sessions, self._users = runtime.clock, runtime.sessions, runtime.users
        self._api_keys = ApiKeys(runtime)
        self._lifetime = timedelta(seconds=options.token_expiration)
        self._throttle = Throttle(runtime)
        self._idle_timeout = None if options.idle_timeout is None else timedelta(seconds=options.idle_timeout)
        self._touch_after = timedelta(seconds=options.last_used_interval)
        self._next_purge = runtime.clock() + PURGE_INTERVAL

    def login(self, username: str, password: str, user_agent: str | None = None,
              remote_addr: str | None = None) -> tuple[User, str]:
        """Return the user and a new session token; raise `InvalidCredentialsError` or `TooManyAttemptsError`.

        Input is capped (400) before anything is hashed or counted; the attempt is counted (429 above a
        limit) before the password is checked. An unknown username costs one dummy bcrypt check and is
        answered like a wrong password. The session is bound to the credential version of the user record
        whose hash was verified, so a password change that wrote in the meantime voids it.
        """
        runtime = self._runtime
        check_username_length(username)
        check_length_cap(password, runtime.options.password_max_length)
        key = username_key(username)
        admission = self._throttle.admit(key, remote_addr)
        user = runtime.users.get_by_username(key)
        # Verify even without a user (against a dummy hash): both answers must take the same time.
        password_is_right = runtime.hasher.verify(password, None if user is None else user.password_hash)
        if user is None or not password_is_right:
            announce(runtime.sender, signals.login_failed, user_id=user.id if user else None,
                     actor=Actor(None, remote_addr), level=logging.WARNING)
            raise InvalidCredentialsError()
        self._throttle.succeeded(admission)
        check_email_verified(user, runtime.options)  # before any session exists
        self._upgrade_hash(user, password)
        if self._second_factor is not None:
            self._second_factor.demand(user)  # raises MfaRequiredError (no session) for a user with TOTP on
        token = self._start_session(user, admission.when, user_agent, remote_addr)
        self._purge_now_and_then(admission.when)
        announce(runtime.sender, signals.login_succeeded, user_id=user.id, actor=Actor(user.id, remote_addr))
        return user, token

    def complete_login(self, mfa_token: str, code: str | None, recovery_code: str | None,
                       user_agent: str | None = None, remote_addr: str | None = None) -> tuple[User, str]:
        """The second step of a login with a second factor (see `Mfa.complete`): the user and a new token."""
        if self._second_factor is None:
            raise InvalidCredentialsError()
        user = self._second_factor.complete(mfa_token, code, recovery_code, remote_addr)
        return user, self.open_session(user, user_agent, remote_addr)

    def open_session(self, user: User, user_agent: str | None = None, remote_addr: str | None = None) -> str:
        """A new session for a user whom a passkey (or a completed second step) proved; return its token.
        Address verification holds here as after a password: a second factor is no way around it."""
        check_email_verified(user, self._runtime.options)
        token = self._start_session(user, self._runtime.clock(), user_agent, remote_addr)
        announce(self._runtime.sender, signals.login_succeeded, user_id=user.id, actor=Actor(user.id, remote_addr))
        return token

    def identify_token(self, token: str) -> Identity:
        """Return who holds this session token; raise `AuthenticationError` if it is unknown, expired, idle,
        or made under a credential version its user no longer has (a password changed since).

        One store read (the session with its user: one round trip on MongoDB). "Last used" is written only
        when it is older than `last_used_interval`, so most requests write nothing.
        """
        now = self._clock()
        found = self._sessions.get_with_user(hash_secret(token), now, self._users)
        if found is None:
            raise AuthenticationError("The session is invalid or has expired.")
        session, user = found
        if self._idle_timeout is not None and now - session.last_used_at >= self._idle_timeout:
            self._sessions.delete(session.token_hash)
            raise AuthenticationError("The session is invalid or has expired.")
        if user is None or session.credential_version != user.credential_version:
            raise AuthenticationError("The session is invalid or has expired.")
        if now - session.last_used_at >= self._touch_after:
            self._sessions.touch(session.token_hash, now)
        return Identity(user, session)

    def identify_api_key(self, api_key: str) -> Identity:
        """Return whose API key this is, with the key's effective rights; raise `AuthenticationError` if it
        belongs to nobody, expired or was revoked (see `ApiKeys.identify`)."""
        return self._api_keys.identify(api_key)

    def logout(self, identity: Identity, actor: Actor) -> None:
        if identity.session is not None:
            self._runtime.sessions.delete(identity.session.token_hash)
        announce(self._runtime.sender, signals.logged_out, user_id=identity.user.id, actor=actor)

    def sessions_of(self, user: User) -> list[Session]:
        """The user's active sessions, newest first; those a password change voided are not active."""
        sessions = self._runtime.sessions.list_for_user(user.id, self._runtime.clock())
        return [session for session in sessions if session.credential_version == user.credential_version]

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
            user_agent=user_agent[:MAX_USER_AGENT_LENGTH] if user_agent else None, remote_addr=remote_addr,
            credential_version=user.credential_version))
        return token

    def _purge_now_and_then(self, now: datetime) -> None:
        """Remove expired sessions once per interval, so a process-local store does not grow without end.

        Expired sessions are never accepted anyway; this is garbage collection. Two threads may both purge
        at the turn of an interval, which is harmless.
        """
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL
            self._runtime.sessions.purge_expired(now)

    def _upgrade_hash(self, user: User, password: str) -> None:
        """Replace a legacy MD5 or a cheaper bcrypt hash, now that the password is known to be right.

        Only if the stored hash is still the one verified: a reset that wrote meanwhile must win, or the
        old password would work again and the new one not.
        """
        if self._runtime.hasher.needs_rehash(user.password_hash):
            new_hash = self._runtime.hasher.hash(password)
            self._runtime.users.upgrade_password_hash(user.id, user.password_hash, new_hash)

