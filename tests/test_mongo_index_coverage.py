"""Every query the Mongo stores send is served by an index they declare (issue 24 section 2).

The queries are the ones actually sent (recorded by `mongo_store_calls`, the same run as the golden
file's); the indexes are read back from the database after the stores ran (`index_information()`),
so it does not matter whether a store creates them in its constructor or on first contact.

A query is served when the leading field of an index is bounded by its filter: an equality, an
`$in` or a range (`$gt`, `$lte`, ...); `$exists: true` only on a sparse index; a partial index only
when the filter names its condition's fields. An `$or` is served when each branch is, and an `$and`
by what its parts bound together. `$exists: false`, `$ne`, `$not`, `$type` and a case-insensitive
`$regex` bound nothing (MongoDB may walk a whole index for them, which costs what a scan costs). An
empty filter sorted on an index's leading field and limited is served by walking that index. What
no index serves must be in `FULL_SCANS`, with the reason it is acceptable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mongo_store_calls import Recording, record_every_method

BOUNDING = {"$eq", "$in", "$gt", "$gte", "$lt", "$lte"}
FILTERED = {"filter"}
MIGRATION = ("MongoUserStore.migrate", "MongoSessionStore.migrate", "start-up")
ONCE = (
    "the migration: once per database (and by `flask frappyauth migrate`), it looks for documents "
    "an old version wrote, which by nature have no indexed field to find them by"
)
COUNT_ALL = (
    "the total of all users, for the admin's user list and the CLI: MongoDB counts an empty "
    "filter by reading the collection (estimated_document_count would read metadata, but is "
    "inexact after an unclean shutdown and on sharded clusters)"
)
LEGACY_NAME = (
    "rolling upgrade only (`legacy_lookups`), and only after the `usernameKey` lookup missed: a "
    "case-insensitive regex does not bound the `username` index, so MongoDB walks all of it; turn "
    "`legacy_lookups` off once no old worker writes users"
)
# (label, operation, filter as recorded) -> why no index serves it, and why that is acceptable.
FULL_SCANS: dict[tuple[str, str, str], str] = {
    ("MongoUserStore.list_page", "count_documents", "{}"): COUNT_ALL,
    ("MongoUserStore.count", "count_documents", "{}"): COUNT_ALL,
    ("MongoRoleStore.list", "find", "{}"): (
        "every role, for the admin's list and the last-admin count: roles are few (made by "
        "admins), and the `_id` index gives their order"
    ),
    (
        "MongoUserStore.get_by_username",
        "find",
        '{"usernameKey": {"$exists": false}, "username": {"$regex": "str", "$options": "i"}}',
    ): LEGACY_NAME,
}
MIGRATION_SCANS = [
    ("find", '{"usernameKey": {"$exists": false}, "username": {"$type": "string"}}'),
    ("find", '{"usernameSkeleton": {"$exists": false}, "username": {"$type": "string"}}'),
    ("find", '{"usernameKeySkeleton": {"$exists": false}, "username": {"$type": "string"}}'),
    ("count_documents", '{"username": {"$not": {"$type": "string"}}}'),
    ("count_documents", '{"permissions": {"$type": "string", "$not": {"$type": "array"}}}'),
    ("distinct", '{"permissions": {"$type": "string", "$not": {"$type": "array"}}}'),
    ("delete_many", '{"tokenHash": {"$exists": false}}'),
    ("count_documents", '{"tokenHash": {"$exists": false}}'),
    ("find", '{"sessionId": {"$exists": false}, "tokenHash": {"$type": "string"}}'),
    ("count_documents", '{"apiKey": {"$type": "array"}}'),
    ("count_documents", '{"username": {"$type": "array"}}'),
    ("find", '{"apiKey": {"$type": "string", "$not": {"$type": "array"}}}'),
]
for label in MIGRATION:
    for operation, scanned in MIGRATION_SCANS:
        FULL_SCANS[(label, operation, scanned)] = ONCE


@dataclass(frozen=True)
class Index:
    name: str
    fields: tuple[str, ...]
    sparse: bool
    unique: bool
    partial: tuple[str, ...]  # the fields a partial index's condition names

    @property
    def described(self) -> str:
        return ", ".join(self.fields)


@dataclass
class Query:
    label: str
    case: str
    collection: str
    operation: str
    filter: dict[str, Any]
    sort: list[Any] | None = None
    limited: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.label, self.operation, json.dumps(self.filter))


def indexes_of(recording: Recording) -> dict[str, list[Index]]:
    found: dict[str, list[Index]] = {}
    for name in recording.database.list_collection_names():
        for index_name, info in recording.database[name].index_information().items():
            found.setdefault(name, []).append(
                Index(
                    index_name,
                    tuple(field for field, _ in info["key"]),
                    bool(info.get("sparse")),
                    bool(info.get("unique")) or index_name == "_id_",
                    tuple(info.get("partialFilterExpression", {})),
                )
            )
    return found


def queries_of(recording: Recording) -> Iterator[Query]:
    labelled = [("start-up", "start-up", command.as_json()) for command in recording.start_up()]
    for label, cases in recording.methods.items():
        labelled += [(label, case, c.as_json()) for case, sent in cases.items() for c in sent]
    for label, case, command in labelled:
        if "filter" in command:
            yield Query(
                label,
                case,
                command["collection"],
                command["operation"],
                command["filter"],
                command.get("sort"),
                "limit" in command or command["operation"].startswith("find_one"),
            )
        for stage in command.get("pipeline", []) if command["operation"] == "aggregate" else []:
            if "$match" in stage:
                yield Query(label, case, command["collection"], "aggregate", stage["$match"])
            if "$lookup" in stage:
                lookup = stage["$lookup"]
                equality = {lookup["foreignField"]: "ObjectId"}
                yield Query(label, case, lookup["from"], "$lookup", equality)


def bounds(query: dict[str, Any]) -> dict[str, str]:
    """Field -> how the filter bounds it: "eq", "null", "range", "exists" or "none"."""
    found: dict[str, str] = {}
    for field, value in query.items():
        if field == "$and":
            for part in value:
                found.update({k: v for k, v in bounds(part).items() if v != "none"})
        elif field.startswith("$"):
            continue
        elif not isinstance(value, dict):
            found[field] = "null" if value == "null" else "eq"
        elif set(value) & BOUNDING:
            found[field] = "eq" if set(value) & {"$eq", "$in"} else "range"
        elif value.get("$exists") is True:
            found[field] = "exists"
        else:
            found[field] = "none"
    return found


def usable(index: Index, query: dict[str, Any]) -> bool:
    bounded = bounds(query)
    if any(bounded.get(field) not in ("eq", "exists") for field in index.partial):
        return False
    how = bounded.get(index.fields[0], "none")
    if how == "null":  # a sparse index has no entry for a missing or null field
        return not index.sparse
    if how == "exists":  # ...so it holds exactly the documents where the field exists
        return index.sparse
    return how in ("eq", "range")


def preference(index: Index, query: dict[str, Any]) -> tuple[int, int, int]:
    """Equality before range before `$exists`, more leading fields bound by equality first, unique
    first: the index a planner would likely pick among several (and the one the docs name)."""
    bounded = bounds(query)
    leading = 0
    while leading < len(index.fields) and bounded.get(index.fields[leading]) == "eq":
        leading += 1
    kind = ("eq", "null", "range", "exists").index(bounded[index.fields[0]])
    return (min(kind, 1) if kind < 2 else kind, -leading, 0 if index.unique else 1)


def candidates(indexes: list[Index], query: dict[str, Any]) -> list[Index]:
    found = [index for index in indexes if usable(index, query)]
    return sorted(found, key=lambda index: preference(index, query))


def serving(query: Query, indexes: list[Index]) -> list[Index]:
    """The indexes that can serve the query, the likeliest first (empty: none can); for an `$or`
    that only its branches' indexes serve, the likeliest of each branch."""
    found = candidates(indexes, query.filter)
    branches = query.filter.get("$or")
    if not found and branches:
        per_branch = [candidates(indexes, branch) for branch in branches]
        if all(per_branch):
            found = [index for chosen in per_branch for index in chosen[:1]]
    if not found and not query.filter and query.sort and query.limited:
        found = [index for index in indexes if index.fields[0] == query.sort[0][0]]
    return found


