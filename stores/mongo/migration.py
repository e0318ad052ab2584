"""One-time, idempotent upgrades of documents written by frappymongouser and frappyflaskauth."""
from __future__ import annotations

from collections import defaultdict

from pymongo.collection import Collection

from frappyauth.core.models import username_key
from frappyauth.core.minting import hash_secret, new_session_id


class LegacyUsernameConflictError(RuntimeError):
    """Existing users whose usernames differ only in case (or Unicode form) cannot share one account."""

    def __init__(self, groups: list[list[str]]) -> None:
        names = "; ".join(", ".join(sorted(group)) for group in groups)
        super().__init__(
            f"These usernames collide once case is ignored: {names}. Rename or remove all but one of each "
            "group, then start again; frappyauth merges or drops nothing by itself."
        )
        self.groups = groups


def add_username_keys(users: Collection) -> None:
    """Give every user without a `usernameKey` one, refusing to start if two users would share a key."""
    legacy = list(users.find({"usernameKey": {"$exists": False}, "username": {"$type": "string"}},
                             {"username": 1}))
    if not legacy:
        return
    key_of = {document["_id"]: username_key(document["username"]) for document in legacy}
    names_by_key: defaultdict[str, list[str]] = defaultdict(list)
    for document in legacy:
        names_by_key[key_of[document["_id"]]].append(document["username"])
    for document in users.find({"usernameKey": {"$in": list(names_by_key)}}, {"username": 1, "usernameKey": 1}):
        names_by_key[document["usernameKey"]].append(document["username"])
    conflicts = [names for names in names_by_key.values() if len(names) > 1]
    if conflicts:
        raise LegacyUsernameConflictError(conflicts)
    # One update per document rather than bulk_write: this runs once, and mongomock's bulk_write cannot
    # read pymongo 4.9+'s UpdateOne.
    for document in legacy:
        users.update_one({"_id": document["_id"]}, {"$set": {"usernameKey": key_of[document["_id"]]}})


def hash_plaintext_field(collection: Collection, plaintext_field: str, hash_field: str) -> None:
    """Replace every plaintext secret in `plaintext_field` by its SHA-256 in `hash_field`."""
    for document in list(collection.find({plaintext_field: {"$type": "string"}}, {plaintext_field: 1})):
        collection.update_one({"_id": document["_id"]}, {"$set": {hash_field: hash_secret(document[plaintext_field])},
                                                         "$unset": {plaintext_field: ""}})


def add_session_ids(tokens: Collection) -> None:
    """Give sessions stored before session ids existed a public id of their own."""
    for document in list(tokens.find({"sessionId": {"$exists": False}}, {"_id": 1})):
        tokens.update_one({"_id": document["_id"]}, {"$set": {"sessionId": new_session_id()}})
