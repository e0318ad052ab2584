"""The MongoDB token store."""
from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.models import Session
from frappyauth.stores.mongo.connection import translate_connection_errors
from frappyauth.stores.mongo.documents import session_from_document, session_to_document, to_mongo_time
from frappyauth.stores.mongo.migration import add_session_ids, hash_plaintext_field


class MongoSessionStore:
    """Sessions in a MongoDB collection; a TTL index on `expires` lets the server delete expired ones.

    Sessions frappyflaskauth stored with a plaintext `token` are upgraded to a `tokenHash` on start-up,
    so their holders stay logged in.
    """

    @translate_connection_errors
    def __init__(self, db: Database, tokens_collection: str = "userTokens") -> None:
        self._tokens = db[tokens_collection]
        hash_plaintext_field(self._tokens, "token", "tokenHash")
        add_session_ids(self._tokens)
        self._tokens.create_index("tokenHash", unique=True, sparse=True)
        self._tokens.create_index("sessionId", unique=True, sparse=True)
        self._tokens.create_index("userId")
        self._tokens.create_index("expires", expireAfterSeconds=0)

    @translate_connection_errors
    def create(self, session: Session) -> None:
        try:
            self._tokens.insert_one(session_to_document(session))
        except DuplicateKeyError:
            raise ValueError("A session with that token hash or session id exists.") from None

    @translate_connection_errors
    def get(self, token_hash: str, now: datetime) -> Session | None:
        if not isinstance(token_hash, str):
            return None
        document = self._tokens.find_one({"tokenHash": token_hash, "expires": {"$gt": to_mongo_time(now)}})
        return None if document is None else session_from_document(document)

    @translate_connection_errors
    def delete(self, token_hash: str) -> bool:
        return isinstance(token_hash, str) and self._tokens.delete_one({"tokenHash": token_hash}).deleted_count == 1

    @translate_connection_errors
    def delete_for_user(self, user_id: str, keep_token_hash: str | None = None) -> int:
        query: dict = {"userId": user_id}
        if keep_token_hash is not None:
            query["tokenHash"] = {"$ne": keep_token_hash}
        return self._tokens.delete_many(query).deleted_count

    @translate_connection_errors
    def purge_expired(self, now: datetime) -> int:
        return self._tokens.delete_many({"expires": {"$lte": to_mongo_time(now)}}).deleted_count

    @translate_connection_errors
    def list_for_user(self, user_id: str, now: datetime) -> list[Session]:
        cursor = self._tokens.find({"userId": user_id, "expires": {"$gt": to_mongo_time(now)}})
        return [session_from_document(document) for document in cursor.sort("created", DESCENDING)]

    @translate_connection_errors
    def delete_by_id(self, user_id: str, session_id: str) -> bool:
        if not isinstance(session_id, str):
            return False
        return self._tokens.delete_one({"sessionId": session_id, "userId": user_id}).deleted_count == 1

    def touch(self, token_hash: str, last_used_at: datetime) -> bool:
        return self._set(token_hash, {"lastUsed": to_mongo_time(last_used_at)})

    def set_credential_version(self, token_hash: str, credential_version: str) -> bool:
        return self._set(token_hash, {"credentialVersion": credential_version})

    @translate_connection_errors
    def _set(self, token_hash: str, fields: dict) -> bool:
        if not isinstance(token_hash, str):
            return False
        return self._tokens.update_one({"tokenHash": token_hash}, {"$set": fields}).matched_count == 1
