"""The one rule for a store an app did not give: the one kept beside its user store.

- A user store that names its MongoDB database (`database`, as `MongoUserStore` and wrappers that
  hand its attributes on do) gets the store on that database.
- Any other user store that still offers frappyauth 0.x's companions (`api_key_store()`,
  `mfa_store()`) or keeps the throttle's counters itself (`count_attempt`, ...) gets those.
- The rest live in this process, one of each kind per user store, so that apps sharing a user store
  share its counters and keys as they share its users; beside a user store other than
  `MemoryUserStore`, that is said with a `RuntimeWarning`, since other workers would not see them.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

from frappyauth.core.models import AttemptCounter
from frappyauth.core.protocols import UserStore
from frappyauth.stores.memory.bundle import MEMORY_STORES
from frappyauth.stores.memory.users import MemoryUserStore

# 0.x's companion methods, by the kind of store they gave.
COMPANIONS = {"api_keys": "api_key_store", "mfa": "mfa_store"}
# Kinds kept in the process beside each user store (weakly: they go with it).
_IN_PROCESS: weakref.WeakKeyDictionary[Any, dict[str, object]] = weakref.WeakKeyDictionary()


def store_beside(users: UserStore, kind: str) -> object:
    """The store of `kind` (a field of `Stores`) beside `users` (see the module's rule)."""
    database = getattr(users, "database", None)
    if database is not None and not callable(database):
        from frappyauth.stores.mongo.bundle import mongo_store  # only for a store on MongoDB

        return mongo_store(database, kind, users)
    companion = getattr(users, COMPANIONS.get(kind, ""), None)
    if callable(companion):
        return companion()
    if kind == "attempts" and callable(getattr(users, "count_attempt", None)):
        return CountersOfUserStore(users)
    return _in_process(users, kind)


def _in_process(users: UserStore, kind: str) -> object:
    try:
        kept = _IN_PROCESS.setdefault(users, {})
    except TypeError:  # a user store that cannot be weakly referenced: one store per app
        kept = {}
    if kind not in kept:
        if not isinstance(users, MemoryUserStore):
            warnings.warn(
                f"frappyauth: the user store is {type(users).__name__}, which gives no {kind} "
                f"store, so the {kind} live in this process only: other workers will not see "
                "them. Pass one (see the stores page of the docs).",
                RuntimeWarning,
                stacklevel=5,
            )
        kept[kind] = MEMORY_STORES[kind]()
    return kept[kind]


class CountersOfUserStore:
    """The attempt store of a user store that keeps the counters itself (frappyauth 0.x's
    protocol)."""

    def __init__(self, users: Any) -> None:
        self._users = users

    def increment(self, key: str, subject: str | None, now: Any, expires_at: Any) -> AttemptCounter:
        return self._users.count_attempt(key, subject, now, expires_at)

    def decrement(self, key: str, now: Any) -> None:
        self._users.uncount_attempt(key, now)

    def get(self, key: str, now: Any) -> AttemptCounter | None:
        return self._users.get_attempts(key, now)

    def delete(self, key: str) -> None:
        self._users.clear_attempts(key)

    def delete_for_subject(self, subject: str) -> None:
        self._users.clear_attempts_of(subject)
