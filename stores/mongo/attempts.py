"""The MongoDB store of the throttle's attempt counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pymongo import ReturnDocument, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.models import AttemptCounter
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.stores.mongo.documents import attempt_counter_from_document, to_mongo_time
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command


class MongoAttemptStore(StartsOnFirstContact):
    """Counters in a MongoDB collection (frappymongouser's `userLoginFailures`), one document per
    key.

    A TTL index on `expires` is garbage collection only: reads filter on `expires` themselves.
    """

    def __init__(
        self,
        db: Database,
        collection: str = "userLoginFailures",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._counters = collection_on(db, collection, write_concern)
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._counters.create_index("key", unique=True)
        self._counters.create_index("subject", sparse=True)
        self._counters.create_index("expires", expireAfterSeconds=0)

    @command
    def increment(
        self, key: str, subject: str | None, now: datetime, expires_at: datetime
    ) -> AttemptCounter:
        # An expired window the TTL monitor has not removed yet must not be continued.
        self._counters.delete_one({"key": key, "expires": {"$lte": to_mongo_time(now)}})
        update = {
            "$inc": {"count": 1},
            "$setOnInsert": {"expires": to_mongo_time(expires_at), "subject": subject},
        }
        try:
            document = self._increment(key, update)
        except (
            DuplicateKeyError
        ):  # two first attempts raced to insert; the loser now finds the document
            document = self._increment(key, update)
        return attempt_counter_from_document(document)

    @command
    def decrement(self, key: str, now: datetime) -> None:
        self._counters.update_one(
            {"key": key, "expires": {"$gt": to_mongo_time(now)}, "count": {"$gt": 0}},
            {"$inc": {"count": -1}},
        )

    @command
    def get(self, key: str, now: datetime) -> AttemptCounter | None:
        document = self._counters.find_one({"key": key, "expires": {"$gt": to_mongo_time(now)}})
        return None if document is None else attempt_counter_from_document(document)

    @command
    def delete(self, key: str) -> None:
        self._counters.delete_one({"key": key})

    @command
    def delete_for_subject(self, subject: str) -> None:
        if isinstance(subject, str):
            self._counters.delete_many({"subject": subject})

    def _increment(self, key: str, update: dict[str, Any]) -> dict[str, Any]:
        document = self._counters.find_one_and_update(
            {"key": key}, update, upsert=True, return_document=ReturnDocument.AFTER
        )
        return cast(
            dict[str, Any], document
        )  # an upsert returning the document after never gives None
