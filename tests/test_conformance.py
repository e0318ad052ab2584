"""Both stores meet the Protocols, as a type checker sees them through the typed backends in
`backends.py`; and the code passes the linter's checks in `ruff.toml`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def installed_layout(target: Path) -> Path:
    """The package as it installs, built from links: `stores/` becomes `frappyauth/stores`.

    mypy does not run setuptools' editable-install finder, so it is shown the installed shape
    instead.
    """
    package = target / "frappyauth"
    package.mkdir()
    for child in (ROOT / "frappyauth").iterdir():
        if child.name != "__pycache__":
            (package / child.name).symlink_to(child)
    (package / "stores").symlink_to(ROOT / "stores")
    (target / "frappyauth_demo").symlink_to(ROOT / "frappyauth_demo")
    return target


@pytest.mark.slow
def test_stores_type_check_against_the_protocols(tmp_path: Path) -> None:
    source = installed_layout(tmp_path)
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "mypy.ini"),
            "--no-incremental",
            str(source / "frappyauth"),
            str(source / "frappyauth_demo"),
            str(ROOT / "tests/backends.py"),
        ]
    )
    assert status == 0, stdout + stderr
    checked = int(
        stdout.rsplit(" in ", 1)[1].split()[0]
    )  # "Success: no issues found in N source files"
    assert checked > len(
        list((ROOT / "stores").rglob("*.py"))
    )  # the stores were read, through the links


def test_the_code_is_formatted_within_100_columns() -> None:
    """`ruff format` (line length 100, see ruff.toml) leaves nothing to change."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_passes_the_linter() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format", "concise", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
