"""The MongoDB store of linked provider identities: collection `userIdentities`, one document per
link, its `_id` the link's `identity_id`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.errors import StoreUnavailableError
from frappyauth.core.models import LinkedIdentity
from frappyauth.stores.mongo.connection import RETRY_AFTER_SECONDS, collection_on
from frappyauth.stores.mongo.documents import from_mongo_time, to_mongo_time
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command

# A link whose pair is taken reads the holder; should the holder be unlinked between the insert
# and the read, the insert is tried again. Only a pair linked and unlinked that fast, again and
# again, runs out of attempts.
LINK_ATTEMPTS = 3


class MongoIdentityStore(StartsOnFirstContact):
    """A unique index on (`issuer`, `subject`) makes the pair one link on every worker: a link is
    one insert, and a pair already taken is the server's duplicate key, never a read before the
    write. An index on `userId` serves a user's links and their counts."""

    def __init__(
        self,
        db: Database,
        collection: str = "userIdentities",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._identities = collection_on(db, collection, write_concern)
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._identities.create_index([("issuer", ASCENDING), ("subject", ASCENDING)], unique=True)
        self._identities.create_index("userId")

    @command
    def link(self, identity: LinkedIdentity) -> LinkedIdentity:
        document = _to_document(identity)
        for _ in range(LINK_ATTEMPTS):
            try:
                self._identities.insert_one(dict(document))
                return identity
            except DuplicateKeyError:
                # The pair's holder; also this insert's own document, when a retry after a lost
                # acknowledgement met it (see `retries`).
                holder = self._identities.find_one(
                    {"issuer": identity.issuer, "subject": identity.subject}
                )
                if holder is not None:
                    return _from_document(holder)
                if self._identities.find_one({"_id": identity.identity_id}, {"_id": 1}) is not None:
                    raise ValueError("A link with that identity id exists.") from None
        raise StoreUnavailableError(retry_after=RETRY_AFTER_SECONDS)

    @command
    def find(self, issuer: str, subject: str) -> LinkedIdentity | None:
        if not (isinstance(issuer, str) and isinstance(subject, str)):
            return None
        document = self._identities.find_one({"issuer": issuer, "subject": subject})
        return None if document is None else _from_document(document)

    @command
    def get(self, user_id: str, identity_id: str) -> LinkedIdentity | None:
        if not (isinstance(user_id, str) and isinstance(identity_id, str)):
            return None
        document = self._identities.find_one({"_id": identity_id, "userId": user_id})
        return None if document is None else _from_document(document)

    @command
    def list_for_user(self, user_id: str) -> list[LinkedIdentity]:
        if not isinstance(user_id, str):
            return []
        cursor = self._identities.find({"userId": user_id}).sort(
            [("createdAt", ASCENDING), ("_id", ASCENDING)]
        )
        return [_from_document(document) for document in cursor]

    @command
    def counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        wanted = [user_id for user_id in user_ids if isinstance(user_id, str)]
        counts: dict[str, int] = {}
        for document in self._identities.find({"userId": {"$in": wanted}}, {"userId": 1}):
            counts[document["userId"]] = counts.get(document["userId"], 0) + 1
        return counts

    @command
    def touch(
        self, identity_id: str, last_used_at: datetime, email: str | None, email_verified: bool
    ) -> bool:
        if not isinstance(identity_id, str):
            return False
        update = {
            "lastUsedAt": to_mongo_time(last_used_at),
            "email": email,
            "emailVerified": bool(email_verified),
        }
        return (
            self._identities.update_one({"_id": identity_id}, {"$set": update}).matched_count == 1
        )

    @command
    def delete(self, user_id: str, identity_id: str) -> bool:
        if not (isinstance(user_id, str) and isinstance(identity_id, str)):
            return False
        result = self._identities.delete_one({"_id": identity_id, "userId": user_id})
        return result.deleted_count == 1

    @command
    def delete_for_user(self, user_id: str) -> int:
        if not isinstance(user_id, str):
            return 0
        return self._identities.delete_many({"userId": user_id}).deleted_count


def _to_document(identity: LinkedIdentity) -> dict[str, Any]:
    last_used = identity.last_used_at
    return {
        "_id": identity.identity_id,
        "userId": identity.user_id,
        "provider": identity.provider,
        "issuer": identity.issuer,
        "subject": identity.subject,
        "email": identity.email,
        "emailVerified": bool(identity.email_verified),
        "createdAt": to_mongo_time(identity.created_at),
        "lastUsedAt": None if last_used is None else to_mongo_time(last_used),
    }


def _from_document(document: dict[str, Any]) -> LinkedIdentity:
    last_used = document.get("lastUsedAt")
    return LinkedIdentity(
        identity_id=str(document["_id"]),
        user_id=document["userId"],
        provider=document["provider"],
        issuer=document["issuer"],
        subject=document["subject"],
        email=document.get("email"),
        email_verified=bool(document.get("emailVerified")),
        created_at=from_mongo_time(document["createdAt"]),
        last_used_at=from_mongo_time(last_used) if isinstance(last_used, datetime) else None,
    )
