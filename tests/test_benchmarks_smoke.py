"""The benchmark scripts still run (tiny sizes; the peers are not installed in CI, so only ours)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import contenders, overhead

ROOT = Path(__file__).resolve().parent.parent
OURS = ["bare flask", "frappyauth (memory)", "frappyauth API key (memory)", "frappyauth (mongo on mongomock)"]


def test_overhead_measures_our_contenders() -> None:
    samples = overhead.measure(requests=40, batch=20, names=OURS)
    assert {name: len(values) for name, values in samples.items()} == {name: 2 for name in OURS}
    assert "| frappyauth (memory) |" in overhead.report(samples, 40)


def test_every_contender_of_ours_serves_its_protected_endpoint() -> None:
    for name in OURS:
        app, headers = contenders.build(name)
        client, others = contenders.test_client(app, headers)
        assert client.get("/api/thing").status_code == (200 if name == "bare flask" else 401)
        assert client.get("/api/thing", headers=others).status_code == 200


@pytest.mark.slow
def test_login_cost_and_scale_scripts_run() -> None:
    for args in (["benchmarks.login_cost", "--cost", "4", "--samples", "2", "--logins", "2"],
                 ["benchmarks.scale", "--users", "300"]):
        result = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "|" in result.stdout
