"""Both stores meet the Protocols, as a type checker sees them through the typed backends in `backends.py`."""
from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def test_stores_type_check_against_the_protocols() -> None:
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "mypy.ini"), "--no-incremental",
                                      str(ROOT / "frappyauth"), str(ROOT / "stores"), str(ROOT / "frappyauth_demo"),
                                      str(ROOT / "tests/backends.py")])
    assert status == 0, stdout + stderr
