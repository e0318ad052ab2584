"""Both stores meet the Protocols, as a type checker sees them through the typed backends in `backends.py`;
and the code passes the linter's checks in `ruff.toml`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def test_stores_type_check_against_the_protocols() -> None:
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "mypy.ini"), "--no-incremental",
                                      str(ROOT / "frappyauth"), str(ROOT / "stores"), str(ROOT / "frappyauth_demo"),
                                      str(ROOT / "tests/backends.py")])
    assert status == 0, stdout + stderr


def test_the_code_passes_the_linter() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
