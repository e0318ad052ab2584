"""The MongoDB audit trail: collection `userAuditLog`, one document per entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING, WriteConcern
from pymongo.database import Database

from frappyauth.core.models import AuditEntry
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.stores.mongo.retries import insert_once
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command
from frappyauth.stores.mongo.documents import from_mongo_time, to_mongo_time

DEFAULT_RETENTION_DAYS = 180


class MongoAuditStore(StartsOnFirstContact):
    """Entries in a MongoDB collection. Indexes on (user, time), (event, time) and time serve every
    page; a TTL index on the time lets the server forget entries after `retention_days` (the core
    never returns older ones anyway: garbage collection, not correctness)."""

    def __init__(
        self,
        db: Database,
        collection: str = "userAuditLog",
        retention_days: int = DEFAULT_RETENTION_DAYS,
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._entries = collection_on(db, collection, write_concern)
        self._retention = retention_days * 24 * 60 * 60
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._entries.create_index([("userId", DESCENDING), ("at", DESCENDING)])
        self._entries.create_index([("event", DESCENDING), ("at", DESCENDING)])
        self._entries.create_index("at", expireAfterSeconds=self._retention)

    @command
    def append(self, entry: AuditEntry) -> None:
        # The `_id`, made by the client, orders the entries of one millisecond (see `page`).
        insert_once(self._entries, _to_document(entry))

    @command
    def page(
        self,
        user_id: str | None,
        event: str | None,
        before: tuple[datetime, str] | None,
        since: datetime,
        limit: int,
    ) -> list[AuditEntry]:
        query: dict[str, Any] = {"at": {"$gte": to_mongo_time(since)}}
        if user_id is not None:
            query["userId"] = user_id
        if event is not None:
            query["event"] = event
        if before is not None:
            query = {"$and": [query, _older_than(*before)]}
        # `_id` second: entries of one millisecond in the order they were written, newest first.
        cursor = self._entries.find(query).sort([("at", DESCENDING), ("_id", DESCENDING)])
        return [_from_document(document) for document in cursor.limit(limit)]


def _older_than(at: datetime, entry_id: str) -> dict[str, Any]:
    stored_at = to_mongo_time(at)
    if not ObjectId.is_valid(entry_id):
        return {"at": {"$lt": stored_at}}
    return {
        "$or": [{"at": {"$lt": stored_at}}, {"at": stored_at, "_id": {"$lt": ObjectId(entry_id)}}]
    }


def _to_document(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": to_mongo_time(entry.at),
        "event": entry.event,
        "outcome": entry.outcome,
        "userId": entry.user_id,
        "actorId": entry.actor_id,
        "remoteAddr": entry.remote_addr,
        "details": dict(entry.details),
        "impersonatorId": entry.impersonator_id,
    }


def _from_document(document: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        at=from_mongo_time(document["at"]),
        event=document["event"],
        outcome=document["outcome"],
        user_id=document.get("userId"),
        actor_id=document.get("actorId"),
        remote_addr=document.get("remoteAddr"),
        details=document.get("details") or {},
        impersonator_id=document.get("impersonatorId"),
        entry_id=str(document["_id"]),
    )
