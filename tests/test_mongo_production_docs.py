"""docs/mongodb-production.md cannot drift from the stores: its query -> index tables name every
store method the golden file records and, for each, the index `test_mongo_index_coverage` finds for
each of its queries (or "scan"); its size tables are what `benchmarks.document_sizes` prints.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import document_sizes
from mongo_store_calls import NOT_SENDING, Recording, record_every_method
from test_mongo_index_coverage import indexes_of, queries_of, serving

PAGE = Path(__file__).resolve().parent.parent / "docs" / "mongodb-production.md"
STORE_HEADING = re.compile(r"^### `(Mongo\w+Store)`", re.MULTILINE)
METHOD = re.compile(r"`([a-z_]+)`")


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def documented_rows() -> dict[str, dict[str, str]]:
    """Store -> method -> the index cells of its row and of the `↳` rows below it."""
    tables = section(PAGE.read_text(encoding="utf-8"), "Query → index")
    found: dict[str, dict[str, str]] = {}
    parts = STORE_HEADING.split(tables)
    for store, table in zip(parts[1::2], parts[2::2]):
        rows = found.setdefault(store, {})
        current: list[str] = []
        for line in table.splitlines():
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not line.startswith("|") or len(cells) < 3 or set(cells[0]) <= set("-: "):
                continue
            named = [] if cells[0].startswith("↳") else METHOD.findall(cells[0])
            if named:
                current = named
            for method in current:
                rows[method] = rows.get(method, "") + " " + cells[-1]
    return found


@pytest.fixture(scope="module")
def recording() -> Recording:
    return record_every_method()


def test_the_tables_name_every_method_the_golden_file_records(recording):
    documented = {
        f"{store}.{method}" for store, rows in documented_rows().items() for method in rows
    }
    assert documented == set(recording.methods), (
        f"methods without a row: {sorted(set(recording.methods) - documented)}; "
        f"rows without a method: {sorted(documented - set(recording.methods) - set(NOT_SENDING))}"
    )


def test_each_row_names_the_index_that_serves_each_of_its_queries(recording):
    rows = documented_rows()
    indexes = indexes_of(recording)
    wrong = []
    for query in queries_of(recording):
        if query.label == "start-up":
            continue
        store, method = query.label.split(".")
        cell = rows[store][method]
        served = serving(query, indexes.get(query.collection, []))
        if not served:
            wanted = ["scan"] if "scan" not in cell.lower() else []
        else:
            # An $or served branch by branch needs each branch's index; otherwise the likeliest.
            either = query.filter.get("$or") and not any(
                index for index in served if index.fields[0] in query.filter
            )
            chosen = served if either else served[:1]
            wanted = [i.described for i in chosen if f"`{i.described}`" not in cell]
        if wanted:
            wrong.append(
                f"{query.label} [{query.case}] {query.operation}: {wanted} not in {cell!r}"
            )
    assert not wrong, "\n".join(wrong)


def test_the_size_tables_are_what_the_benchmark_measures():
    measured = document_sizes.report(document_sizes.measure())
    assert measured in section(PAGE.read_text(encoding="utf-8"), "Size"), (
        "run `python -m benchmarks.document_sizes` and paste its tables into the Size section:\n"
        + measured
    )
