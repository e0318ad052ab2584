"""The in-process session store: `register_endpoints`' default when no session store is given."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime

from frappyauth.core.models import Session, User
from frappyauth.core.protocols import RoleStore, UserStore, resolve_roles


class MemorySessionStore:
    """Sessions by token hash, with a per-user index so revoking a user's sessions is O(their
    sessions)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._hash_by_id: dict[str, str] = {}
        self._hashes_by_user: dict[str, set[str]] = {}

    def create(self, session: Session) -> None:
        with self._lock:
            if session.token_hash in self._sessions or session.session_id in self._hash_by_id:
                raise ValueError("A session with that token hash or session id exists.")
            self._sessions[session.token_hash] = session
            self._hash_by_id[session.session_id] = session.token_hash
            self._hashes_by_user.setdefault(session.user_id, set()).add(session.token_hash)

    def get(self, token_hash: str, now: datetime) -> Session | None:
        session = self._sessions.get(token_hash) if isinstance(token_hash, str) else None
        return session if session is not None and session.expires_at > now else None

    def get_with_user(
        self, token_hash: str, now: datetime, users: UserStore, roles: RoleStore | None = None
    ) -> tuple[Session, User | None] | None:
        # Two dictionary reads, neither under a lock: a record is replaced by one assignment, never
        # changed.
        session = self._sessions.get(token_hash) if isinstance(token_hash, str) else None
        if session is None or session.expires_at <= now:
            return None
        return session, resolve_roles(users.get(session.user_id), roles)

    def delete(self, token_hash: str) -> bool:
        with self._lock:
            return self._remove(token_hash)

    def delete_for_user(self, user_id: str, keep_token_hash: str | None = None) -> int:
        with self._lock:
            doomed = self._hashes_by_user.get(user_id, set()) - {keep_token_hash}
            return sum(self._remove(token_hash) for token_hash in list(doomed))

    def purge_expired(self, now: datetime) -> int:
        with self._lock:
            expired = [h for h, session in self._sessions.items() if session.expires_at <= now]
            return sum(self._remove(token_hash) for token_hash in expired)

    def list_for_user(self, user_id: str, now: datetime) -> list[Session]:
        with self._lock:
            sessions = [self._sessions[h] for h in self._hashes_by_user.get(user_id, ())]
        return sorted(
            (s for s in sessions if s.expires_at > now), key=lambda s: s.created_at, reverse=True
        )

    def delete_by_id(self, user_id: str, session_id: str) -> bool:
        with self._lock:
            token_hash = self._hash_by_id.get(session_id)
            session = self._sessions.get(token_hash) if token_hash is not None else None
            return (
                session is not None
                and session.user_id == user_id
                and self._remove(session.token_hash)
            )

    def touch(self, token_hash: str, last_used_at: datetime) -> bool:
        return self._replace(token_hash, last_used_at=last_used_at)

    def set_credential_version(self, token_hash: str, credential_version: str) -> bool:
        return self._replace(token_hash, credential_version=credential_version)

    def _replace(self, token_hash: str, **changes: object) -> bool:
        with self._lock:
            session = self._sessions.get(token_hash) if isinstance(token_hash, str) else None
            if session is not None:
                changed = dataclasses.replace(session, **changes)  # type: ignore[arg-type]
                self._sessions[token_hash] = changed
            return session is not None

    def _remove(self, token_hash: str) -> bool:
        session = self._sessions.pop(token_hash, None)
        if session is None:
            return False
        del self._hash_by_id[session.session_id]
        hashes = self._hashes_by_user[session.user_id]
        hashes.discard(token_hash)
        if not hashes:
            del self._hashes_by_user[session.user_id]
        return True
