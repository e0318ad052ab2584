"""The MongoDB store of the devices users signed in from (option `new_device_alerts`)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.device_models import SeenDevice
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.stores.mongo.documents import from_mongo_time, to_mongo_time
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command


class MongoDeviceStore(StartsOnFirstContact):
    """Devices in a MongoDB collection, one document per user and fingerprint (a unique index)."""

    def __init__(
        self,
        db: Database,
        devices_collection: str = "userDevices",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._devices = collection_on(db, devices_collection, write_concern)
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._devices.create_index([("userId", 1), ("fingerprint", 1)], unique=True)

    @command
    def see(self, user_id: str, fingerprint_hash: str, now: datetime) -> datetime | None:
        try:
            return self._upsert(user_id, fingerprint_hash, now)
        except DuplicateKeyError:  # a concurrent first sighting inserted it: now it is there
            return self._upsert(user_id, fingerprint_hash, now)

    def _upsert(self, user_id: str, fingerprint_hash: str, now: datetime) -> datetime | None:
        # One command: the document as it was, and `$max` so that `lastSeen` never moves back.
        before = self._devices.find_one_and_update(
            {"userId": user_id, "fingerprint": fingerprint_hash},
            {"$max": {"lastSeen": to_mongo_time(now)}},
            projection={"_id": 0, "lastSeen": 1},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        return None if before is None else from_mongo_time(before["lastSeen"])

    @command
    def list_for_user(self, user_id: str) -> list[SeenDevice]:
        documents = self._devices.find(
            {"userId": user_id}, {"_id": 0, "fingerprint": 1, "lastSeen": 1}
        ).sort([("lastSeen", -1), ("fingerprint", 1)])
        return [
            SeenDevice(user_id, document["fingerprint"], from_mongo_time(document["lastSeen"]))
            for document in documents
        ]

    @command
    def delete_for_user(self, user_id: str) -> int:
        return self._devices.delete_many({"userId": user_id}).deleted_count
