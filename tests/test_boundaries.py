"""The layering, read from the source.

- `frappyauth/core` (accounts, authentication, passwords, secrets, records, protocols) never imports
  Flask, Werkzeug, click, a store package or a database driver: it is called with the request's
  facts.
- `frappyauth/web` (endpoints, bodies, credentials, answers, CLI, OpenAPI) is the only layer that
  knows Flask.
- `stores/` (installed as `frappyauth.stores`) implements the core's protocols and never imports
  Flask or the web layer; only `stores/mongo` imports pymongo.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[str, set[str]]:
    """Map each module file in `package` to the dotted names it imports (absolute imports only)."""
    imports: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        imports[str(path.relative_to(ROOT))] = names
    return imports


def is_within(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


@pytest.mark.parametrize(
    "package, forbidden",
    [
        (
            "frappyauth/core",
            {
                "flask",
                "werkzeug",
                "click",
                "frappyauth.web",
                "frappyauth.stores",
                "frappyauth.compat",
                "pymongo",
                "bson",
                "mongomock",
            },
        ),
        (
            "frappyauth/web",
            {"pymongo", "bson", "mongomock", "frappyauth.stores.mongo", "frappyauth.compat"},
        ),
        ("frappyauth/compat", {"pymongo", "bson", "mongomock"}),
        ("stores", {"flask", "werkzeug", "click", "frappyauth.web", "mongomock"}),
        ("stores/memory", {"pymongo", "bson"}),
    ],
)
def test_package_does_not_import(package: str, forbidden: set[str]) -> None:
    offenders = {
        module: sorted(name for name in names for bad in forbidden if is_within(name, bad))
        for module, names in imported_modules(package).items()
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_stores_are_imported_by_their_installed_name_only() -> None:
    """One import name for the same files: `frappyauth.stores...`, never a top-level `stores`."""
    everywhere = {
        **imported_modules("frappyauth"),
        **imported_modules("stores"),
        **imported_modules("tests"),
        **imported_modules("frappyauth_demo"),
        **imported_modules("benchmarks"),
    }
    offenders = {
        module: names
        for module, names in everywhere.items()
        if any(is_within(n, "stores") for n in names)
    }
    assert offenders == {}


def test_the_check_reads_real_imports() -> None:
    """Guards the tests above against passing because they read nothing."""
    assert "pymongo" in imported_modules("stores/mongo")["stores/mongo/users.py"]
    assert "flask" in imported_modules("frappyauth/web")["frappyauth/web/session_views.py"]
