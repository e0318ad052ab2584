"""The layering of SPEC §1, read from the source: the core knows no store, the stores know no Flask."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_top_level_modules(package: str) -> dict[str, set[str]]:
    """Map each module file in `package` to the top-level names it imports."""
    imports: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        imports[str(path.relative_to(ROOT))] = names
    return imports


@pytest.mark.parametrize("package, forbidden", [
    ("frappyauth", {"stores", "pymongo", "bson", "mongomock"}),
    ("stores", {"flask", "werkzeug", "mongomock"}),
    ("stores/memory", {"pymongo", "bson"}),
])
def test_package_does_not_import(package: str, forbidden: set[str]) -> None:
    offenders = {module: names & forbidden for module, names in imported_top_level_modules(package).items()
                 if names & forbidden}
    assert offenders == {}


def test_the_check_reads_real_imports() -> None:
    """Guards the test above against passing because it read nothing."""
    assert "pymongo" in imported_top_level_modules("stores/mongo")["stores/mongo/users.py"]