@pytest.fixture(scope="module")
def recording() -> Recording:
    return record_every_method()


def test_every_query_is_served_by_an_index_or_is_a_named_full_scan(recording):
    indexes = indexes_of(recording)
    queries = list(queries_of(recording))
    assert len(queries) > 100, "the recording lost its queries"
    unserved = {
        query.key: query
        for query in queries
        if not serving(query, indexes.get(query.collection, []))
    }
    unexplained = sorted(
        f"{q.label} [{q.case}]: {q.operation} on {q.collection} {json.dumps(q.filter)}"
        for key, q in unserved.items()
        if key not in FULL_SCANS
    )
    assert not unexplained, "no index serves these; add one, or a reason to FULL_SCANS:\n" + (
        "\n".join(unexplained)
    )
    scanned = {(operation, filter_) for _, operation, filter_ in unserved}
    stale = sorted(
        str(key)
        for key in FULL_SCANS
        if key not in unserved and (key[0] not in MIGRATION or key[1:] not in scanned)
    )
    assert not stale, f"FULL_SCANS names queries that are no longer sent or now served: {stale}"


def test_the_analysis_tells_a_served_query_from_a_scan(recording):
    # The rule itself, on queries the stores send: if it called everything served (or nothing), the
    # test above would prove nothing.
    tokens = indexes_of(recording)["userTokens"]
    by_hash = Query("", "", "userTokens", "find_one", {"tokenHash": "str", "expires": {"$gt": "x"}})
    assert [index.described for index in serving(by_hash, tokens)] == ["tokenHash", "expires"]
    legacy = Query("", "", "userTokens", "delete_many", {"tokenHash": {"$exists": False}})
    assert serving(legacy, tokens) == []
    keys = indexes_of(recording)["userApiKeys"]
    holders = Query("", "", "userApiKeys", "find", {"userId": {"$in": ["str"]}, "name": "str"})
    assert [index.described for index in serving(holders, keys)][0] == "userId, name"
    either = Query("", "", "userApiKeys", "find_one", {"$or": [{"keyHash": "s"}, {"keyId": "s"}]})
    assert sorted(index.described for index in serving(either, keys)) == ["keyHash", "keyId"]


def test_a_provider_sign_in_and_a_users_links_are_served_by_the_identity_indexes(recording):
    identities = indexes_of(recording)["userIdentities"]
    pair = Query("", "", "userIdentities", "find_one", {"issuer": "s", "subject": "s"})
    assert [index.described for index in serving(pair, identities)] == ["issuer, subject"]
    assert [i.unique for i in serving(pair, identities)] == [True]
    counts = Query("", "", "userIdentities", "find", {"userId": {"$in": ["s"]}})
    assert [index.described for index in serving(counts, identities)] == ["userId"]
    sent = {query.label for query in queries_of(recording) if query.collection == "userIdentities"}
    assert {"MongoIdentityStore.find", "MongoIdentityStore.counts"} <= sent
