"""The MongoDB store of mailed tokens."""

from __future__ import annotations

from datetime import datetime

from pymongo import WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.models import MailToken
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.stores.mongo.documents import (
    mail_token_from_document,
    mail_token_to_document,
    to_mongo_time,
)
from frappyauth.stores.mongo.retries import insert_once
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command


class MongoMailTokenStore(StartsOnFirstContact):
    """Mailed tokens in a MongoDB collection; a TTL index on `expires` lets the server delete
    expired ones."""

    def __init__(
        self,
        db: Database,
        mail_tokens_collection: str = "userMailTokens",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._tokens = collection_on(db, mail_tokens_collection, write_concern)
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._tokens.create_index("tokenHash", unique=True)
        self._tokens.create_index("userId")
        self._tokens.create_index("expires", expireAfterSeconds=0)

    @command
    def create(self, token: MailToken) -> None:
        try:
            insert_once(self._tokens, mail_token_to_document(token))
        except DuplicateKeyError:
            raise ValueError("A mail token with that hash exists.") from None

    @command
    def take(self, token_hash: str, purpose: str, now: datetime) -> MailToken | None:
        if not isinstance(token_hash, str):
            return None
        # One find_one_and_delete: of concurrent takes, the server gives the document to exactly
        # one.
        document = self._tokens.find_one_and_delete(
            {"tokenHash": token_hash, "purpose": purpose, "expires": {"$gt": to_mongo_time(now)}}
        )
        return None if document is None else mail_token_from_document(document)

    @command
    def delete_for_user(self, user_id: str, purpose: str | None = None) -> int:
        query = {"userId": user_id} if purpose is None else {"userId": user_id, "purpose": purpose}
        return self._tokens.delete_many(query).deleted_count

    @command
    def purge_expired(self, now: datetime) -> int:
        return self._tokens.delete_many({"expires": {"$lte": to_mongo_time(now)}}).deleted_count
