"""The MongoDB user store."""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.errors import DuplicateUsernameError
from frappyauth.core.models import FailedLogins, User
from frappyauth.stores.mongo.connection import translate_connection_errors
from frappyauth.stores.mongo.documents import (failed_logins_from_document, object_id, to_mongo_time,
                                               user_from_document, user_to_document)
from frappyauth.stores.mongo.migration import add_username_keys, hash_plaintext_field


class MongoUserStore:
    """Users in a MongoDB collection, failed-login counters in a second one.

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

    def set_password_hash(self, user_id: str, password_hash: str) -> User | None:
        return self._set(user_id, {"$set": {"password": password_hash}})

    def set_api_key_hash(self, user_id: str, api_key_hash: str | None) -> User | None:
        if api_key_hash is None:
            return self._set(user_id, {"$unset": {"apiKeyHash": "", "apiKey": ""}})
        return self._set(user_id, {"$set": {"apiKeyHash": api_key_hash}, "$unset": {"apiKey": ""}})

    @translate_connection_errors
    def delete(self, user_id: str) -> bool:
        oid = object_id(user_id)
        return oid is not None and self._users.delete_one({"_id": oid}).deleted_count == 1

    @translate_connection_errors
    def record_failed_login(self, username_key: str, now: datetime, expires_at: datetime) -> FailedLogins:
        # An expired counter the TTL monitor has not removed yet must not be continued.
        self._failures.delete_one({"key": username_key, "expires": {"$lte": to_mongo_time(now)}})
        update = {"$inc": {"count": 1},
                  "$set": {"lastFailure": to_mongo_time(now), "expires": to_mongo_time(expires_at)}}
        try:
            document = self._increment(username_key, update)
        except DuplicateKeyError:  # two first failures raced to insert; the loser now finds the document
            document = self._increment(username_key, update)
        return failed_logins_from_document(document)

    @translate_connection_errors
    def get_failed_logins(self, username_key: str, now: datetime) -> FailedLogins | None:
        document = self._failures.find_one({"key": username_key, "expires": {"$gt": to_mongo_time(now)}})
        return None if document is None else failed_logins_from_document(document)

    @translate_connection_errors
    def clear_failed_logins(self, username_key: str) -> None:
        self._failures.delete_one({"key": username_key})

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

    def _increment(self, username_key: str, update: dict[str, Any]) -> dict[str, Any]:
        document = self._failures.find_one_and_update({"key": username_key}, update, upsert=True,
                                                      return_document=ReturnDocument.AFTER)
        return cast(dict[str, Any], document)  # an upsert returning the document after it never gives None
