"""Login sessions: starting one, recognising a request's session token, listing and ending them."""

from __future__ import annotations

from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import (
    AuthenticationError,
    RecentLoginRequiredError,
    SessionNotFoundError,
    Text,
)
from frappyauth.core.minting import hash_secret, new_secret, new_session_id
from frappyauth.core.models import Actor, Identity, Session, User

MAX_USER_AGENT_LENGTH = 256
PURGE_INTERVAL = timedelta(
    minutes=10
)  # expired sessions are removed at most this often (TTL does it in MongoDB)
INVALID = Text("The session is invalid or has expired.")
# What counts as a recent login: adding or removing a passkey or a linked identity, starting an
# impersonation, and deleting one's account with a second factor but without a code, need a
# session this young. A stolen older session (without the password) cannot plant a credential that
# outlives the owner's password change.
RECENT_LOGIN = timedelta(minutes=10)


def began_recently(session: Session | None, now: datetime) -> bool:
    """Whether `session` (`None`: an API key) began within `RECENT_LOGIN` of `now`."""
    return session is not None and now - session.created_at <= RECENT_LOGIN


def proved_second_factor_recently(session: Session | None, now: datetime) -> bool:
    """Whether `session` `began_recently` with a second factor proved at its sign-in (a trusted
    device's skip proves none): what may stand in for a fresh code."""
    return began_recently(session, now) and session is not None and session.second_factor


def require_recent_login(identity: Identity, now: datetime) -> None:
    """Raise `RecentLoginRequiredError` unless the request's session `began_recently`."""
    if not began_recently(identity.session, now):
        raise RecentLoginRequiredError()


class Sessions:
    """Sessions for one app: every decision here, persistence in the session store."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        options = context.options
        # Kept as attributes: `identify` runs on every authenticated request, where each lookup
        # counts.
        self._clock, self._store, self._users = (
            context.clock,
            context.stores.sessions,
            context.stores.users,
        )
        self._lifetime = timedelta(seconds=options.token_expiration)
        self._idle_timeout = (
            None if options.idle_timeout is None else timedelta(seconds=options.idle_timeout)
        )
        self._touch_after = timedelta(seconds=options.last_used_interval)
        self._next_purge = context.clock() + PURGE_INTERVAL
        # With option `roles`, the user's roles are read with the session (same command).
        self._roles = context.stores.roles if options.roles else None

    def start(
        self,
        user: User,
        user_agent: str | None,
        remote_addr: str | None,
        *,
        second_factor: bool = False,
        impersonator_id: str | None = None,
        lifetime: timedelta | None = None,
    ) -> tuple[Session, str]:
        """Store a new session for `user`, bound to its credential version, lasting `lifetime` (by
        default `token_expiration`); return it and its token. See `Session` for `second_factor` and
        `impersonator_id`."""
        now, token = self._clock(), new_secret()
        session = Session(
            token_hash=hash_secret(token),
            session_id=new_session_id(),
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=now + (lifetime or self._lifetime),
            user_agent=user_agent[:MAX_USER_AGENT_LENGTH] if user_agent else None,
            remote_addr=remote_addr,
            credential_version=user.credential_version,
            second_factor=second_factor,
            impersonator_id=impersonator_id,
        )
        self._store.create(session)
        self._purge_now_and_then(now)
        return session, token

    def identify(self, token: str) -> Identity:
        """Return who holds this session token; raise `AuthenticationError` if it is unknown,
        expired, idle, or made under a credential version its user no longer has (a password changed
        since), or its user is suspended.

        One store read (the session with its user: one round trip on MongoDB). "Last used" is
        written only when it is older than `last_used_interval`, so most requests write nothing.
        """
        now = self._clock()
        found = (
            self._store.get_with_user(hash_secret(token), now, self._users)
            if self._roles is None  # the seed's call: a session store of its time takes 3 arguments
            else self._store.get_with_user(hash_secret(token), now, self._users, self._roles)
        )
        if found is None:
            raise AuthenticationError(INVALID)
        session, user = found
        if self._idle_timeout is not None and now - session.last_used_at >= self._idle_timeout:
            self._store.delete(session.token_hash)
            raise AuthenticationError(INVALID)
        if user is None or session.credential_version != user.credential_version:
            raise AuthenticationError(INVALID)
        if user.suspended_at is not None:  # read with the session: a session made late fails too
            raise AuthenticationError(INVALID)
        if now - session.last_used_at >= self._touch_after:
            self._store.touch(session.token_hash, now)
        return Identity(user, session)

    def logout(self, identity: Identity, actor: Actor) -> None:
        if identity.session is not None:
            self._store.delete(identity.session.token_hash)
        self._context.events.announce(signals.logged_out, user_id=identity.user.id, actor=actor)

    def of_user(self, user: User) -> list[Session]:
        """The user's active sessions, newest first; those a password change voided are not
        active."""
        sessions = self._store.list_for_user(user.id, self._clock())
        return [
            session for session in sessions if session.credential_version == user.credential_version
        ]

    def end(self, user_id: str, session_id: str, actor: Actor) -> None:
        """End one of the user's sessions; raise `SessionNotFoundError` if the user has no such
        session."""
        if not self._store.delete_by_id(user_id, session_id):
            raise SessionNotFoundError()
        self._context.events.announce(
            signals.session_revoked, user_id=user_id, actor=actor, count=1
        )

    def end_all(self, user_id: str, actor: Actor, keep: Session | None = None) -> int:
        """End all the user's sessions but `keep`, and forget the user's trusted devices; return
        how many sessions ended."""
        count = self._store.delete_for_user(
            user_id, keep_token_hash=keep.token_hash if keep else None
        )
        if self._context.stores.trusted_devices is not None:  # logging out everywhere: them too
            self._context.stores.trusted_devices.delete_for_user(user_id)
        self._context.events.announce(
            signals.session_revoked, user_id=user_id, actor=actor, count=count
        )
        return count

    def _purge_now_and_then(self, now: datetime) -> None:
        """Remove expired sessions once per interval, so a process-local store does not grow without
        end.

        Expired sessions are never accepted anyway; this is garbage collection. Two threads may both
        purge at the turn of an interval, which is harmless.
        """
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL
            self._store.purge_expired(now)
