"""The in-process store of linked provider identities."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from datetime import datetime

from frappyauth.core.models import LinkedIdentity


class MemoryIdentityStore:
    """Links by id, and their ids by (issuer, subject) pair, behind one lock: a link checks the
    pair and stores under it in one step, so of concurrent links of one pair one is stored."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: dict[str, LinkedIdentity] = {}
        self._by_pair: dict[tuple[str, str], str] = {}

    def link(self, identity: LinkedIdentity) -> LinkedIdentity:
        pair = (identity.issuer, identity.subject)
        with self._lock:
            existing = self._by_pair.get(pair)
            if existing is not None:
                return self._links[existing]
            if identity.identity_id in self._links:
                raise ValueError("A link with that identity id exists.")
            self._links[identity.identity_id] = identity
            self._by_pair[pair] = identity.identity_id
            return identity

    def find(self, issuer: str, subject: str) -> LinkedIdentity | None:
        if not (isinstance(issuer, str) and isinstance(subject, str)):
            return None
        with self._lock:
            identity_id = self._by_pair.get((issuer, subject))
            return None if identity_id is None else self._links[identity_id]

    def get(self, user_id: str, identity_id: str) -> LinkedIdentity | None:
        with self._lock:
            identity = self._links.get(identity_id) if isinstance(identity_id, str) else None
        return identity if identity is not None and identity.user_id == user_id else None

    def list_for_user(self, user_id: str) -> list[LinkedIdentity]:
        with self._lock:
            found = [link for link in self._links.values() if link.user_id == user_id]
        return sorted(found, key=lambda link: (link.created_at, link.identity_id))

    def counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        wanted = set(user_ids)
        counts: dict[str, int] = {}
        with self._lock:
            for link in self._links.values():
                if link.user_id in wanted:
                    counts[link.user_id] = counts.get(link.user_id, 0) + 1
        return counts

    def touch(
        self, identity_id: str, last_used_at: datetime, email: str | None, email_verified: bool
    ) -> bool:
        with self._lock:
            identity = self._links.get(identity_id) if isinstance(identity_id, str) else None
            if identity is None:
                return False
            self._links[identity_id] = dataclasses.replace(
                identity, last_used_at=last_used_at, email=email, email_verified=email_verified
            )
            return True

    def delete(self, user_id: str, identity_id: str) -> bool:
        with self._lock:
            identity = self._links.get(identity_id) if isinstance(identity_id, str) else None
            if identity is None or identity.user_id != user_id:
                return False
            self._forget(identity)
            return True

    def delete_for_user(self, user_id: str) -> int:
        with self._lock:
            doomed = [link for link in self._links.values() if link.user_id == user_id]
            for identity in doomed:
                self._forget(identity)
            return len(doomed)

    def _forget(self, identity: LinkedIdentity) -> None:
        del self._links[identity.identity_id]
        del self._by_pair[(identity.issuer, identity.subject)]
