"""The MongoDB user store."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.errors import DuplicateEmailError, DuplicateUsernameError
from frappyauth.core.models import User, prefix_end
from frappyauth.core.usernames import name_keys
from frappyauth.stores.mongo.mfa import MongoMfaStore
from frappyauth.stores.mongo.connection import collection_on, translate_connection_errors
from frappyauth.stores.mongo.documents import (
    LOOKALIKE_FIELDS,
    email_fields,
    from_mongo_time,
    name_fields,
    object_id,
    to_mongo_time,
    user_from_document,
    user_to_document,
)
from frappyauth.stores.mongo.joins import JoinableUsers
from frappyauth.stores.mongo.legacy import adopt_legacy_username, adopt_plaintext_api_key
from frappyauth.stores.mongo.migration import Progress, quiet
from frappyauth.stores.mongo.retries import insert_once
from frappyauth.stores.mongo.startup import Startup, command
from frappyauth.stores.mongo.schema import (
    MARKER_COLLECTION,
    MigrationReport,
    migrate_on_start_default,
    migrate_users,
    unusable_notes,
    read_marker,
)


log = logging.getLogger("frappyauth")

RESERVED = "reservedNames"  # a renamed user's old names: [{keys: name_keys(old), until}]


class MongoUserStore(JoinableUsers):
    """Users in a MongoDB collection.

    Before its first command the store reads its schema marker (one read; building it sends
    nothing, see `startup`). An unmarked database (frappymongouser's, or one from before the marker)
    is migrated then, with one log line saying what changed;
    `migrate_on_start=False` (or `FRAPPYAUTH_MIGRATE_ON_START=0`) leaves that to `flask frappyauth
    migrate`. `legacy_lookups` finds users an old worker wrote during a rolling upgrade (see
    `legacy`); turn it off once none is left.
    """

    def __init__(
        self,
        db: Database,
        users_collection: str = "users",
        failed_logins_collection: str | None = None,
        *,
        migrate_on_start: bool | None = None,
        legacy_lookups: bool = True,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._db = db
        self.write_concern = write_concern  # the stores built beside this one write with it too
        self._users = collection_on(db, users_collection, write_concern)
        self._markers = collection_on(db, MARKER_COLLECTION, write_concern)
        # The throttle's counters have a store of their own now; this name only says where the one
        # built beside this store keeps them.
        self.attempts_collection = failed_logins_collection or "userLoginFailures"
        if failed_logins_collection is not None:
            warnings.warn(
                "MongoUserStore(failed_logins_collection=...) is deprecated: pass "
                "attempt_store=MongoAttemptStore(db, collection=...).",
                DeprecationWarning,
                stacklevel=3,
            )
        self._legacy_lookups = legacy_lookups
        self._migrate_on_start = (
            migrate_on_start if migrate_on_start is not None else migrate_on_start_default()
        )
        self._startup = Startup(self._start_up, db)

    @translate_connection_errors
    def start(self) -> None:
        """Check the schema marker (and migrate an unmarked database) now rather than before the
        first command: for an app that would rather fail at start-up than answer 503.

        Raises `LegacyUsernameConflictError` where the migration stops (the store's methods then
        raise `StoreFailedError` until an operator renames those users).
        """
        self._startup.ensure()

    def _start_up(self) -> None:
        if not self._migrate_on_start:
            return
        marker = read_marker(self._markers, self._users.name)
        if marker is None:
            log.info(migrate_users(self._markers, self._users, False, quiet).summary())
        else:
            for note in unusable_notes(marker):
                log.warning("frappyauth: %s (at the last migration)", note)

    @translate_connection_errors
    def migrate(
        self, dry_run: bool = False, progress: Progress | None = None, now: datetime | None = None
    ) -> MigrationReport:
        """Upgrade every legacy document and create the indexes (or, in a dry run, count what would
        change).

        Raises `LegacyUsernameConflictError` (writing nothing) when two users' names differ only in
        case. `progress` receives a line per batch; `now` is not needed here (the session store's
        `migrate` uses it).
        """
        return migrate_users(self._markers, self._users, dry_run, progress or quiet)

    def api_key_store(self, api_keys_collection: str = "userApiKeys") -> Any:
        """Deprecated: `mongo_stores(db).api_keys`, or `MongoApiKeyStore(db)`."""
        warnings.warn(
            "MongoUserStore.api_key_store() is deprecated: use mongo_stores(db) or "
            "MongoApiKeyStore(db).",
            DeprecationWarning,
            stacklevel=2,
        )
        from frappyauth.stores.mongo.api_keys import (
            MongoApiKeyStore,
        )  # not above: api_keys reads users

        return MongoApiKeyStore(self._db, api_keys_collection, write_concern=self.write_concern)

    def mfa_store(self) -> MongoMfaStore:
        """Deprecated: `mongo_stores(db).mfa`, or `MongoMfaStore(db)`."""
        warnings.warn(
            "MongoUserStore.mfa_store() is deprecated: use mongo_stores(db) or MongoMfaStore(db).",
            DeprecationWarning,
            stacklevel=2,
        )
        return MongoMfaStore(self._db, write_concern=self.write_concern)

    @property
    def database(self) -> Database:
        return self._db

    @property
    def collection_name(self) -> str:
        return self._users.name

    def user_from_document(self, document: dict[str, Any]) -> User:
        """The record for a user document another store read with its own (see `joins`)."""
        return self._to_user(document)

    @command
    def get(self, user_id: str) -> User | None:
        oid = object_id(user_id)
        return None if oid is None else self._find_one({"_id": oid})

    @command
    def get_by_username(self, username_key: str) -> User | None:
        if not isinstance(username_key, str):
            return None
        document = self._users.find_one({"usernameKey": username_key})
        if document is None and self._legacy_lookups:
            document = adopt_legacy_username(self._users, username_key)
        return None if document is None else self._to_user(document)

    @command
    def get_by_api_key_hash(self, api_key_hash: str) -> User | None:
        if not isinstance(api_key_hash, str):
            return None
        # A plaintext `apiKey` beside the hash was written later, by an old worker: the hash is
        # stale.
        document = self._users.find_one({"apiKeyHash": api_key_hash, "apiKey": {"$exists": False}})
        if document is None and self._legacy_lookups:
            document = adopt_plaintext_api_key(self._users, api_key_hash)
        return None if document is None else self._to_user(document)

    @command
    def get_by_email(self, email_key: str) -> User | None:
        return self._find_one({"emailKey": email_key}) if isinstance(email_key, str) else None

    @command
    def create(self, user: User) -> User:
        document = user_to_document(user)
        try:
            inserted_id = insert_once(self._users, document)
        except DuplicateKeyError as duplicate:
            # Which unique index refused it: the username's (or a lookalike's) decides first, as in
            # memory.
            names = [
                {name: document[name]}
                for name in ("usernameKey", *LOOKALIKE_FIELDS)
                if document.get(name)
            ]
            if (
                "emailKey" not in document
                or self._users.find_one({"$or": names}, {"_id": 1}) is not None
            ):
                raise DuplicateUsernameError() from duplicate
            raise DuplicateEmailError() from duplicate
        return self._to_user({**document, "_id": inserted_id})

    @command
    def list_page(self, offset: int, limit: int) -> tuple[list[User], int]:
        total = self._users.count_documents({})
        if offset < 0 or limit <= 0:
            return [], total
        cursor = self._users.find({}).sort("_id", ASCENDING).skip(offset).limit(limit)
        return [self._to_user(document) for document in cursor], total

    @command
    def list_by_username_prefix(
        self, prefix_key: str, offset: int, limit: int
    ) -> tuple[list[User], int]:
        # A range on the unique `usernameKey` index (not a regex, not a collation): an index scan of
        # the matches only, in the index's order, which is the code-point order the contract asks
        # for.
        key_range: dict[str, str] = {"$gte": prefix_key}
        end = prefix_end(prefix_key)
        if end is not None:
            key_range["$lt"] = end
        query = {"usernameKey": key_range}
        total = self._users.count_documents(query)
        if offset < 0 or limit <= 0:
            return [], total
        cursor = self._users.find(query).sort("usernameKey", ASCENDING).skip(offset).limit(limit)
        return [self._to_user(document) for document in cursor], total

    @command
    def count(self, permission: str | None = None) -> int:
        return self._users.count_documents(
            {} if permission is None else {"permissions": permission}
        )

    def set_permissions(self, user_id: str, permissions: tuple[str, ...]) -> User | None:
        return self._set(user_id, {"$set": {"permissions": list(permissions)}})

    def set_profile(self, user_id: str, profile: dict[str, Any]) -> User | None:
        return self._set(user_id, {"$set": {"profile": profile}})

    def set_password_hash(
        self,
        user_id: str,
        password_hash: str,
        credential_version: str,
        expected_hash: str | None = None,
        changed_at: datetime | None = None,
    ) -> User | None:
        condition = {} if expected_hash is None else {"password": expected_hash}
        fields: dict[str, Any] = {
            "password": password_hash,
            "credentialVersion": credential_version,
        }
        if changed_at is not None:
            fields["passwordChangedAt"] = to_mongo_time(changed_at)
        return self._set(user_id, {"$set": fields}, condition)

    @command
    def upgrade_password_hash(self, user_id: str, expected_hash: str, password_hash: str) -> bool:
        oid = object_id(user_id)
        if oid is None:
            return False
        # The filter names the hash that was verified: a reset that wrote since makes this match
        # nothing.
        result = self._users.update_one(
            {"_id": oid, "password": expected_hash}, {"$set": {"password": password_hash}}
        )
        return result.matched_count == 1

    def set_api_key_hash(self, user_id: str, api_key_hash: str | None) -> User | None:
        if api_key_hash is None:
            return self._set(user_id, {"$unset": {"apiKeyHash": "", "apiKey": ""}})
        return self._set(user_id, {"$set": {"apiKeyHash": api_key_hash}, "$unset": {"apiKey": ""}})

    def set_email(
        self, user_id: str, email: str | None, email_key: str | None, verified: bool
    ) -> User | None:
        update = email_fields(email, email_key, verified)
        return self._set(
            user_id,
            {name: fields for name, fields in update.items() if fields},
            duplicate=DuplicateEmailError(),
        )

    @command
    def rename(
        self, user_id: str, username: str, reserve_until: datetime, now: datetime
    ) -> User | None:
        oid = object_id(user_id)
        keys = name_keys(username)
        while True:  # again only when a rename of the same user wrote between our read and write
            document = None if oid is None else self._users.find_one({"_id": oid})
            if document is None:
                return None
            if self._reserving(keys, now, oid) is not None:
                raise DuplicateUsernameError()
            renamed = self._rename_from(document, username, reserve_until, now)
            if renamed is not None:
                break
        if self._reserving(keys, now, oid) is not None:
            # The old holder renamed away (reserving the name) between our check and our write:
            # put the name back, so that the reservation wins.
            back = {"_id": oid, "usernameKey": keys[0]}
            old = {**name_fields(document.get("username") or ""), RESERVED: document.get(RESERVED)}
            self._write_name(back, {name: value for name, value in old.items() if value})
            raise DuplicateUsernameError()
        return self._to_user(renamed)

    def _rename_from(
        self, document: dict[str, Any], username: str, reserve_until: datetime, now: datetime
    ) -> dict[str, Any] | None:
        """One compare-and-set on the name read: the new name's fields, the old name reserved."""
        kept = [
            reservation
            for reservation in document.get(RESERVED, [])
            if from_mongo_time(reservation["until"]) > now
        ]
        old_keys = name_keys(document.get("username") or "")
        reserved = [*kept, {"keys": list(old_keys), "until": to_mongo_time(reserve_until)}]
        found = {"_id": document["_id"], "usernameKey": document.get("usernameKey")}
        return self._write_name(found, {**name_fields(username), RESERVED: reserved})

    @command
    def get_by_reserved_name(self, keys: Sequence[str], now: datetime) -> User | None:
        return self._reserving(keys, now)

    def _reserving(self, keys: Sequence[str], now: datetime, but: Any = None) -> User | None:
        # The dotted condition is what the index on `reservedNames.keys` serves; `$elemMatch` then
        # asks that the key and the time be of one reservation.
        query: dict[str, Any] = {
            f"{RESERVED}.keys": {"$in": list(keys)},
            RESERVED: {
                "$elemMatch": {"keys": {"$in": list(keys)}, "until": {"$gt": to_mongo_time(now)}}
            },
        }
        if but is not None:
            query["_id"] = {"$ne": but}
        return self._find_one(query)

    def _write_name(
        self, condition: dict[str, Any], fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        try:
            return self._users.find_one_and_update(
                condition, {"$set": fields}, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            raise DuplicateUsernameError() from None

    @command
    def delete(self, user_id: str) -> bool:
        oid = object_id(user_id)
        return oid is not None and self._users.delete_one({"_id": oid}).deleted_count == 1

    def set_roles(self, user_id: str, roles: tuple[str, ...]) -> User | None:
        return self._set(user_id, {"$set": {"roles": list(roles)}})

    @command
    def remove_role(self, role: str) -> int:
        if not isinstance(role, str):
            return 0
        return self._users.update_many({"roles": role}, {"$pull": {"roles": role}}).modified_count

    @command
    def count_holders(self, permission: str | None, roles: Sequence[str], active_only: bool) -> int:
        holds: list[dict[str, Any]] = [{"roles": {"$in": list(roles)}}] if roles else []
        if permission is not None:
            holds.insert(0, {"permissions": permission})
        if not holds:
            return 0
        query = holds[0] if len(holds) == 1 else {"$or": holds}
        if active_only:  # `null` matches a missing field too: older users are active
            query = {**query, "suspendedAt": None}
        return self._users.count_documents(query)

    def set_suspended(self, user_id: str, suspended_at: datetime | None) -> User | None:
        if suspended_at is None:
            return self._set(user_id, {"$unset": {"suspendedAt": ""}})
        return self._set(user_id, {"$set": {"suspendedAt": to_mongo_time(suspended_at)}})

    @command
    def record_login(self, user_id: str, at: datetime, address: str | None) -> bool:
        oid = object_id(user_id)
        if oid is None:
            return False
        update = {
            "$set": {"lastLoginAt": to_mongo_time(at), "lastLoginAddress": address},
            "$inc": {"loginCount": 1},
        }
        return self._users.update_one({"_id": oid}, update).matched_count == 1

    def _find_one(self, query: dict[str, Any]) -> User | None:
        document = self._users.find_one(query)
        return None if document is None else self._to_user(document)

    def _to_user(self, document: dict[str, Any]) -> User:
        """The record for a document; `frappyauth.compat` returns a `User` with the old
        attributes."""
        return user_from_document(document)

    @command
    def _set(
        self,
        user_id: str,
        update: dict[str, Any],
        condition: dict[str, Any] | None = None,
        duplicate: Exception | None = None,
    ) -> User | None:
        oid = object_id(user_id)
        if oid is None:
            return None
        try:
            document = self._users.find_one_and_update(
                {**(condition or {}), "_id": oid}, update, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            # Only set_email may hit a taken key; for an API-key hash it means a broken caller
            # (256-bit keys).
            raise duplicate or ValueError("That API-key hash belongs to another user.") from None
        return None if document is None else self._to_user(document)
