"""No import cycle anywhere in `frappyauth/` or `stores/`, function-level and type-checking imports
included.

A cycle hidden in a function (`import` inside a method, to dodge the error at start-up) is still a
cycle: two modules that need each other are one module in two files. The graph is read from the
source: every `import` and `from ... import` at any depth, with `from package import name` counted
as an import of the submodule `package.name` where that is a module. A package's own `__init__`
being run first (Python's implicit parent import) is not an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"frappyauth": ROOT / "frappyauth", "frappyauth.stores": ROOT / "stores"}


def module_files() -> dict[str, Path]:
    """Every module of the library by its installed dotted name (`stores/` installs as
    frappyauth.stores)."""
    modules: dict[str, Path] = {}
    for prefix, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([prefix, *parts])] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {
                    f"{node.module}.{alias.name}" for alias in node.names
                } & modules.keys()
                targets.update(submodules or {node.module})
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_the_library_imports_itself_round_about() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_function_level_and_type_checking_imports() -> None:
    """Guards the test above against passing because it reads nothing: planted cycles are found."""
    graph = import_graph()
    assert (
        "frappyauth.core.totp" in graph["frappyauth.core.services"]
    )  # imported inside a function only
    assert (
        "frappyauth.core.passkeys" in graph["frappyauth.core.sign_in"]
    )  # under TYPE_CHECKING only
    planted = {
        **graph,
        "frappyauth.core.models": {*graph["frappyauth.core.models"], "frappyauth.core.services"},
    }
    assert any("frappyauth.core.models" in cycle for cycle in cycles(planted))
