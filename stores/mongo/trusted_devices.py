"""The MongoDB store of trusted devices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.device_models import TrustedDevice
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.stores.mongo.documents import from_mongo_time, to_mongo_time
from frappyauth.stores.mongo.retries import insert_once
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command


class MongoTrustedDeviceStore(StartsOnFirstContact):
    """Trusted devices in a MongoDB collection; a TTL index on `expires` lets the server delete
    expired ones (reads filter on it themselves)."""

    def __init__(
        self,
        db: Database,
        trusted_devices_collection: str = "userTrustedDevices",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._devices = collection_on(db, trusted_devices_collection, write_concern)
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._devices.create_index("secretHash", unique=True)
        self._devices.create_index("deviceId", unique=True)
        self._devices.create_index("userId")
        self._devices.create_index("expires", expireAfterSeconds=0)

    @command
    def create(self, device: TrustedDevice) -> None:
        try:
            insert_once(self._devices, _to_document(device))
        except DuplicateKeyError:
            raise ValueError("A trusted device with that secret hash or id exists.") from None

    @command
    def get(self, secret_hash: str, now: datetime) -> TrustedDevice | None:
        if not isinstance(secret_hash, str):
            return None
        document = self._devices.find_one(
            {"secretHash": secret_hash, "expires": {"$gt": to_mongo_time(now)}}
        )
        return None if document is None else _from_document(document)

    @command
    def list_for_user(self, user_id: str, now: datetime) -> list[TrustedDevice]:
        documents = self._devices.find(
            {"userId": user_id, "expires": {"$gt": to_mongo_time(now)}}
        ).sort("created", DESCENDING)
        return [_from_document(document) for document in documents]

    @command
    def touch(self, secret_hash: str, last_used_at: datetime) -> bool:
        if not isinstance(secret_hash, str):
            return False
        result = self._devices.update_one(
            {"secretHash": secret_hash}, {"$set": {"lastUsed": to_mongo_time(last_used_at)}}
        )
        return result.matched_count == 1

    @command
    def delete(self, user_id: str, device_id: str) -> bool:
        if not isinstance(device_id, str):
            return False
        return (
            self._devices.delete_one({"deviceId": device_id, "userId": user_id}).deleted_count == 1
        )

    @command
    def delete_for_user(self, user_id: str) -> int:
        return self._devices.delete_many({"userId": user_id}).deleted_count

    @command
    def purge_expired(self, now: datetime) -> int:
        return self._devices.delete_many({"expires": {"$lte": to_mongo_time(now)}}).deleted_count


def _to_document(device: TrustedDevice) -> dict[str, Any]:
    return {
        "deviceId": device.device_id,
        "secretHash": device.secret_hash,
        "userId": device.user_id,
        "userAgent": device.user_agent,
        "created": to_mongo_time(device.created_at),
        "lastUsed": to_mongo_time(device.last_used_at),
        "expires": to_mongo_time(device.expires_at),
    }


def _from_document(document: dict[str, Any]) -> TrustedDevice:
    return TrustedDevice(
        device_id=document["deviceId"],
        secret_hash=document["secretHash"],
        user_id=document["userId"],
        user_agent=document.get("userAgent"),
        created_at=from_mongo_time(document["created"]),
        last_used_at=from_mongo_time(document["lastUsed"]),
        expires_at=from_mongo_time(document["expires"]),
    )
