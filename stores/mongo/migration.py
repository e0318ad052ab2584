"""The upgrades of documents written by frappymongouser and frappyflaskauth, one function per
change.

Each step finds what it would change, reports the count through `step`, and writes only when `write`
is true. Writes are batched (see `set_by_value`); every step is idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from frappyauth.core.lookalikes import lookalike_keys
from frappyauth.core.minting import hash_secret, new_session_id
from frappyauth.core.models import username_key
from frappyauth.stores.mongo.documents import LOOKALIKE_FIELDS, to_legacy_time

BATCH_SIZE = 500
Progress = Callable[[str], None]


def quiet(line: str) -> None:
    """Progress lines are for a terminal (`flask frappyauth migrate`), not for the start-up log."""


NAMELESS = {"username": {"$not": {"$type": "string"}}}
# `$type` alone also matches an array holding a string: only a bare string is legacy.
STRING_PERMISSIONS = {"permissions": {"$type": "string", "$not": {"$type": "array"}}}
STRING_API_KEY = {"apiKey": {"$type": "string", "$not": {"$type": "array"}}}
# Values frappymongouser never wrote (a hand-edited database): skipped by every step and reported.
LIST_USERNAMES = {"username": {"$type": "array"}}
LIST_API_KEYS = {"apiKey": {"$type": "array"}}
LEGACY_SESSION = {"tokenHash": {"$exists": False}}

log = logging.getLogger("frappyauth")


class LegacyUsernameConflictError(RuntimeError):
    """Existing users whose usernames differ only in case (or Unicode form) cannot share one
    account."""

    def __init__(self, groups: list[list[str]]) -> None:
        names = "; ".join(", ".join(sorted(group)) for group in groups)
        super().__init__(
            f"These usernames collide once case is ignored: {names}. Rename or remove all but one "
            f"of each "
            "group, then start again; frappyauth merges or drops nothing by itself."
        )
        self.groups = groups


def set_by_value(
    collection: Collection,
    query: dict[str, Any],
    source: str,
    target: str,
    mapping: dict[Any, Any],
    progress: Progress,
    drop_source: bool = False,
) -> int:
    """Set `target` to `mapping[source value]` on the documents matching `query`; return how many
    changed.

    One `update_many` per batch of values: a pipeline whose `$switch` picks the new value by the old
    one. `bulk_write` of `UpdateOne`s would be the usual form, but mongomock 4.3 (the suite's
    MongoDB) cannot read pymongo >= 4.9's `UpdateOne`, and `$set: {f: ["$f"]}` is not evaluated by
    it. Matching on the value also makes each write conditional: a document an old worker changed
    meanwhile is left for the lazy paths. `$literal` keeps values that start with `$` from being
    read as field paths.
    """
    values, changed = list(mapping), 0
    # `$in` also matches an array holding a value, which no `$switch` branch equals: a switch
    # without a matching branch fails the whole update (on MongoDB as on mongomock).
    query = {"$and": [query, {source: {"$not": {"$type": "array"}}}]}
    for start in range(0, len(values), BATCH_SIZE):
        batch = values[start : start + BATCH_SIZE]
        branches = [
            {
                "case": {"$eq": [f"${source}", {"$literal": value}]},
                "then": {"$literal": mapping[value]},
            }
            for value in batch
        ]
        pipeline: list[dict[str, Any]] = [{"$set": {target: {"$switch": {"branches": branches}}}}]
        if drop_source:
            pipeline.append({"$project": {source: 0}})
        changed += collection.update_many(
            {"$and": [query, {source: {"$in": batch}}]}, pipeline
        ).modified_count
        progress(f"{collection.name}: {target} {start + len(batch)}/{len(values)}")
    return changed


def add_username_keys(users: Collection, write: bool, progress: Progress) -> int:
    """Give every named user without a `usernameKey` one; raise if two users would share a key."""
    names = [
        document["username"]
        for document in users.find(
            {"usernameKey": {"$exists": False}, "username": {"$type": "string"}}, {"username": 1}
        )
        if isinstance(document["username"], str)
    ]  # `$type` also matches an array holding a string
    key_of = {name: username_key(name) for name in names}
    names_by_key: defaultdict[str, list[str]] = defaultdict(list)
    for name in names:
        names_by_key[key_of[name]].append(name)
    for document in users.find(
        {"usernameKey": {"$in": list(names_by_key)}}, {"username": 1, "usernameKey": 1}
    ):
        names_by_key[document["usernameKey"]].append(document["username"])
    conflicts = [names for names in names_by_key.values() if len(names) > 1]
    if conflicts:
        raise LegacyUsernameConflictError(conflicts)
    return (
        set_by_value(
            users, {"usernameKey": {"$exists": False}}, "username", "usernameKey", key_of, progress
        )
        if write
        else len(key_of)
    )


def drop_stale_lookalike_keys(users: Collection, write: bool, progress: Progress) -> int:
    """Remove the first lookalike key where it is not what `lookalike_keys` makes now (schema 7
    folds case after the shown skeleton), so that `add_lookalike_keys` sets it again, the older of
    two lookalikes first. Only names with capitals or case-sensitive confusables change."""
    field = LOOKALIKE_FIELDS[0]
    stale = [
        document["_id"]
        for document in users.find(
            {field: {"$exists": True}, "username": {"$type": "string"}},
            {"username": 1, field: 1},
        )
        if isinstance(document["username"], str)
        and document[field] != lookalike_keys(document["username"])[0]
    ]
    if not write:
        return len(stale)
    changed = 0
    for start in range(0, len(stale), BATCH_SIZE):
        batch = stale[start : start + BATCH_SIZE]
        changed += users.update_many(
            {"_id": {"$in": batch}}, {"$unset": {field: ""}}
        ).modified_count
        progress(f"{users.name}: {changed} stale lookalike keys dropped")
    return changed


def add_lookalike_keys(users: Collection, write: bool, progress: Progress) -> int:
    """Give each named user the lookalike keys (see `lookalikes`) that no older user holds.

    Existing names stay valid: of two users that look alike the older one holds the key and the
    younger keeps its name without it; a new name like either is refused. The unique indexes exist
    before anything is written, so a key that a concurrent create (or another worker's migration)
    took meanwhile is refused by MongoDB, never stored twice: a batch that meets one is redone a
    document at a time.
    """
    changed = 0
    for which, field in enumerate(LOOKALIKE_FIELDS):
        names = [
            document["username"]
            for document in users.find(
                {field: {"$exists": False}, "username": {"$type": "string"}}, {"username": 1}
            ).sort("_id", 1)
            if isinstance(document["username"], str)
        ]
        wanted = {name: lookalike_keys(name)[which] for name in names}
        held = {
            document[field]
            for document in users.find({field: {"$in": list(set(wanted.values()))}}, {field: 1})
        }
        key_of: dict[str, str] = {}
        for name in names:  # oldest first: the older of two lookalikes gets the key
            if wanted[name] not in held:
                held.add(wanted[name])
                key_of[name] = wanted[name]
        if not write:
            changed += len(key_of)
            continue
        users.create_index(field, unique=True, sparse=True)
        try:
            changed += set_by_value(
                users, {field: {"$exists": False}}, "username", field, key_of, progress
            )
        except DuplicateKeyError:
            changed += _set_one_by_one(users, field, key_of)
    return changed


def _set_one_by_one(users: Collection, field: str, key_of: dict[str, str]) -> int:
    changed = 0
    for name, key in key_of.items():
        try:
            changed += users.update_one(
                {field: {"$exists": False}, "username": name}, {"$set": {field: key}}
            ).modified_count
        except DuplicateKeyError:  # taken since we looked: this user keeps its name without the key
            log.warning(
                "lookalike-username: a user created meanwhile holds a lookalike key of an older "
                "user"
            )
    return changed


def hash_api_keys(users: Collection, write: bool, progress: Progress) -> int:
    """Replace every plaintext `apiKey` by its SHA-256 in `apiKeyHash`."""
    keys = {
        document["apiKey"]: hash_secret(document["apiKey"])
        for document in users.find(STRING_API_KEY, {"apiKey": 1})
        if isinstance(document["apiKey"], str)
    }
    return (
        set_by_value(users, {}, "apiKey", "apiKeyHash", keys, progress, drop_source=True)
        if write
        else len(keys)
    )


def list_string_permissions(users: Collection, write: bool, progress: Progress) -> int:
    """Turn a legacy `permissions` string (`"view"`) into the list it meant (`["view"]`)."""
    if not write:
        return users.count_documents(STRING_PERMISSIONS)
    lists = {
        value: [value]
        for value in users.distinct("permissions", STRING_PERMISSIONS)
        if isinstance(value, str)
    }
    return set_by_value(users, STRING_PERMISSIONS, "permissions", "permissions", lists, progress)


def count_nameless_users(users: Collection) -> int:
    """Users frappymongouser stored by email or uid only: listed, but unable to log in."""
    return users.count_documents(NAMELESS)


def count_list_values(users: Collection) -> tuple[int, int]:
    """Users whose username, and users whose API key, is a list: left as they are, unusable."""
    return users.count_documents(LIST_USERNAMES), users.count_documents(LIST_API_KEYS)


def remove_legacy_sessions(
    tokens: Collection, write: bool, now: datetime | None
) -> tuple[int, int | None]:
    """Delete frappyflaskauth's plaintext session documents; return (how many, how many had not
    expired).

    They are never converted: frappyflaskauth 1.6 did not delete them at logout, so a logged-out
    token would come back to life. Their naive `expires` is the old server's local time. Without
    `now`, the second count is `None`.
    """
    unexpired = None
    if now is not None:
        unexpired = tokens.count_documents(
            {**LEGACY_SESSION, "expires": {"$gt": to_legacy_time(now)}}
        )
    if write:
        return tokens.delete_many(LEGACY_SESSION).deleted_count, unexpired
    return tokens.count_documents(LEGACY_SESSION), unexpired


def add_session_ids(tokens: Collection, write: bool, progress: Progress) -> int:
    """Give sessions stored before session ids existed a public id of their own."""
    hashes = [
        document["tokenHash"]
        for document in tokens.find(
            {"sessionId": {"$exists": False}, "tokenHash": {"$type": "string"}}, {"tokenHash": 1}
        )
        if isinstance(document["tokenHash"], str)
    ]
    if not write:
        return len(hashes)
    ids = {token_hash: new_session_id() for token_hash in hashes}
    return set_by_value(
        tokens, {"sessionId": {"$exists": False}}, "tokenHash", "sessionId", ids, progress
    )
