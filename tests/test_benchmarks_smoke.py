"""The benchmark scripts still run (tiny sizes; the peers are not installed in CI, so only ours)."""
from __future__ import annotations

import re
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


# Each script's report: every measured row with a number in it.
REPORTS = {
    "benchmarks.login_cost": (["--cost", "4", "--samples", "2", "--logins", "2"],
                              [r"\| median login latency \| [\d.]+ ms \|", r"\| median bcrypt check \| [\d.]+ ms \|",
                               r"\| login ÷ bcrypt check \| [\d.]+ \|", r"\| logins/s, 1 thread \| [\d.]+ \|",
                               r"\| logins/s, 2 threads \| [\d.]+ \|", r"\| 2 threads ÷ 1 thread \| [\d.]+× \|"]),
    "benchmarks.scale": (["--users", "300"],
                         [r"^300 users created in [\d.]+ s; memory per user ≈ \d+ bytes", r"\| get by id \| [\d.]+ \|",
                          r"\| get by username \| [\d.]+ \|", r"\| page 0 \(25 users\) \| [\d.]+ \|",
                          r"\| last page \(offset 275\) \| [\d.]+ \|", r"last page ÷ page 0: [\d.]+"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("script", REPORTS)
def test_the_login_cost_and_scale_scripts_report_every_measure(script: str) -> None:
    args, rows = REPORTS[script]
    result = subprocess.run([sys.executable, "-m", script, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert [row for row in rows if not re.search(row, result.stdout, re.MULTILINE)] == [], result.stdout
