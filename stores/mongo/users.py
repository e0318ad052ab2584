"""The MongoDB user store."""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.errors import DuplicateUsernameError
from frappyauth.core.models import AttemptCounter, User
from frappyauth.stores.mongo.connection import translate_connection_errors
from frappyauth.stores.mongo.documents import (attempt_counter_from_document, object_id, to_mongo_time,
                                               user_from_document, user_to_document)
from frappyauth.stores.mongo.migration import add_username_keys, hash_plaintext_field


class MongoUserStore:
    """Users in a MongoDB collection, the throttle's attempt counters in a second one.

    Building the store upgrades legacy documents (see `migration`) and creates its indexes; both are
    idempotent, so every worker may build it at start-up.
    """

    @translate_connection_errors
    def __init__(self, db: Database, users_collection: str = "users",
                 failed_logins_collection: str = "userLoginFailures") -> None:
        self._users = db[users_collection]
        self._failures = db[failed_logins_collection]
        add_username_keys(self._users)
        hash_plaintext_field(self._users, "apiKey", "apiKeyHash")
        self._users.create_index("usernameKey", unique=True, sparse=True)
        self._users.create_index("apiKeyHash", unique=True, sparse=True)
        self._users.create_index("permissions")
        self._failures.create_index("key", unique=True)
        self._failures.create_index("subject", sparse=True)
        # Garbage collection only: reads filter on `expires` themselves.
        self._failures.create_index("expires", expireAfterSeconds=0)

    @translate_connection_errors
    def get(self, user_id: str) -> User | None:
        oid = object_id(user_id)
        return None if oid is None else self._find_one({"_id": oid})

    @translate_connection_errors
    def get_by_username(self, username_key: str) -> User | None:
        return self._find_one({"usernameKey": username_key}) if isinstance(username_key, str) else None

    @translate_connection_errors
    def get_by_api_key_hash(self, api_key_hash: str) -> User | None:
        return self._find_one({"apiKeyHash": api_key_hash}) if isinstance(api_key_hash, str) else None

    @translate_connection_errors
    def create(self, user: User) -> User:
        document = user_to_document(user)
        try:
            inserted = self._users.insert_one(document)
        except DuplicateKeyError as duplicate:
            raise DuplicateUsernameError() from duplicate
        return user_from_document({**document, "_id": inserted.inserted_id})

    @translate_connection_errors
    def list_page(self, offset: int, limit: int) -> tuple[list[User], int]:
        total = self._users.count_documents({})
        if offset < 0 or limit <= 0:
            return [], total
        cursor = self._users.find({}).sort("_id", ASCENDING).skip(offset).limit(limit)
        return [user_from_document(document) for document in cursor], total

    @translate_connection_errors
    def count(self, permission: str | None = None) -> int:
        return self._users.count_documents({} if permission is None else {"permissions": permission})

    def set_permissions(self, user_id: str, permissions: tuple[str, ...]) -> User | None:
        return self._set(user_id, {"$set": {"permissions": list(permissions)}})

    def set_profile(self, user_id: str, profile: dict[str, Any]) -> User | None:
        return self._set(user_id, {"$set": {"profile": profile}})

    def set_password_hash(self, user_id: str, password_hash: str, credential_version: str) -> User | None:
        return self._set(user_id, {"$set": {"password": password_hash, "credentialVersion": credential_version}})

    @translate_connection_errors
    def upgrade_password_hash(self, user_id: str, expected_hash: str, password_hash: str) -> bool:
        oid = object_id(user_id)
        if oid is None:
            return False
        # The filter names the hash that was verified: a reset that wrote since makes this match nothing.
        result = self._users.update_one({"_id": oid, "password": expected_hash}, {"$set": {"password": password_hash}})
        return result.matched_count == 1

    def set_api_key_hash(self, user_id: str, api_key_hash: str | None) -> User | None:
        if api_key_hash is None:
            return self._set(user_id, {"$unset": {"apiKeyHash": "", "apiKey": ""}})
        return self._set(user_id, {"$set": {"apiKeyHash": api_key_hash}, "$unset": {"apiKey": ""}})

    @translate_connection_errors
    def delete(self, user_id: str) -> bool:
        oid = object_id(user_id)
        return oid is not None and self._users.delete_one({"_id": oid}).deleted_count == 1

    @translate_connection_errors
    def count_attempt(self, key: str, subject: str | None, now: datetime, expires_at: datetime) -> AttemptCounter:
        # An expired window the TTL monitor has not removed yet must not be continued.
        self._failures.delete_one({"key": key, "expires": {"$lte": to_mongo_time(now)}})
        update = {"$inc": {"count": 1}, "$setOnInsert": {"expires": to_mongo_time(expires_at), "subject": subject}}
        try:
            document = self._increment(key, update)
        except DuplicateKeyError:  # two first attempts raced to insert; the loser now finds the document
            document = self._increment(key, update)
        return attempt_counter_from_document(document)

    @translate_connection_errors
    def uncount_attempt(self, key: str, now: datetime) -> None:
        self._failures.update_one({"key": key, "expires": {"$gt": to_mongo_time(now)}, "count": {"$gt": 0}},
                                  {"$inc": {"count": -1}})

    @translate_connection_errors
    def get_attempts(self, key: str, now: datetime) -> AttemptCounter | None:
        document = self._failures.find_one({"key": key, "expires": {"$gt": to_mongo_time(now)}})
        return None if document is None else attempt_counter_from_document(document)

    @translate_connection_errors
    def clear_attempts(self, key: str) -> None:
        self._failures.delete_one({"key": key})

    @translate_connection_errors
    def clear_attempts_of(self, subject: str) -> None:
        if isinstance(subject, str):
            self._failures.delete_many({"subject": subject})

    def _find_one(self, query: dict[str, Any]) -> User | None:
        document = self._users.find_one(query)
        return None if document is None else user_from_document(document)

    @translate_connection_errors
    def _set(self, user_id: str, update: dict[str, Any]) -> User | None:
        oid = object_id(user_id)
        if oid is None:
            return None
        try:
            document = self._users.find_one_and_update({"_id": oid}, update, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # an API-key hash collision: 256-bit keys make this a broken caller
            raise ValueError("That API-key hash belongs to another user.") from None
        return None if document is None else user_from_document(document)

    def _increment(self, key: str, update: dict[str, Any]) -> dict[str, Any]:
        document = self._failures.find_one_and_update({"key": key}, update, upsert=True,
                                                      return_document=ReturnDocument.AFTER)
        return cast(dict[str, Any], document)  # an upsert returning the document after it never gives None
