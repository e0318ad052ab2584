"""Reading a session or an API key together with its user in one command: the per-request read.

An authenticated request needs the credential's record and its user. Read one after the other they
cost two round trips; an aggregation on the credential's collection with a `$lookup` of the user by
its `_id` costs one. Sessions and keys keep the user's id as the string `userId` (frappymongouser's
layout), and `$lookup` matches only values of one type, so they also store it as an ObjectId,
`userRef`: converting in the pipeline (`$toObjectId`, `$convert`, or a `let` sub-pipeline) would do
the same on a real server, but mongomock, on which the tests run, implements none of them. Documents
without `userRef` (written before it existed, or by an old worker during a rolling upgrade) still
work: their user is read by a second command.
"""

from __future__ import annotations

from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database

from frappyauth.core.models import User
from frappyauth.core.protocols import UserStore

USER_REF = (
    "userRef"  # the owner's `_id` as an ObjectId, beside the string `userId` (`documents.user_ref`)
)
JOINED = "joinedUser"  # the field the `$lookup` fills with a list of at most one user document


class JoinableUsers:
    """A user store whose users `$lookup` can join: a MongoDB collection on `database` named
    `collection_name`, read back with `user_from_document`. The Mongo user store is one; a
    wrapper around it (a spy, a proxy) is not, so its own `get` is what runs."""

    @property
    def database(self) -> Database:
        raise NotImplementedError

    @property
    def collection_name(self) -> str:
        raise NotImplementedError

    def user_from_document(self, document: dict[str, Any]) -> User:
        raise NotImplementedError


def find_with_user(
    collection: Collection, query: dict[str, Any], users: UserStore
) -> tuple[dict[str, Any], User | None] | None:
    """The first document matching `query` and the user its `userId` names, or `None` if none
    matches.

    One aggregation when `users` is a Mongo user store on the collection's database; otherwise
    (another database, another kind of store) or for a document without `userRef`, the user is read
    by `users.get`.
    """
    if isinstance(users, JoinableUsers) and users.database == collection.database:
        pipeline: list[dict[str, Any]] = [
            {"$match": query},
            {"$limit": 1},
            {
                "$lookup": {
                    "from": users.collection_name,
                    "localField": USER_REF,
                    "foreignField": "_id",
                    "as": JOINED,
                }
            },
        ]
        document = next(iter(collection.aggregate(pipeline)), None)
        if document is None:
            return None
        joined = document.pop(JOINED)
        # `userRef` is written with `userId` and never changes; should they ever disagree, `userId`
        # decides.
        if USER_REF in document and str(document[USER_REF]) == document["userId"]:
            return document, users.user_from_document(joined[0]) if joined else None
    else:
        document = collection.find_one(query)
        if document is None:
            return None
    return document, users.get(document["userId"])
