"""The MongoDB token store."""

from __future__ import annotations

import logging
from datetime import datetime

from pymongo import DESCENDING, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.models import Session, User
from frappyauth.core.protocols import RoleStore, UserStore
from frappyauth.stores.mongo.connection import collection_on, translate_connection_errors
from frappyauth.stores.mongo.documents import (
    session_from_document,
    session_to_document,
    to_mongo_time,
)
from frappyauth.stores.mongo.joins import find_with_user
from frappyauth.stores.mongo.retries import insert_once
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command
from frappyauth.stores.mongo.migration import Progress, quiet
from frappyauth.stores.mongo.schema import (
    MARKER_COLLECTION,
    MigrationReport,
    migrate_on_start_default,
    migrate_sessions,
    read_marker,
)

log = logging.getLogger("frappyauth")


class MongoSessionStore(StartsOnFirstContact):
    """Sessions in a MongoDB collection; a TTL index on `expires` lets the server delete expired
    ones.

    Before its first command the store reads its schema marker (one read); an unmarked database is
    migrated then (see `schema`, and `startup`: building the store sends nothing).
    frappyflaskauth's plaintext session documents are deleted, never converted, because 1.6 did not
    delete them at logout. Those an old worker writes later are never returned
    by any method here.
    """

    def __init__(
        self,
        db: Database,
        tokens_collection: str = "userTokens",
        *,
        migrate_on_start: bool | None = None,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._db = db
        self._tokens = collection_on(db, tokens_collection, write_concern)
        self._markers = collection_on(db, MARKER_COLLECTION, write_concern)
        self._migrate_on_start = (
            migrate_on_start if migrate_on_start is not None else migrate_on_start_default()
        )
        self._startup = Startup(self._start_up, db)

    def _start_up(self) -> None:
        if self._migrate_on_start and read_marker(self._markers, self._tokens.name) is None:
            report = migrate_sessions(self._markers, self._tokens, False, quiet)
            log.info(report.summary())

    @translate_connection_errors
    def migrate(
        self, dry_run: bool = False, progress: Progress | None = None, now: datetime | None = None
    ) -> MigrationReport:
        """Delete legacy session documents and create the indexes (or, in a dry run, count them).

        With `now`, the report also says how many legacy sessions had not expired yet.
        """
        return migrate_sessions(self._markers, self._tokens, dry_run, progress or quiet, now)

    @command
    def create(self, session: Session) -> None:
        try:
            insert_once(self._tokens, session_to_document(session))
        except DuplicateKeyError:
            raise ValueError("A session with that token hash or session id exists.") from None

    @command
    def get(self, token_hash: str, now: datetime) -> Session | None:
        if not isinstance(token_hash, str):
            return None
        document = self._tokens.find_one(
            {"tokenHash": token_hash, "expires": {"$gt": to_mongo_time(now)}}
        )
        return None if document is None else session_from_document(document)

    @command
    def get_with_user(
        self, token_hash: str, now: datetime, users: UserStore, roles: RoleStore | None = None
    ) -> tuple[Session, User | None] | None:
        if not isinstance(token_hash, str):
            return None
        query = {"tokenHash": token_hash, "expires": {"$gt": to_mongo_time(now)}}
        found = find_with_user(self._tokens, query, users, roles)
        return None if found is None else (session_from_document(found[0]), found[1])

    @command
    def delete(self, token_hash: str) -> bool:
        return (
            isinstance(token_hash, str)
            and self._tokens.delete_one({"tokenHash": token_hash}).deleted_count == 1
        )

    @command
    def delete_for_user(self, user_id: str, keep_token_hash: str | None = None) -> int:
        query: dict = {"userId": user_id}
        if keep_token_hash is not None:
            query["tokenHash"] = {"$ne": keep_token_hash}
        return self._tokens.delete_many(query).deleted_count

    @command
    def purge_expired(self, now: datetime) -> int:
        return self._tokens.delete_many({"expires": {"$lte": to_mongo_time(now)}}).deleted_count

    @command
    def list_for_user(self, user_id: str, now: datetime) -> list[Session]:
        # A legacy document (no `tokenHash`) an old worker wrote is not a session of ours.
        cursor = self._tokens.find(
            {
                "userId": user_id,
                "tokenHash": {"$exists": True},
                "expires": {"$gt": to_mongo_time(now)},
            }
        )
        return [session_from_document(document) for document in cursor.sort("created", DESCENDING)]

    @command
    def delete_by_id(self, user_id: str, session_id: str) -> bool:
        if not isinstance(session_id, str):
            return False
        return (
            self._tokens.delete_one({"sessionId": session_id, "userId": user_id}).deleted_count == 1
        )

    def touch(self, token_hash: str, last_used_at: datetime) -> bool:
        return self._set(token_hash, {"lastUsed": to_mongo_time(last_used_at)})

    def set_credential_version(self, token_hash: str, credential_version: str) -> bool:
        return self._set(token_hash, {"credentialVersion": credential_version})

    @command
    def _set(self, token_hash: str, fields: dict) -> bool:
        if not isinstance(token_hash, str):
            return False
        return (
            self._tokens.update_one({"tokenHash": token_hash}, {"$set": fields}).matched_count == 1
        )
