"""The one rule for a store an app did not give: the one the user store's backend keeps beside
it."""

from __future__ import annotations

import sys

from frappyauth.core.protocols import UserStore
from frappyauth.stores.memory.bundle import MEMORY_STORES


def store_beside(users: UserStore, kind: str) -> object:
    """The store of `kind` (a field of `Stores`) beside `users`: on the same database for a Mongo
    user
    store, else in this process."""
    # A Mongo user store exists only once its module is imported: an app on memory never imports
    # pymongo.
    mongo_users = sys.modules.get("frappyauth.stores.mongo.users")
    if mongo_users is not None and isinstance(users, mongo_users.MongoUserStore):
        from frappyauth.stores.mongo.bundle import mongo_store

        return mongo_store(users.database, kind, users)
    return MEMORY_STORES[kind]()
