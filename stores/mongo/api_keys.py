"""The MongoDB API-key store.

The per-user limit holds across workers without transactions: each key takes a numbered slot below
the limit, and a unique index on (user id, slot) lets exactly one of two concurrent inserts have a
slot. So a user can never hold more live keys than there are slots, whatever the interleaving;
counting first only saves the inserts that would fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.errors import ApiKeyNameTakenError
from frappyauth.core.models import ApiKey, User
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.core.protocols import RoleStore, UserStore
from frappyauth.stores.mongo.documents import from_mongo_time, to_mongo_time, user_ref
from frappyauth.stores.mongo.joins import find_with_user
from frappyauth.stores.mongo.retries import insert_once
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command


class MongoApiKeyStore(StartsOnFirstContact):
    """API keys in their own collection; a TTL index on `expires` lets the server delete expired
    ones."""

    def __init__(
        self,
        db: Database,
        api_keys_collection: str = "userApiKeys",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._keys = collection_on(db, api_keys_collection, write_concern)
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._keys.create_index("keyHash", unique=True)
        self._keys.create_index("keyId", unique=True)
        self._keys.create_index([("userId", ASCENDING), ("name", ASCENDING)], unique=True)
        self._keys.create_index(
            [("userId", ASCENDING), ("slot", ASCENDING)],
            unique=True,
            partialFilterExpression={"slot": {"$exists": True}},
        )
        self._keys.create_index(
            "expires", expireAfterSeconds=0
        )  # garbage collection: reads filter themselves

    @command
    def create(self, key: ApiKey, limit: int, now: datetime) -> bool:
        self._keys.delete_many({"userId": key.user_id, "expires": {"$lte": to_mongo_time(now)}})
        held = list(self._keys.find({"userId": key.user_id}, {"slot": 1, "name": 1}))
        if any(document.get("name") == key.name for document in held):
            raise ApiKeyNameTakenError()
        if len(held) >= limit:
            return False
        taken = {document.get("slot") for document in held}
        for slot in range(limit):
            if slot in taken:
                continue
            try:
                insert_once(self._keys, {**api_key_to_document(key), "slot": slot})
                return True
            except DuplicateKeyError:
                self._raise_unless_the_slot_was_taken(key)
        return False

    @command
    def replace(self, key: ApiKey, now: datetime) -> ApiKey | None:
        fields = {k: v for k, v in api_key_to_document(key).items() if k not in ("userId", "name")}
        update: dict[str, Any] = {"$set": fields}
        if key.expires_at is None:
            update["$unset"] = {"expires": ""}
        try:  # one document update: the name and the slot stay, everything else is the new key's
            document = self._keys.find_one_and_update(
                {"userId": key.user_id, "name": key.name, **_live(now)},
                update,
                return_document=ReturnDocument.BEFORE,
            )
        except DuplicateKeyError:
            raise ValueError("An API key with that hash or id exists.") from None
        return None if document is None else api_key_from_document(document)

    @command
    def get_by_hash(self, key_hash: str, now: datetime) -> ApiKey | None:
        if not isinstance(key_hash, str):
            return None
        document = self._keys.find_one({"keyHash": key_hash, **_live(now)})
        return None if document is None else api_key_from_document(document)

    @command
    def get_by_hash_with_user(
        self, key_hash: str, now: datetime, users: UserStore, roles: RoleStore | None = None
    ) -> tuple[ApiKey, User | None] | None:
        if not isinstance(key_hash, str):
            return None
        found = find_with_user(self._keys, {"keyHash": key_hash, **_live(now)}, users, roles)
        return None if found is None else (api_key_from_document(found[0]), found[1])

    @command
    def list_for_user(self, user_id: str, now: datetime) -> list[ApiKey]:
        cursor = self._keys.find({"userId": user_id, **_live(now)}).sort("created", DESCENDING)
        return [api_key_from_document(document) for document in cursor]

    @command
    def holders(self, name: str, user_ids: Sequence[str], now: datetime) -> set[str]:
        query = {"userId": {"$in": list(user_ids)}, "name": name, **_live(now)}
        return {document["userId"] for document in self._keys.find(query, {"userId": 1})}

    @command
    def delete(self, user_id: str, key_id: str, now: datetime) -> bool:
        if not isinstance(key_id, str):
            return False
        document = self._keys.find_one_and_delete({"keyId": key_id, "userId": user_id})
        return document is not None and not api_key_from_document(document).expired(now)

    @command
    def delete_for_user(self, user_id: str, now: datetime) -> int:
        live = self._keys.delete_many({"userId": user_id, **_live(now)}).deleted_count
        self._keys.delete_many({"userId": user_id})
        return live

    @command
    def touch(self, key_id: str, last_used_at: datetime) -> bool:
        result = self._keys.update_one(
            {"keyId": key_id}, {"$set": {"lastUsed": to_mongo_time(last_used_at)}}
        )
        return result.matched_count == 1

    def _raise_unless_the_slot_was_taken(self, key: ApiKey) -> None:
        """After a duplicate-key error: a concurrent create took the name, or (a broken caller) the
        hash or id; otherwise it took the slot, and the caller tries the next one."""
        if self._keys.find_one({"userId": key.user_id, "name": key.name}, {"_id": 1}) is not None:
            raise ApiKeyNameTakenError()
        if (
            self._keys.find_one(
                {"$or": [{"keyHash": key.key_hash}, {"keyId": key.key_id}]}, {"_id": 1}
            )
            is not None
        ):
            raise ValueError("An API key with that hash or id exists.")


def _live(now: datetime) -> dict[str, Any]:
    """Keys without an expiry, or that expire after `now`."""
    return {"$or": [{"expires": None}, {"expires": {"$gt": to_mongo_time(now)}}]}


def api_key_to_document(key: ApiKey) -> dict[str, Any]:
    document: dict[str, Any] = {
        "keyId": key.key_id,
        "userId": key.user_id,
        **user_ref(key.user_id),
        "name": key.name,
        "keyHash": key.key_hash,
        "scopes": None if key.scopes is None else list(key.scopes),
        "created": to_mongo_time(key.created_at),
        "lastUsed": None if key.last_used_at is None else to_mongo_time(key.last_used_at),
    }
    if key.expires_at is not None:  # absent, not null: the TTL index then leaves the key alone
        document["expires"] = to_mongo_time(key.expires_at)
    return document


def api_key_from_document(document: dict[str, Any]) -> ApiKey:
    scopes, expires, last_used = (
        document.get("scopes"),
        document.get("expires"),
        document.get("lastUsed"),
    )
    return ApiKey(
        key_id=document["keyId"],
        user_id=document["userId"],
        name=document["name"],
        key_hash=document["keyHash"],
        created_at=from_mongo_time(document["created"]),
        scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else None,
        expires_at=from_mongo_time(expires) if isinstance(expires, datetime) else None,
        last_used_at=from_mongo_time(last_used) if isinstance(last_used, datetime) else None,
    )
