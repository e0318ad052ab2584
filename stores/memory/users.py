"""A thread-safe in-memory user store."""

from __future__ import annotations

import dataclasses
import itertools
import secrets
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sortedcontainers import SortedDict

from frappyauth.core.errors import DuplicateEmailError, DuplicateUsernameError
from frappyauth.core.lookalikes import lookalike_keys
from frappyauth.core.models import User, prefix_end
from frappyauth.core.usernames import name_keys


class MemoryUserStore:
    """Users in dictionaries behind one lock.

    Lookups by id, username key and API-key hash are O(1); a page costs O(log n + page size) because
    the creation order is kept in a sorted map from a sequence number to the id, and so does a page
    of a username-prefix search, as the username keys are kept sorted too. Users are read-only
    values, their profile included (`User` makes a read-only deep copy of the dict it is given), so
    the stored record is handed out as it is: no copy per read, and nothing a caller does reaches
    the store.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, User] = {}
        self._sequence_of: dict[str, int] = {}
        self._creation_order: SortedDict = SortedDict()  # sequence number -> user id
        self._id_by_username: SortedDict = (
            SortedDict()
        )  # username key -> id, sorted for prefix searches
        # Each lookalike key (`lookalike_keys`: shown, folded) -> id, one map per kind of key; plain
        # strings, shared when both keys are equal, since at a million users tuple keys cost 200
        # bytes a user more. Only create, rename and delete touch them.
        self._ids_by_lookalike: tuple[dict[str, str], dict[str, str]] = ({}, {})
        self._id_by_api_key: dict[str, str] = {}
        self._id_by_email: dict[str, str] = {}
        self._holders: Counter[str] = Counter()  # permission -> number of users holding it
        self._suspended: set[str] = set()  # ids: while there are none, admins are counted in O(1)
        # A renamed user's old name keys -> (that user's id, until when); at most one live holder
        # per key, since a key can only be reserved by the user who held it.
        self._reservations: dict[str, tuple[str, datetime]] = {}
        self._sequence = itertools.count()

    def get(self, user_id: str) -> User | None:
        # Lock-free: a user record is only ever replaced by one dict assignment, never removed and
        # re-added. Handed out as stored, no copy: a `User` is read-only through and through.
        return self._users.get(user_id) if isinstance(user_id, str) else None

    def get_by_username(self, username_key: str) -> User | None:
        with self._lock:
            return self._lookup(self._id_by_username, username_key)

    def get_by_api_key_hash(self, api_key_hash: str) -> User | None:
        with self._lock:
            return self._lookup(self._id_by_api_key, api_key_hash)

    def get_by_email(self, email_key: str) -> User | None:
        with self._lock:
            return self._lookup(self._id_by_email, email_key)

    def create(self, user: User) -> User:
        lookalikes = _shared(
            lookalike_keys(user.username)
        )  # outside the lock: it only reads the name
        with self._lock:
            if user.username_key in self._id_by_username or any(
                key in index for index, key in zip(self._ids_by_lookalike, lookalikes)
            ):
                raise DuplicateUsernameError()
            if user.email_key is not None and user.email_key in self._id_by_email:
                raise DuplicateEmailError()
            stored = dataclasses.replace(
                user, id=self._new_id()
            )  # the profile is read-only: nothing to copy
            self._index(stored)
            for index, key in zip(self._ids_by_lookalike, lookalikes):
                index[key] = stored.id
            sequence = next(self._sequence)
            self._sequence_of[stored.id] = sequence
            self._creation_order[sequence] = stored.id
            return stored

    def list_page(self, offset: int, limit: int) -> tuple[list[User], int]:
        with self._lock:
            ids = (
                self._creation_order.values()[offset : offset + limit]
                if offset >= 0 and limit > 0
                else []
            )
            return [self._users[user_id] for user_id in ids], len(self._users)

    def list_by_username_prefix(
        self, prefix_key: str, offset: int, limit: int
    ) -> tuple[list[User], int]:
        with self._lock:
            keys = self._id_by_username
            start = keys.bisect_left(prefix_key)
            end = prefix_end(prefix_key)
            stop = len(keys) if end is None else keys.bisect_left(end)
            if offset < 0 or limit <= 0:
                return [], stop - start
            ids = keys.values()[start + offset : min(stop, start + offset + limit)]
            return [self._users[user_id] for user_id in ids], stop - start

    def count(self, permission: str | None = None) -> int:
        with self._lock:
            return len(self._users) if permission is None else self._holders[permission]

    def set_permissions(self, user_id: str, permissions: tuple[str, ...]) -> User | None:
        return self._replace(user_id, permissions=tuple(permissions))

    def set_profile(self, user_id: str, profile: dict[str, Any]) -> User | None:
        return self._replace(user_id, profile=profile)  # `User` keeps a read-only deep copy

    def set_password_hash(
        self,
        user_id: str,
        password_hash: str,
        credential_version: str,
        expected_hash: str | None = None,
        changed_at: datetime | None = None,
    ) -> User | None:
        with self._lock:
            user = self.get(user_id)
            if user is None or (expected_hash is not None and user.password_hash != expected_hash):
                return None
            changed = {} if changed_at is None else {"password_changed_at": changed_at}
            return self._replace_locked(
                user_id,
                password_hash=password_hash,
                credential_version=credential_version,
                **changed,
            )

    def upgrade_password_hash(self, user_id: str, expected_hash: str, password_hash: str) -> bool:
        with self._lock:
            user = self._users.get(user_id) if isinstance(user_id, str) else None
            if user is None or user.password_hash != expected_hash:
                return False
            self._replace_locked(user_id, password_hash=password_hash)
            return True

    def set_api_key_hash(self, user_id: str, api_key_hash: str | None) -> User | None:
        with self._lock:
            holder = self._id_by_api_key.get(api_key_hash) if api_key_hash is not None else None
            if holder is not None and holder != user_id and user_id in self._users:
                raise ValueError("That API-key hash belongs to another user.")
            return self._replace_locked(user_id, api_key_hash=api_key_hash)

    def set_email(
        self, user_id: str, email: str | None, email_key: str | None, verified: bool
    ) -> User | None:
        with self._lock:
            holder = self._id_by_email.get(email_key) if email_key is not None else None
            if holder is not None and holder != user_id and self.get(user_id) is not None:
                raise DuplicateEmailError()
            return self._replace_locked(
                user_id, email=email, email_key=email_key, email_verified=verified
            )

    def rename(
        self, user_id: str, username: str, reserve_until: datetime, now: datetime
    ) -> User | None:
        new_keys = name_keys(username)  # outside the lock: it only reads the name
        with self._lock:
            user = self._users.get(user_id) if isinstance(user_id, str) else None
            if user is None:
                return None
            held = (self._id_by_username, *self._ids_by_lookalike)
            if any(index.get(key, user_id) != user_id for index, key in zip(held, new_keys)) or (
                self._reserved_by(new_keys, now, but=user_id) is not None
            ):
                raise DuplicateUsernameError()
            old_keys = name_keys(user.username)
            self._unindex(user)
            for index, key in zip(self._ids_by_lookalike, old_keys[1:]):
                del index[key]
            for key, (holder, until) in list(self._reservations.items()):
                if holder == user_id and until <= now:
                    del self._reservations[key]
            for key in old_keys:
                self._reservations[key] = (user_id, reserve_until)
            renamed = dataclasses.replace(user, username=username)
            self._index(renamed)
            for index, key in zip(self._ids_by_lookalike, _shared(new_keys[1:])):
                index[key] = user_id
            return renamed

    def get_by_reserved_name(self, keys: Sequence[str], now: datetime) -> User | None:
        with self._lock:
            holder = self._reserved_by(keys, now)
            return None if holder is None else self._users[holder]

    def _reserved_by(self, keys: Sequence[str], now: datetime, but: str = "") -> str | None:
        """The id of a user other than `but` with a live reservation of one of `keys`."""
        for key in keys:
            holder, until = self._reservations.get(key, ("", now))
            if holder and holder != but and until > now:
                return holder
        return None

    def delete(self, user_id: str) -> bool:
        with self._lock:
            user = self._users.get(user_id) if isinstance(user_id, str) else None
            if user is None:
                return False
            self._unindex(user)
            for index, key in zip(self._ids_by_lookalike, lookalike_keys(user.username)):
                del index[key]
            for key, (holder, _) in list(self._reservations.items()):
                if holder == user_id:
                    del self._reservations[key]
            del self._users[user_id]
            del self._creation_order[self._sequence_of.pop(user_id)]
            return True

    def set_roles(self, user_id: str, roles: tuple[str, ...]) -> User | None:
        return self._replace(user_id, roles=tuple(roles))

    def remove_role(self, role: str) -> int:
        with self._lock:
            holders = [user for user in self._users.values() if role in user.roles]
            for user in holders:
                self._replace_locked(user.id, roles=tuple(r for r in user.roles if r != role))
            return len(holders)

    def count_holders(self, permission: str | None, roles: Sequence[str], active_only: bool) -> int:
        with self._lock:
            if not roles and permission is not None and not (active_only and self._suspended):
                return self._holders[permission]
            wanted = set(roles)
            return sum(
                1
                for user in self._users.values()
                if not (active_only and user.suspended_at is not None)
                and ((permission in user.permissions) or not wanted.isdisjoint(user.roles))
            )

    def set_suspended(self, user_id: str, suspended_at: datetime | None) -> User | None:
        return self._replace(user_id, suspended_at=suspended_at)

    def record_login(self, user_id: str, at: datetime, address: str | None) -> bool:
        with self._lock:
            user = self._users.get(user_id) if isinstance(user_id, str) else None
            if user is None:
                return False
            self._replace_locked(
                user_id,
                last_login_at=at,
                last_login_address=address,
                login_count=user.login_count + 1,
            )
            return True

    def _lookup(self, index: dict[str, str], key: str) -> User | None:
        user_id = index.get(key) if isinstance(key, str) else None
        return None if user_id is None else self._users[user_id]

    def _replace(self, user_id: str, **changes: Any) -> User | None:
        with self._lock:
            return self._replace_locked(user_id, **changes)

    def _replace_locked(self, user_id: str, **changes: Any) -> User | None:
        user = self._users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            return None
        self._unindex(user)
        updated = dataclasses.replace(user, **changes)
        self._index(updated)
        return updated

    def _index(self, user: User) -> None:
        self._users[user.id] = user
        key = user.username_key
        self._id_by_username[user.username if key == user.username else key] = (
            user.id
        )  # one string, not two
        if user.api_key_hash is not None:
            self._id_by_api_key[user.api_key_hash] = user.id
        if user.email_key is not None:
            self._id_by_email[user.email_key] = user.id
        self._holders.update(set(user.permissions))
        if user.suspended_at is not None:
            self._suspended.add(user.id)

    def _unindex(self, user: User) -> None:
        """Remove the user from the secondary indexes; `_users` keeps the record until it is
        replaced."""
        del self._id_by_username[user.username_key]
        if user.api_key_hash is not None:
            del self._id_by_api_key[user.api_key_hash]
        if user.email_key is not None:
            del self._id_by_email[user.email_key]
        self._holders.subtract(set(user.permissions))
        self._suspended.discard(user.id)

    def _new_id(self) -> str:
        while (user_id := secrets.token_hex(12)) in self._users:
            pass
        return user_id


def _shared(keys: tuple[str, str]) -> tuple[str, str]:
    """The keys, as one string object when they are equal (most names): stored once, not twice."""
    return (keys[0], keys[0]) if keys[0] == keys[1] else keys
