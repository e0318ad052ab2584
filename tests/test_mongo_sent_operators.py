"""Every operator the Mongo stores actually send (recorded by `mongo_store_calls`, not read from
their source) is in `tests/data/mongo_operators.json`'s MongoDB 6.0 list, and each that AWS
DocumentDB 5.0 or Azure Cosmos DB (vCore) documents as unsupported is a known incompatibility
(issue 24 section 2). `tests/test_mongo_operator_support.py` checks the same lists against a scan of
the source; this file checks what reaches the server, and where the two disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mongo_store_calls import Recording, record_every_method
from test_mongo_operator_support import (
    COMMANDS,
    IMPLIED,
    INDEX_OPTIONS,
    KNOWN_INCOMPATIBLE,
    LISTS,
    MONGODB,
    VENDORS,
    used,
)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return record_every_method()


def operators_in(value: Any, kind: str) -> Iterator[tuple[str, str]]:
    """(kind, operator) for every `$`-key in a recorded shape, read as `kind` ("query",
    "update" or "expression"); a pipeline's stages are "stage", and `$match` holds a query."""
    if isinstance(value, list):
        for item in value:
            yield from operators_in(item, kind)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$"):
                yield kind, key
            yield from operators_in(item, kind)


def pipeline_operators(pipeline: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for stage in pipeline:
        for name, argument in stage.items():
            yield "stage", name
            yield from operators_in(argument, "query" if name == "$match" else "expression")


def sent_operators(recording: Recording) -> dict[str, set[str]]:
    """`kind:name` -> the labels that sent it, for every operator, command and index option."""
    labelled = [("start-up", c.as_json()) for c in recording.start_up()]
    labelled += [("indexes", c.as_json()) for c in recording.index_commands()]
    for label, cases in recording.methods.items():
        labelled += [(label, c.as_json()) for sent in cases.values() for c in sent]
    found: dict[str, set[str]] = {}
    for label, command in labelled:
        operation = command["operation"]
        entries = {("command", COMMANDS[operation])} | set(IMPLIED.get(operation, ()))
        entries |= set(operators_in(command.get("filter"), "query"))
        update = command.get("update")
        if isinstance(update, list):
            entries |= set(pipeline_operators(update))
        else:
            entries |= {("update", key) for key in update or {}}
            entries |= {e for item in (update or {}).values() for e in operators_in(item, "query")}
        entries |= set(pipeline_operators(command.get("pipeline", [])))
        entries |= {("index_option", key) for key in command if key in INDEX_OPTIONS}
        for kind, name in entries:
            found.setdefault(f"{kind}:{name}", set()).add(label)
    return found


def test_every_operator_sent_is_in_the_mongodb_6_0_list(recording):
    sent = sent_operators(recording)
    for entry in ("query:$exists", "update:$setOnInsert", "stage:$lookup", "expression:$switch"):
        assert entry in sent, f"{entry} not recorded: has the recorder or the code changed?"
    unknown = {
        entry: sorted(labels)
        for entry, labels in sent.items()
        if entry.split(":", 1)[1] not in MONGODB.get(entry.split(":", 1)[0], {})
    }
    assert not unknown, f"sent, but not in tests/data/mongo_operators.json's 6.0 list: {unknown}"


# What tests/test_mongo_operator_support.py's scan of the source cannot see, and why.
SCAN_BLIND_SPOTS = {
    "expression:$eq": (
        "migration.set_by_value builds its `$switch` branches in a list comprehension before the "
        "pipeline, so the scan reads their `$eq` as the query operator (see its `kind_of`)"
    ),
}


def test_the_source_scan_sees_every_operator_actually_sent(recording):
    # The vendor checks of tests/test_mongo_operator_support.py run on a scan of the source: what
    # is sent and the scan misses escapes them (the vendor test below covers it meanwhile).
    missed = set(sent_operators(recording)) - set(used())
    assert missed == set(SCAN_BLIND_SPOTS), f"the scan misses: {sorted(missed)}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_what_is_sent_that_a_vendor_lacks_is_a_known_incompatibility(recording, vendor):
    unsupported = LISTS[vendor]["unsupported"]
    flagged = sorted(entry for entry in sent_operators(recording) if entry in unsupported)
    unexplained = [entry for entry in flagged if (vendor, entry) not in KNOWN_INCOMPATIBLE]
    assert not unexplained, f"{vendor} documents these as unsupported: {unexplained}"
