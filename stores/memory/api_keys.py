"""The in-process API-key store: `register_endpoints`' default for a user store that brings none."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from datetime import datetime

from frappyauth.core.errors import ApiKeyNameTakenError
from frappyauth.core.models import ApiKey, User
from frappyauth.core.protocols import RoleStore, UserStore, resolve_roles


class MemoryApiKeyStore:
    """Keys by id behind one lock for writes, with indexes by hash and by user.

    `create` counts and inserts under the lock, so concurrent creates cannot pass the limit
    together. Reads by hash (every request made with a key) take no lock: a record is immutable and
    each index entry is set or removed by one dictionary assignment.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKey] = {}
        self._by_hash: dict[str, ApiKey] = {}
        self._ids_by_user: dict[str, set[str]] = {}

    def create(self, key: ApiKey, limit: int, now: datetime) -> bool:
        with self._lock:
            for expired in [k for k in self._of_user(key.user_id) if k.expired(now)]:
                self._remove(expired.key_id)
            held = self._of_user(key.user_id)
            if any(k.name == key.name for k in held):
                raise ApiKeyNameTakenError()
            if len(held) >= limit:
                return False
            self._refuse_duplicate(key)
            self._insert(key)
            return True

    def replace(self, key: ApiKey, now: datetime) -> ApiKey | None:
        with self._lock:
            old = next(
                (
                    k
                    for k in self._of_user(key.user_id)
                    if k.name == key.name and not k.expired(now)
                ),
                None,
            )
            if old is None:
                return None
            self._remove(old.key_id)
            try:
                self._refuse_duplicate(key)
            except ValueError:
                self._insert(old)
                raise
            self._insert(key)
            return old

    def get_by_hash(self, key_hash: str, now: datetime) -> ApiKey | None:
        found = self.get_by_hash_with_user(key_hash, now, None)
        return None if found is None else found[0]

    def get_by_hash_with_user(
        self,
        key_hash: str,
        now: datetime,
        users: UserStore | None,
        roles: RoleStore | None = None,
    ) -> tuple[ApiKey, User | None] | None:
        try:
            key = self._by_hash.get(key_hash)
        except TypeError:  # not a string, nor anything hashable: no key has it
            return None
        # `expired`, inline: this runs on every request made with a key.
        if key is None or (key.expires_at is not None and key.expires_at <= now):
            return None
        return key, None if users is None else resolve_roles(users.get(key.user_id), roles)

    def list_for_user(self, user_id: str, now: datetime) -> list[ApiKey]:
        with self._lock:
            keys = [k for k in self._of_user(user_id) if not k.expired(now)]
        return sorted(keys, key=lambda k: k.created_at, reverse=True)

    def holders(self, name: str, user_ids: Sequence[str], now: datetime) -> set[str]:
        with self._lock:
            return {
                user_id
                for user_id in user_ids
                if any(k.name == name and not k.expired(now) for k in self._of_user(user_id))
            }

    def delete(self, user_id: str, key_id: str, now: datetime) -> bool:
        with self._lock:
            key = self._keys.get(key_id) if isinstance(key_id, str) else None
            if key is None or key.user_id != user_id:
                return False
            self._remove(key_id)
            return not key.expired(now)

    def delete_for_user(self, user_id: str, now: datetime) -> int:
        with self._lock:
            keys = self._of_user(user_id)
            for key in keys:
                self._remove(key.key_id)
            return sum(not key.expired(now) for key in keys)

    def touch(self, key_id: str, last_used_at: datetime) -> bool:
        with self._lock:
            key = self._keys.get(key_id) if isinstance(key_id, str) else None
            if key is not None:
                touched = dataclasses.replace(key, last_used_at=last_used_at)
                self._keys[key_id] = self._by_hash[key.key_hash] = touched
            return key is not None

    def _refuse_duplicate(self, key: ApiKey) -> None:
        if key.key_hash in self._by_hash or key.key_id in self._keys:
            raise ValueError("An API key with that hash or id exists.")

    def _insert(self, key: ApiKey) -> None:
        self._keys[key.key_id] = self._by_hash[key.key_hash] = key
        self._ids_by_user.setdefault(key.user_id, set()).add(key.key_id)

    def _of_user(self, user_id: str) -> list[ApiKey]:
        return [self._keys[key_id] for key_id in self._ids_by_user.get(user_id, ())]

    def _remove(self, key_id: str) -> None:
        key = self._keys.pop(key_id)
        del self._by_hash[key.key_hash]
        ids = self._ids_by_user[key.user_id]
        ids.discard(key_id)
        if not ids:
            del self._ids_by_user[key.user_id]
