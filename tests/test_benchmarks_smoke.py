"""The benchmark scripts still run (tiny sizes; the numbers mean nothing, only that they are
produced).

The peers are not installed in CI: whatever is missing is left out, frappyauth and bare Flask always
run.
"""

from __future__ import annotations

from collections import Counter

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import calls, contenders, network, overhead

ROOT = Path(__file__).resolve().parent.parent
OURS = [
    "bare flask",
    "frappyauth (memory)",
    "frappyauth API key (memory)",
    "frappyauth (mongo on mongomock)",
]


def test_overhead_measures_our_contenders_and_counts_their_calls() -> None:
    samples = overhead.measure(requests=40, batch=20, names=OURS)
    assert {name: len(values) for name, values in samples.items()} == {name: 2 for name in OURS}
    profiled = {name: overhead.calls_per_request(name, requests=5) for name in OURS}
    assert (
        profiled["bare flask"]
        < profiled["frappyauth (memory)"]
        < profiled["frappyauth (mongo on mongomock)"]
    )
    row = re.search(
        r"^\| frappyauth \(memory\) \| ([\d.]+) \|.*\| ([+-]\d+) \| — \|$",
        overhead.report(samples, 40, profiled),
        re.MULTILINE,
    )
    assert row is not None and float(row.group(1)) > 0
    assert int(row.group(2)) == round(profiled["frappyauth (memory)"] - profiled["bare flask"])


def test_the_call_count_is_the_same_every_time_and_reported_with_a_secret_key_and_without() -> None:
    text = calls.run(["bare flask", "frappyauth (memory)"], repeats=2)
    assert text.count("every count the same in 2 runs") == 2
    rows = re.findall(
        r"^\| frappyauth \(memory\) \| (\d+) \| \+(\d+) \| — \| "
        r".*: no frappyflaskauth to compare with \| same \|$",
        text,
        re.MULTILINE,
    )
    with_key, without = [int(count) for count, _extra in rows]
    assert with_key > without  # the cookie session's work, once there is a key
    assert int(rows[1][1]) == without - calls.count_calls("bare flask", None) > 0


def test_the_breakdown_names_the_public_check_once_and_everything_it_calls() -> None:
    rows, inside = calls.breakdown("frappyauth (memory)")
    checks = [
        counts for function, counts in rows.items() if function.endswith(":check_login_state")
    ]
    assert checks == [[1, inside]] and inside > 1
    assert all(function.startswith(("frappyauth/", "stores/")) for function in rows)


def test_every_contender_of_ours_serves_its_protected_endpoint() -> None:
    for name in OURS:
        app, headers = contenders.build(name)
        client, others = contenders.test_client(app, headers)
        assert client.get("/api/thing").status_code == (200 if name == "bare flask" else 401)
        assert client.get("/api/thing", headers=others).status_code == 200


def test_the_simulated_network_counts_one_command_per_request_and_two_before() -> None:
    one = "frappyauth (mongo, session + user in one command)"
    two = "frappyauth (mongo, session then user: two commands)"
    results = network.measure(0.0, 20, 10, [one, two, "frappyauth API key (mongo, one command)"])
    assert {name: commands for name, (_rates, commands) in results.items()} == {
        one: 1.0,
        two: 2.0,
        "frappyauth API key (mongo, one command)": 1.0,
    }
    assert all(len(rates) == 2 and min(rates) > 0 for rates, _ in results.values())


# Each script's report: every measured row with a number in it.
REPORTS = {
    "benchmarks.login_cost": (
        ["--cost", "4", "--samples", "2", "--logins", "2"],
        [
            r"\| median login latency \| [\d.]+ ms \|",
            r"\| median bcrypt check \| [\d.]+ ms \|",
            r"\| login ÷ bcrypt check \| [\d.]+ \|",
            r"\| logins/s, 1 thread \| [\d.]+ \|",
            r"\| logins/s, 2 threads \| [\d.]+ \|",
            r"\| 2 threads ÷ 1 thread \| [\d.]+× \|",
        ],
    ),
    "benchmarks.scale": (
        ["--users", "300"],
        [
            r"^300 users created in [\d.]+ s, and 300 sessions",
            r"\| memory per user \(RSS\) \| -?\d+ bytes",
            r"\| memory per session \(RSS\) \| -?\d+ bytes",
            r"\| get by id \| [\d.]+ µs \|",
            r"\| get by username \| [\d.]+ µs \|",
            r"\| page 0 \(25 users\) \| [\d.]+ µs \|",
            r"\| last page \(offset 275\) \| [\d.]+ µs \|",
            r"\| last page ÷ page 0 \| [\d.]+ \|",
        ],
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("script", REPORTS)
def test_the_login_cost_and_scale_scripts_report_every_measure(script: str) -> None:
    args, rows = REPORTS[script]
    result = subprocess.run(
        [sys.executable, "-m", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert [row for row in rows if not re.search(row, result.stdout, re.MULTILINE)] == [], (
        result.stdout
    )


@pytest.mark.slow
def test_one_command_runs_them_all_and_writes_the_results(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    for section in (
        "Per-request authentication overhead, in-process",
        "Python calls per request over bare Flask",
        "The check alone",
        "A simulated network",
        "Login cost",
        "The memory stores at scale",
        "Where a check's time goes",
    ):
        assert f"## {section}" in text
    assert re.search(r"Python \d+\.\d+\.\d+\. Versions: Flask \d", text)
    assert re.search(
        r"\| frappyauth \(mongo, session \+ user in one command\) \| \d+ \| \d+–\d+ \| 1\.00 \|",
        text,
    )
    assert re.search(r"\| memory per session \(RSS\) \| -?\d+ bytes \| ≤ 1024 \|", text)
    assert re.search(r"\| last page ÷ page 0 \| \d+\.\d\d \| ≤ 1\.5 \|", text)


def test_the_audit_trail_adds_no_command_to_a_request_and_one_write_to_a_login() -> None:
    from benchmarks.audit_writes import commands

    off, on = commands(audit=False), commands(audit=True)
    assert on["request"] == off["request"] and sum(on["request"].values()) == 1
    assert on["login"] - off["login"] == Counter({"audit.append": 1})
