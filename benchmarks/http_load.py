"""Per-request authentication overhead over real HTTP: each contender under gunicorn (one worker,
sync), loaded by wrk on 127.0.0.1, in interleaved rounds.

    python -m benchmarks.http_load [--seconds 5] [--rounds 3] [--connections 4] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from collections.abc import Iterator

from benchmarks.contenders import CONTENDERS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """gunicorn with one worker serving the contender; yields its port and the credential
    headers."""
    port, headers_file = free_port(), tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    os.unlink(headers_file)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            f"benchmarks.contenders:create_app({name!r})",
        ],
        env={**os.environ, "BENCH_HEADERS_FILE": headers_file},
    )
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(headers_file) or os.path.getsize(headers_file) == 0:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.1)
        time.sleep(0.3)
        with open(headers_file, encoding="utf-8") as file:
            yield port, json.load(file)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if os.path.exists(headers_file):
            os.unlink(headers_file)


def wrk(port: int, headers: dict[str, str], seconds: int, connections: int) -> tuple[float, float]:
    """Requests per second and median latency in µs; refuses a run with any non-2xx answer."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(
        command + [f"http://127.0.0.1:{port}/api/thing"], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx answers:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", output).groups()
    return rate, float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def run(seconds: int, rounds: int, connections: int, names: list[str]) -> str:
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            with serve(name) as (port, headers):
                results[name].append(wrk(port, headers, seconds, connections))
    bare_rate = (
        statistics.median(r for r, _ in results["bare flask"]) if "bare flask" in results else None
    )
    lines = [
        f"wrk -t1 -c{connections} -d{seconds}s, {rounds} interleaved rounds, gunicorn 1 sync "
        "worker",
        "",
        "| contender | requests/s (median) | spread | p50 latency µs | µs per request over bare |",
        "|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        rates = [r for r, _ in runs]
        rate = statistics.median(rates)
        extra = (1e6 / rate - 1e6 / bare_rate) if bare_rate else float("nan")
        lines.append(
            f"| {name} | {rate:.0f} | {min(rates):.0f}–{max(rates):.0f} | "
            f"{statistics.median(latency for _, latency in runs):.0f} | {extra:+.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--only", nargs="*", default=list(CONTENDERS))
    args = parser.parse_args()
    print(run(args.seconds, args.rounds, args.connections, args.only))


if __name__ == "__main__":
    main()
