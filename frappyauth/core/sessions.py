"""Login sessions: starting one, recognising a request's session token, listing and ending them."""

from __future__ import annotations

from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import AuthenticationError, SessionNotFoundError
from frappyauth.core.minting import hash_secret, new_secret, new_session_id
from frappyauth.core.models import Actor, Identity, Session, User

MAX_USER_AGENT_LENGTH = 256
PURGE_INTERVAL = timedelta(
    minutes=10
)  # expired sessions are removed at most this often (TTL does it in MongoDB)
INVALID = "The session is invalid or has expired."


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

    def start(
        self,
        user: User,
        user_agent: str | None,
        remote_addr: str | None,
        lifetime: timedelta | None = None,
    ) -> tuple[Session, str]:
        """Store a new session for `user`, bound to its credential version, lasting `lifetime`
        (by default `token_expiration`); return it and its token."""
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
        )
        self._store.create(session)
        self._purge_now_and_then(now)
        return session, token

    def identify(self, token: str) -> Identity:
        """Return who holds this session token; raise `AuthenticationError` if it is unknown,
        expired, idle, or made under a credential version its user no longer has (a password changed
        since).

        One store read (the session with its user: one round trip on MongoDB). "Last used" is
        written only when it is older than `last_used_interval`, so most requests write nothing.
        """
        now = self._clock()
        found = self._store.get_with_user(hash_secret(token), now, self._users)
        if found is None:
            raise AuthenticationError(INVALID)
        session, user = found
        if self._idle_timeout is not None and now - session.last_used_at >= self._idle_timeout:
            self._store.delete(session.token_hash)
            raise AuthenticationError(INVALID)
        if user is None or session.credential_version != user.credential_version:
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
        """End all the user's sessions but `keep`; return how many ended."""
        count = self._store.delete_for_user(
            user_id, keep_token_hash=keep.token_hash if keep else None
        )
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
