"""The suite's own report: what a contributor reads after a run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a nested pytest run
def test_skips_are_summed_up_once_per_reason() -> None:
    """Without MongoDB, hundreds of tests skip for one reason: one line says so, with the count."""
    environ = {name: value for name, value in os.environ.items() if name != "MONGODB_URI"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "not slow"]
        + ["tests/test_session_store_contract.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "SKIPPED [" not in result.stdout
    counted = re.findall(
        r"^ +(\d+)  MONGODB_URI is not set: no real MongoDB to test$", result.stdout, re.MULTILINE
    )
    skipped = re.search(r"(\d+) skipped", result.stdout)
    assert skipped and counted == [skipped.group(1)], result.stdout[-2000:]
