"""Every MongoDB store on one database at once: `mongo_stores(db)`."""

from __future__ import annotations

from typing import Any

from pymongo import WriteConcern
from pymongo.database import Database

from frappyauth.core.protocols import Stores
from frappyauth.stores.mongo.api_keys import MongoApiKeyStore
from frappyauth.stores.mongo.attempts import MongoAttemptStore
from frappyauth.stores.mongo.audit import MongoAuditStore
from frappyauth.stores.mongo.devices import MongoDeviceStore
from frappyauth.stores.mongo.identities import MongoIdentityStore
from frappyauth.stores.mongo.mail_tokens import MongoMailTokenStore
from frappyauth.stores.mongo.mfa import MongoMfaStore
from frappyauth.stores.mongo.sessions import MongoSessionStore
from frappyauth.stores.mongo.trusted_devices import MongoTrustedDeviceStore
from frappyauth.stores.mongo.users import MongoUserStore
from frappyauth.stores.mongo.roles import MongoRoleStore

# Each kind of store beside the users, by its field in `Stores`; each takes the database and keeps
# its collections' default names (frappymongouser's where it had them).
MONGO_STORES: dict[str, type] = {
    "sessions": MongoSessionStore,
    "api_keys": MongoApiKeyStore,
    "attempts": MongoAttemptStore,
    "mail_tokens": MongoMailTokenStore,
    "mfa": MongoMfaStore,
    "roles": MongoRoleStore,
    "audit": MongoAuditStore,
    "identities": MongoIdentityStore,
    "devices": MongoDeviceStore,
    "trusted_devices": MongoTrustedDeviceStore,
}


def mongo_store(
    db: Database, kind: str, users: object = None, write_concern: WriteConcern | None = None
) -> object:
    """The store of `kind` (a field of `Stores`) on `db`, with its default collection names and
    `write_concern`, else the write concern of `users`; the attempt store in the collection `users`
    names, if it names one (an option of the user store before the counters had a store of their
    own)."""
    write_concern = write_concern or getattr(users, "write_concern", None)
    if kind == "attempts":
        collection = getattr(users, "attempts_collection", "userLoginFailures")
        return MongoAttemptStore(db, collection, write_concern=write_concern)
    return MONGO_STORES[kind](db, write_concern=write_concern)


def mongo_stores(
    db: Database,
    users: MongoUserStore | None = None,
    *,
    write_concern: WriteConcern | None = None,
) -> Stores:
    """Every store on `db` (a pymongo, or mongomock, `Database`), with the default collection names;
    `users` may be a user store built with other options (a collection name, `migrate_on_start`).

    Every store writes with `majority` unless `write_concern` relaxes it (see `collection_on`);
    reads always go to the primary.
    """
    users = users if users is not None else MongoUserStore(db, write_concern=write_concern)
    stores: dict[str, Any] = {
        kind: mongo_store(db, kind, users, write_concern) for kind in MONGO_STORES
    }
    return Stores(users=users, **stores)
