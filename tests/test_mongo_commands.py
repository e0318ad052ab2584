"""What reaches MongoDB is deliberate: every command each Mongo store method sends is compared with
a committed golden file, `tests/data/mongo_commands.json` (issue 24 section 2).

The stores run on a recording mongomock database (`mongo_recording`, driven by `mongo_store_calls`);
a command is kept as its collection, its operation and the shape of its filter, update, pipeline,
document, projection and sort (values replaced by their type's name). The golden file has four
parts, so that one kind of change touches one part:

- `methods`: per store method, per case (a path to MongoDB: `"call"`, `"legacy fallback"`, ...), the
  commands it sent, in order, index commands left out;
- `start-up`: what the stores send at construction and on first contact (marker reads, the
  migration of an empty database), index commands left out;
- `indexes`: every index command sent, de-duplicated and sorted (whenever it was sent);
- `collections`: the options each collection was taken with (read preference, write concern).

After a deliberate change to what the stores send, regenerate the file and review its diff:

    FRAPPYAUTH_UPDATE_GOLDEN=1 python -m pytest tests/test_mongo_commands.py
"""

from __future__ import annotations

import difflib
import inspect
import json
import os
from pathlib import Path
from typing import Any

import mongomock
import pytest
from pymongo import ReadPreference, WriteConcern

from mongo_recording import CommandLog, RecordingDatabase
from mongo_store_calls import NOT_SENDING, STORES, Recording, record_every_method

GOLDEN = Path(__file__).resolve().parent / "data" / "mongo_commands.json"
UPDATE = os.environ.get("FRAPPYAUTH_UPDATE_GOLDEN") == "1"
REGENERATE = "FRAPPYAUTH_UPDATE_GOLDEN=1 python -m pytest tests/test_mongo_commands.py"


def golden_of(recording: Recording) -> dict[str, Any]:
    indexes: dict[str, list[Any]] = {}
    for command in recording.index_commands():
        entry = {k: v for k, v in command.as_json().items() if k != "collection"}
        if entry not in indexes.setdefault(command.collection, []):
            indexes[command.collection].append(entry)
    order = {store.__name__: position for position, store in enumerate(STORES)}
    methods = sorted(recording.methods, key=lambda name: (order[name.split(".")[0]], name))
    return {
        "_about": f"Commands the Mongo stores send, as shapes. Regenerate: {REGENERATE}",
        "collections": {
            name: sorted(options)
            for name, options in sorted(recording.log.collection_options.items())
        },
        "indexes": {
            name: sorted(entries, key=lambda entry: json.dumps(entry, sort_keys=True))
            for name, entries in sorted(indexes.items())
        },
        "start-up": [command.as_json() for command in recording.start_up()],
        "methods": {
            name: {
                case: [command.as_json() for command in commands]
                for case, commands in recording.methods[name].items()
            }
            for name in methods
        },
    }


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    current = golden_of(record_every_method())
    if UPDATE:
        GOLDEN.write_text(
            json.dumps(current, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return current


@pytest.fixture(scope="module")
def golden(recorded: dict[str, Any]) -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def differences(name: str, expected: Any, actual: Any) -> str:
    lines = difflib.unified_diff(
        json.dumps(expected, indent=1).splitlines(),
        json.dumps(actual, indent=1).splitlines(),
        f"golden {name}",
        f"sent {name}",
        lineterm="",
    )
    return "\n".join(lines)


def public_methods() -> set[str]:
    return {
        f"{store.__name__}.{name}"
        for store in STORES
        for name, _ in inspect.getmembers(store, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_public_method_of_every_mongo_store_is_driven(recorded):
    driven = set(recorded["methods"])
    missing = public_methods() - driven - set(NOT_SENDING)
    assert not missing, (
        f"call these in tests/mongo_store_calls.py, then run {REGENERATE}: {missing}"
    )
    assert not set(NOT_SENDING) & driven
    assert set(NOT_SENDING) <= public_methods(), "NOT_SENDING names a method that is gone"


def test_each_method_sends_what_the_golden_file_records(recorded, golden):
    changed = [
        differences(name, golden["methods"].get(name), recorded["methods"].get(name))
        for name in sorted(set(golden["methods"]) | set(recorded["methods"]))
        if golden["methods"].get(name) != recorded["methods"].get(name)
    ]
    assert not changed, (
        f"{len(changed)} methods send other commands than tests/data/mongo_commands.json records; "
        f"if deliberate, run {REGENERATE} and review the diff.\n" + "\n".join(changed)
    )


@pytest.mark.parametrize("part", ["start-up", "indexes", "collections"])
def test_start_up_indexes_and_collection_options_are_as_recorded(recorded, golden, part):
    assert golden[part] == recorded[part], (
        f"if deliberate, run {REGENERATE} and review the diff.\n"
        + differences(part, golden[part], recorded[part])
    )


def test_the_recording_sees_what_the_stores_send(recorded):
    # A recorder that lost its arguments or its cursor calls would record nothing and agree with an
    # empty golden file: one known command of each kind, as the stores send it.
    get_with_user = recorded["methods"]["MongoSessionStore.get_with_user"]["call"]
    assert get_with_user == [
        {
            "collection": "userTokens",
            "operation": "aggregate",
            "pipeline": [
                {"$match": {"tokenHash": "str", "expires": {"$gt": "datetime"}}},
                {"$limit": 1},
                {
                    "$lookup": {
                        "from": "users",
                        "localField": "userRef",
                        "foreignField": "_id",
                        "as": "joinedUser",
                    }
                },
            ],
        }
    ]
    page = recorded["methods"]["MongoUserStore.list_page"]["call"][1]
    assert page["sort"] == [["_id", 1]] and page["skip"] == page["limit"] == "int"
    assert recorded["methods"]["MongoUserStore.get"]["malformed id"] == []
    assert {"operation": "create_index", "keys": "tokenHash", "unique": True, "sparse": True} in (
        recorded["indexes"]["userTokens"]
    )


def test_the_recorder_follows_collections_taken_with_options():
    # The stores are moving to `db.get_collection(name, read_preference=..., write_concern=...)`;
    # a collection taken that way, or through `with_options`, must still be recorded.
    log = CommandLog()
    db = RecordingDatabase(mongomock.MongoClient()["options"], log)
    majority = WriteConcern(w="majority")
    tokens = db.get_collection("userTokens", read_preference=ReadPreference.PRIMARY)
    tokens.with_options(write_concern=majority).insert_one({"tokenHash": "x"})
    assert tokens.find_one({"tokenHash": "x"})["tokenHash"] == "x"
    assert [(command.collection, command.operation) for _, command in log.commands] == [
        ("userTokens", "insert_one"),
        ("userTokens", "find_one"),
    ]
    assert log.collection_options["userTokens"] == {
        "read_preference=Primary()",
        "write_concern=WriteConcern(w='majority')",
    }
    assert tokens.database is db
