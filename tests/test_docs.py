"""The documentation cannot drift from the code: the endpoint page lists exactly the (method, path)
pairs of the served OpenAPI document, the options table every option, and the README stays a landing
page that names every dependency.

Adding an endpoint: add its row to docs/endpoints.md; the failure below prints the row to add. An
endpoint behind an option is found by switching each off-by-default boolean option on; an option
that needs others to be valid gets them in `COMPANIONS`.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from frappyauth import register_endpoints
from frappyauth.core.mailer import LoggingMailer
from frappyauth.core.options import Options
from frappyauth.stores.memory import MemoryUserStore

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\|\s*`(GET|POST|PUT|PATCH|DELETE)`\s*\|\s*`(/[^`]*)`", re.MULTILINE)
MAIL = {"frontend_url": "https://app.example/{action}?token={token}"}
# option -> the other options it needs, e.g. {"x": {"x_sender": ...}}; sign-up brings verification
# (not boolean)
COMPANIONS: dict[str, dict[str, Any]] = {
    "registration": {**MAIL, "email_verification": "required"},
    "password_reset": MAIL,
    "email_change": MAIL,
    "totp": {"mfa_encryption_key": "a key of 32 characters or more...."},
    "passwordless": {"passkeys": True},
    "new_device_alerts": {"password_reset": True, **MAIL},
    "impersonation": {"audit_trail": True, "passkeys": True},
    "email_sign_in": MAIL,
    "trusted_devices": {"totp": True, "mfa_encryption_key": "a key of 32 characters or more...."},
}


def option_sets() -> list[dict[str, Any]]:
    """The defaults, and each boolean option that is off by default switched on (with its
    companions)."""
    switches = [f.name for f in fields(Options) if f.default is False]
    provider = {"issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}
    not_boolean = [{"identity_providers": {"idp": provider}}]
    return [{}] + [{name: True, **COMPANIONS.get(name, {})} for name in switches] + not_boolean


def served_operations() -> set[tuple[str, str]]:
    operations: set[tuple[str, str]] = set()
    for options in option_sets():
        app = Flask("docs")
        app.secret_key = "the docs test's secret key, 16+ characters"  # providers, emailed codes
        register_endpoints(app, MemoryUserStore(), options_override=options, mailer=LoggingMailer())
        document = app.test_client().get("/api/user/openapi.json").get_json()
        operations |= {
            (method.upper(), path) for path, item in document["paths"].items() for method in item
        }
    return operations


def documented_operations() -> set[tuple[str, str]]:
    page = (ROOT / "docs" / "endpoints.md").read_text(encoding="utf-8")
    return set(ROW.findall(page))


def test_the_endpoint_page_lists_exactly_the_served_endpoints() -> None:
    served, documented = served_operations(), documented_operations()
    missing = [
        f"| `{method}` | `{path}` | who | body | answer |"
        for method, path in sorted(served - documented)
    ]
    extra = sorted(documented - served)
    assert not missing and not extra, (
        "docs/endpoints.md lacks these rows:\n"
        + "\n".join(missing)
        + f"\nand lists endpoints that are not served: {extra}"
    )


def test_the_check_reads_the_page_and_the_document() -> None:
    """Guards the test above against passing because both sides are empty."""
    assert ("POST", "/api/user/login") in documented_operations() & served_operations()
    assert ("POST", "/api/user/key") in served_operations()  # found behind its option


def options_hook() -> Any:
    """docs/hooks/options_table.py, which mkdocs runs to make the options table from the
    dataclass."""
    spec = importlib.util.spec_from_file_location(
        "options_table", ROOT / "docs" / "hooks" / "options_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_options_table_is_made_from_the_dataclass_and_means_something_for_every_option() -> (
    None
):
    page = (ROOT / "docs" / "options.md").read_text(encoding="utf-8")
    rows = options_hook().rows(
        page
    )  # raises for an option without a meaning, or a row for no option
    assert [name for name, _type, _default, _meaning in rows] == [f.name for f in fields(Options)]
    by_name = {name: (default, meaning) for name, _type, default, meaning in rows}
    assert by_name["page_size"] == ("`25`", "users per page of `GET /users`")
    assert by_name["default_permissions"][0] == "`[]`"
    rendered = options_hook().render(page)
    assert "| `api_prefix` | str | `/api/user` | where the endpoints live |" in rendered


def test_a_row_for_an_option_that_does_not_exist_stops_the_build() -> None:
    page = (
        "<!-- options:start -->\n| option | meaning |\n|---|---|\n| `api_key` | typo |\n<!-- "
        "options:end -->\n"
    )
    with pytest.raises(ValueError, match="api_key"):
        options_hook().rows(page)


def test_the_readme_is_a_landing_page_whose_links_lead_to_pages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    linked = re.findall(r"\]\((docs/[\w-]+\.md)(?:#[\w-]+)?\)", readme)
    assert "docs/index.md" in linked and "docs/api-keys.md" in linked
    assert [link for link in linked if not (ROOT / link).is_file()] == []


def test_the_readme_names_every_dependency_with_a_reason() -> None:
    """The project rule: each dependency setup.py lists is named in the README's table, with a
    reason."""
    setup = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    call = next(
        node
        for node in ast.walk(setup)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setup"
    )
    arguments = {
        keyword.arg: ast.literal_eval(keyword.value)
        for keyword in call.keywords
        if keyword.arg in ("install_requires", "extras_require")
    }
    extras = arguments["extras_require"].values()
    requirements = [
        *arguments["install_requires"],
        *(requirement for extra in extras for requirement in extra),
    ]
    names = {
        re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0].lower() for requirement in requirements
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {
        line
        for line in readme.splitlines()
        if line.startswith("| ") and not line.startswith("| package")
    }
    first_cells = " ".join(row.split("|")[1].replace("\\", "").lower() for row in rows)
    reasons_given = all(
        len(row.split("|")[2].strip()) > 5 for row in rows if len(row.split("|")) > 3
    )
    assert {
        name
        for name in names
        if not re.search(rf"(^|[\s,]){re.escape(name)}(\[|\s|,|$)", first_cells)
    } == set()
    assert reasons_given


def test_tests_stand_alone_without_citing_a_specification_outside_the_repository() -> None:
    cited = re.compile(
        r"\b" + "S" + "PEC" + r"\b"
    )  # spelled in parts, so that this file does not cite it
    citing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "tests").glob("*.py"))
        if cited.search(path.read_text(encoding="utf-8"))
    ]
    assert citing == []
