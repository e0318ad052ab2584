"""Inserts that are safe to retry.

An insert is the one write of the stores that is not idempotent: sent twice, the second copy meets
the first. With retryable writes (pymongo's default on a replica set) the server recognises the
driver's retry and answers the first result; where it cannot (`retryWrites=false`, a server without
retryable writes, such as DocumentDB before 8.0.2), a retry after a lost acknowledgement is refused
by the unique index on the client-made key (a token hash, a key id, a username key). Every document
is given its `_id` here, on the client, so the store can tell its own earlier attempt from another
document holding the same key.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError


def insert_once(collection: Collection, document: dict[str, Any]) -> ObjectId:
    """Insert `document` (given a client-made `_id` if it has none) and return its `_id`.

    Raises `DuplicateKeyError` only when another document holds one of its unique keys: when the
    document refused is the one an earlier attempt of this same insert stored, that is success.
    """
    document.setdefault("_id", ObjectId())
    try:
        collection.insert_one(document)
    except DuplicateKeyError:
        if collection.find_one({"_id": document["_id"]}, {"_id": 1}) is None:
            raise
    return document["_id"]
