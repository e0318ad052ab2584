"""Schema versions: a marker document per collection, so a migrated database costs one read at
start.

`migrate_users` and `migrate_sessions` run every step of `migration` and create the indexes, then
record `SCHEMA_VERSION` in the marker collection. A store finding its marker current skips both.
Documents an old worker writes after that are handled by the read paths (`legacy`) until `flask
frappyauth migrate` (which always runs every step) converts them. A new index or conversion needs a
new `SCHEMA_VERSION`, or marked databases would never get it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from frappyauth.stores.mongo import migration
from frappyauth.stores.mongo.documents import LOOKALIKE_FIELDS
from frappyauth.stores.mongo.migration import LegacyUsernameConflictError, Progress

# 1: frappymongouser's layout (its `dataModelVersion`); 2: frappyauth's; 3: lookalike keys; 4: the
# unique `emailKey` index of the mail flows; 5: the `roles` index (option `roles`); 6: the
# `reservedNames.keys` index of renames; 7: the first lookalike key folds case after the skeleton
SCHEMA_VERSION = 7
MARKER_COLLECTION = "frappyauthSchema"
MIGRATE_ON_START_VARIABLE = "FRAPPYAUTH_MIGRATE_ON_START"


def migrate_on_start_default() -> bool:
    """True unless `FRAPPYAUTH_MIGRATE_ON_START=0`: how an operator runs `migrate --dry-run` on an
    app whose stores would otherwise migrate while the app is being loaded."""
    return os.environ.get(MIGRATE_ON_START_VARIABLE, "1").strip().lower() not in (
        "0",
        "false",
        "no",
    )


@dataclass
class MigrationReport:
    """What a migration of one collection changed (or, in a dry run, would change)."""

    collection: str
    dry_run: bool
    changes: list[tuple[int, str, str]] = field(default_factory=list)  # (count, what, done to it)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the log or the terminal."""
        tense = "to be " if self.dry_run else ""
        done = ", ".join(
            f"{count} {what} {tense}{verb}" for count, what, verb in self.changes if count
        )
        head = "dry run, nothing written: " if self.dry_run else ""
        line = (
            f"frappyauth: {head}collection {self.collection!r} at schema {SCHEMA_VERSION}: "
            f"{done or 'no changes'}"
        )
        return "; ".join([line, *self.notes])


def read_marker(markers: Collection, collection: str) -> dict[str, Any] | None:
    """The collection's marker (in `markers`, the `MARKER_COLLECTION`) if it records the current
    schema version (or a newer one), else `None`."""
    marker = markers.find_one({"_id": collection})
    return (
        marker if marker is not None and marker.get("schemaVersion", 0) >= SCHEMA_VERSION else None
    )


def write_marker(markers: Collection, collection: str, facts: dict[str, Any]) -> None:
    markers.update_one(
        {"_id": collection}, {"$set": {"schemaVersion": SCHEMA_VERSION, **facts}}, upsert=True
    )


def migrate_users(
    markers: Collection, users: Collection, dry_run: bool, progress: Progress
) -> MigrationReport:
    report, write = MigrationReport(users.name, dry_run), not dry_run
    progress(
        f"{users.name}: {'checking' if dry_run else 'migrating'} "
        f"{users.estimated_document_count()} "
        f"users"
    )
    try:
        keys = migration.add_username_keys(users, write, progress)
    except LegacyUsernameConflictError as conflict:
        if write:
            raise
        keys = 0
        report.notes.append(f"would stop: {conflict}")
    report.changes += [
        (keys, "username keys", "added"),
        (migration.hash_api_keys(users, write, progress), "plaintext API keys", "hashed"),
        (
            migration.list_string_permissions(users, write, progress),
            "permissions strings",
            "made lists",
        ),
        (
            migration.drop_stale_lookalike_keys(users, write, progress),
            "stale lookalike keys",
            "dropped",
        ),
        (migration.add_lookalike_keys(users, write, progress), "lookalike keys", "added"),
    ]
    nameless = migration.count_nameless_users(users)
    list_names, list_keys = migration.count_list_values(users)
    facts = {
        "usersWithoutUsername": nameless,
        "usersWithListUsername": list_names,
        "usersWithListApiKey": list_keys,
    }
    report.notes += unusable_notes(facts)
    if write:
        create_user_indexes(users)
        write_marker(markers, users.name, facts)
    return report


def nameless_note(count: int) -> str:
    return f"{count} users have no username and cannot log in until they are given one"


def unusable_notes(facts: dict[str, Any]) -> list[str]:
    """What the migration left as it was, from the counts it records in the marker."""
    notes = []
    if facts.get("usersWithoutUsername"):
        notes.append(nameless_note(facts["usersWithoutUsername"]))
    if facts.get("usersWithListUsername"):
        notes.append(
            f"{facts['usersWithListUsername']} users have a list as their username, left as it "
            "is: they cannot log in until they are given a string"
        )
    if facts.get("usersWithListApiKey"):
        notes.append(
            f"{facts['usersWithListApiKey']} users have a list as their API key, left as it is: "
            "it does not work; give them a new key"
        )
    return notes


def migrate_sessions(
    markers: Collection,
    tokens: Collection,
    dry_run: bool,
    progress: Progress,
    now: datetime | None = None,
) -> MigrationReport:
    report, write = MigrationReport(tokens.name, dry_run), not dry_run
    progress(
        f"{tokens.name}: {'checking' if dry_run else 'migrating'} "
        f"{tokens.estimated_document_count()} sessions"
    )
    removed, unexpired = migration.remove_legacy_sessions(tokens, write, now)
    report.changes += [
        (removed, "legacy frappyflaskauth session documents", "removed"),
        (migration.add_session_ids(tokens, write, progress), "sessions", "given a public id"),
    ]
    if removed:
        still = "" if unexpired is None else f" ({unexpired} unexpired by the server's local time)"
        report.notes.append(f"their users log in again{still}: legacy sessions are never converted")
    if write:
        create_session_indexes(tokens)
        write_marker(markers, tokens.name, {})
    return report


def create_user_indexes(users: Collection) -> None:
    users.create_index("usernameKey", unique=True, sparse=True)
    for lookalike in LOOKALIKE_FIELDS:  # sparse: the younger of two legacy lookalikes has none
        users.create_index(lookalike, unique=True, sparse=True)
    users.create_index("apiKeyHash", unique=True, sparse=True)
    users.create_index(
        "emailKey", unique=True, sparse=True
    )  # only addresses set through the mail flows
    users.create_index("permissions")
    users.create_index("roles")  # who holds a role: counting admins, deleting a role
    users.create_index("reservedNames.keys")  # a renamed user's old names (`get_by_reserved_name`)
    # For the rolling-upgrade lookups in `legacy`: old workers write no `usernameKey`, and plaintext
    # keys.
    users.create_index("username")
    users.create_index("apiKey", sparse=True)


def create_session_indexes(tokens: Collection) -> None:
    tokens.create_index("tokenHash", unique=True, sparse=True)
    tokens.create_index("sessionId", unique=True, sparse=True)
    tokens.create_index("userId")
    tokens.create_index("expires", expireAfterSeconds=0)
