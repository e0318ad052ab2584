"""The MongoDB audit trail: collection `userAuditLog`, one document per entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database

from frappyauth.core.models import AuditEntry
from frappyauth.stores.mongo.connection import translate_connection_errors
from frappyauth.stores.mongo.documents import from_mongo_time, to_mongo_time

DEFAULT_RETENTION_DAYS = 180


class MongoAuditStore:
    """Entries in a MongoDB collection. Indexes on (user, time), (event, time) and time serve every
    page; a TTL index on the time lets the server forget entries after `retention_days` (the core
    never returns older ones anyway: garbage collection, not correctness)."""

    @translate_connection_errors
    def __init__(
        self,
        db: Database,
        collection: str = "userAuditLog",
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._entries = db[collection]
        self._entries.create_index([("userId", DESCENDING), ("at", DESCENDING)])
        self._entries.create_index([("event", DESCENDING), ("at", DESCENDING)])
        self._entries.create_index("at", expireAfterSeconds=retention_days * 24 * 60 * 60)

    @translate_connection_errors
    def append(self, entry: AuditEntry) -> None:
        self._entries.insert_one(_to_document(entry))  # `_id` made by the client: ordered

    @translate_connection_errors
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
