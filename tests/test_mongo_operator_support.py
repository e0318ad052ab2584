"""Every operator, command and index option the Mongo stores send is one MongoDB 6.0 supports, and
each one that AWS DocumentDB 5.0 or Azure Cosmos DB for MongoDB (vCore) documents as unsupported is
a known, explained incompatibility (issue 24 section 2).

The lists live in `tests/data/mongo_operators.json`, each entry with the vendor page it was taken
from. The scan reads the stores' source: string constants that are dictionary keys or subscripts
(`{"$set": ...}`, `update["$unset"]`) are operators; `$`-strings in value position (`"$userId"`) are
field paths and are skipped.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STORE_SOURCES = sorted((ROOT / "stores" / "mongo").glob("*.py"))
LISTS = json.loads((ROOT / "tests" / "data" / "mongo_operators.json").read_text(encoding="utf-8"))
MONGODB = LISTS["mongodb_6_0"]
VENDORS = ("documentdb_5_0", "cosmos_vcore")
OPERATOR = re.compile(r"^\$[A-Za-z][A-Za-z0-9]*$")
VARIABLE = re.compile(r"^\$\$[A-Z_]+$")

# pymongo helpers and the server command each sends.
COMMANDS = {
    "find": "find",
    "find_one": "find",
    "insert_one": "insert",
    "update_one": "update",
    "update_many": "update",
    "delete_one": "delete",
    "delete_many": "delete",
    "find_one_and_update": "findAndModify",
    "find_one_and_delete": "findAndModify",
    "aggregate": "aggregate",
    "count_documents": "aggregate",
    "estimated_document_count": "count",
    "distinct": "distinct",
    "create_index": "createIndexes",
}
WRITES = {
    "insert_one",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "find_one_and_delete",
}
# Operators a helper adds that never appear in the stores' source: count_documents sends
# [{"$match": filter}, {"$group": {"_id": 1, "n": {"$sum": 1}}}].
IMPLIED = {"count_documents": {("stage", "$match"), ("stage", "$group"), ("expression", "$sum")}}
INDEX_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")

# Each incompatibility a vendor documents for something the stores send, and why it is accepted for
# now.
KNOWN_INCOMPATIBLE = {
    ("documentdb_5_0", "stage:$set"): (
        "migration.set_by_value updates with a pipeline whose $set stage DocumentDB has only from "
        "8.0: the start-up "
        "migration of a frappymongouser database cannot run on DocumentDB 5.0 (new databases and "
        "marked ones never "
        "reach it). A $set-free form (per-document update_one with the values from `mapping`) "
        "would "
        "fix it."
    ),
    ("documentdb_5_0", "feature:retryable-writes"): (
        "DocumentDB accepts retryable writes only from engine 8.0.2: on 5.0 the connection string "
        "needs "
        "retryWrites=false, which docs/mongodb-production.md tells operators."
    ),
}


def is_pipeline(node: ast.AST) -> bool:
    """A list literal of one-key dicts whose keys are all `$`-operators: `[{"$match": ...},
    {"$limit": 1}]`."""
    return (
        isinstance(node, ast.List)
        and bool(node.elts)
        and all(
            isinstance(item, ast.Dict) and len(item.keys) == 1 and _dollar(item.keys[0])
            for item in node.elts
        )
    )


def _dollar(node: ast.AST | None) -> str | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and OPERATOR.match(node.value)
    ):
        return node.value
    return None


def kind_of(name: str, context: str) -> str:
    """`expression` inside a stage (other than $match); elsewhere the first list that has the name,
    in the order query, update, expression (a list comprehension built before its pipeline is not
    lexically inside it)."""
    if context in ("expression", "stage"):
        return context
    for kind in ("query", "update", "expression"):
        if name in MONGODB[kind]:
            return kind
    return "unknown"


class Scan(ast.NodeVisitor):
    """Collects (kind, name, where) for every operator, command, index option and variable in one
    module."""

    def __init__(self, path: Path) -> None:
        self.path, self.found = path, []
        self.context = "query"

    def add(self, kind: str, name: str, node: ast.AST) -> None:
        self.found.append((kind, name, f"{self.path.name}:{getattr(node, 'lineno', 0)}"))

    def within(self, node: ast.AST, context: str) -> None:
        outer, self.context = self.context, context
        self.visit(node)
        self.context = outer

    def visit_List(self, node: ast.List) -> None:
        if not is_pipeline(node):
            self.generic_visit(node)
            return
        for stage in node.elts:
            self.stage(stage)

    def stage(self, stage: ast.Dict) -> None:
        name = _dollar(stage.keys[0])
        self.add("stage", name, stage)
        self.within(stage.values[0], "query" if name == "$match" else "expression")

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            name = _dollar(key)
            if name is not None:
                self.add(kind_of(name, self.context), name, key)
            if key is not None:
                self.visit(key)
            self.visit(value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        name = _dollar(node.slice)
        if name is not None:
            self.add(kind_of(name, self.context), name, node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and VARIABLE.match(node.value):
            self.add("variable", node.value, node)

    def visit_Call(self, node: ast.Call) -> None:
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if (
            method == "append"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id.endswith("pipeline")
            and node.args
            and isinstance(node.args[0], ast.Dict)
            and len(node.args[0].keys) == 1
        ):
            self.stage(node.args[0])
            return
        if method in COMMANDS:
            self.add("command", COMMANDS[method], node)
            for kind, name in IMPLIED.get(method, ()):
                self.add(kind, name, node)
            if method in WRITES:
                self.add("feature", "retryable-writes", node)
        if method == "create_index":
            for keyword in node.keywords:
                if keyword.arg in INDEX_OPTIONS:
                    self.add("index_option", keyword.arg, keyword)
        self.generic_visit(node)


def store_usage() -> list[tuple[str, str, str]]:
    found = []
    for path in STORE_SOURCES:
        scan = Scan(path)
        scan.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found += scan.found
    return found


def used() -> dict[str, list[str]]:
    """`kind:name` → the places that send it."""
    places: dict[str, list[str]] = {}
    for kind, name, where in store_usage():
        places.setdefault(f"{kind}:{name}", []).append(where)
    return places


def flagged_by(vendor: str, usage: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    unsupported = LISTS[vendor]["unsupported"]
    for entry in sorted(usage):
        if entry in unsupported:
            yield entry, unsupported[entry]["source"]


def test_the_scan_sees_the_stores_operators():
    usage = used()
    # One of each kind the stores are known to send; an empty or blind scan would pass everything
    # below.
    for entry in (
        "query:$exists",
        "update:$setOnInsert",
        "stage:$lookup",
        "stage:$set",
        "expression:$switch",
        "command:findAndModify",
        "index_option:expireAfterSeconds",
        "stage:$group",
    ):
        assert entry in usage, (
            f"{entry} not found in stores/mongo: has the scan or the code changed?"
        )
    assert "update:$set" in usage and "query:$set" not in usage


def test_every_operator_sent_is_supported_by_mongodb_6_0():
    kinds = {"query", "update", "stage", "expression", "command", "index_option"}
    unknown = {
        entry: places
        for entry, places in used().items()
        if entry.split(":", 1)[0] in kinds | {"unknown"}
        and entry.split(":", 1)[1] not in MONGODB.get(entry.split(":", 1)[0], {})
    }
    assert not unknown, f"not in the MongoDB 6.0 list of tests/data/mongo_operators.json: {unknown}"


def test_no_aggregation_variable_the_style_guide_rules_out():
    # STYLE.md: no $$NOW where correctness depends on it (mongomock fakes it; Cosmos vCore lacks
    # it).
    variables = {entry: places for entry, places in used().items() if entry.startswith("variable:")}
    assert not variables, variables


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_incompatibilities_are_known_and_explained(vendor):
    flagged = dict(flagged_by(vendor, used()))
    for entry, source in flagged.items():
        print(f"{vendor}: {entry} unsupported ({source})")
    unexplained = sorted(entry for entry in flagged if (vendor, entry) not in KNOWN_INCOMPATIBLE)
    assert not unexplained, (
        f"{vendor} documents these as unsupported; add each to KNOWN_INCOMPATIBLE: {unexplained}"
    )
    stale = sorted(
        entry
        for known_vendor, entry in KNOWN_INCOMPATIBLE
        if known_vendor == vendor and entry not in flagged
    )
    assert not stale, f"KNOWN_INCOMPATIBLE names what the stores no longer send: {stale}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_vendor_entry_names_its_page_or_says_unconfirmed(vendor):
    for entry, details in LISTS[vendor]["unsupported"].items():
        source = details["source"]
        assert source == "unconfirmed" or source.startswith("https://"), (entry, source)
