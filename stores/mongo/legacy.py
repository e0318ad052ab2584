"""Lazy upgrades on the read paths, for documents an old frappymongouser worker writes after
start-up.

During a rolling upgrade an old worker still creates users without a `usernameKey` and hands out
plaintext `apiKey`s. The start-up migration has run by then, so these lookups find such a document
when the indexed lookup misses, and upgrade it on this first touch. Each write is conditional on the
document still holding what was read, so a concurrent change by the old worker is never overwritten.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from frappyauth.core.minting import hash_secret
from frappyauth.core.models import username_key

log = logging.getLogger("frappyauth")


def adopt_legacy_username(users: Collection, key: str) -> dict[str, Any] | None:
    """The one user without a `usernameKey` whose name has this key, given the key; else `None`.

    The case-insensitive regex narrows the candidates on the `username` index (it cannot express
    NFKC); the key decides. Two candidates for one key are ambiguous: neither is returned, as at
    start-up.
    """
    if not key:  # frappyflaskauth refused empty names; a nameless user cannot log in
        return None
    query = {
        "usernameKey": {"$exists": False},
        "username": {"$regex": f"^{re.escape(key)}$", "$options": "i"},
    }
    candidates = [
        document
        for document in users.find(query, {"username": 1})
        if isinstance(document["username"], str) and username_key(document["username"]) == key
    ]
    if len(candidates) != 1:
        if candidates:
            log.warning(
                "%d users written by an old worker share one username key; none can log in until "
                "`flask frappyauth migrate` names them",
                len(candidates),
            )
        return None
    found = candidates[0]
    try:
        return users.find_one_and_update(
            {"_id": found["_id"], "username": found["username"], "usernameKey": {"$exists": False}},
            {"$set": {"usernameKey": key}},
            return_document=ReturnDocument.AFTER,
        )
    except (
        DuplicateKeyError
    ):  # another user took the key meanwhile: this one stays unreachable by name
        return None


def adopt_plaintext_api_key(users: Collection, api_key_hash: str) -> dict[str, Any] | None:
    """The user whose plaintext `apiKey` hashes to `api_key_hash`, with the key now hashed; else
    `None`.

    Reads only documents that still hold a plaintext key (a sparse index on `apiKey`): after the
    migration, those an old worker wrote since.
    """
    for document in users.find({"apiKey": {"$exists": True}}, {"apiKey": 1}):
        plaintext = document["apiKey"]
        if isinstance(plaintext, str) and hash_secret(plaintext) == api_key_hash:
            return users.find_one_and_update(
                {"_id": document["_id"], "apiKey": plaintext},
                {"$set": {"apiKeyHash": api_key_hash}, "$unset": {"apiKey": ""}},
                return_document=ReturnDocument.AFTER,
            )
    return None
