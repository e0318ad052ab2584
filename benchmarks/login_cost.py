"""What a login costs beyond its one bcrypt check, and how logins scale over threads (bcrypt
releases the GIL).

python -m benchmarks.login_cost [--cost 12] [--samples 15] [--logins 24]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import bcrypt
from flask import Flask

from frappyauth import initial_user_check, register_endpoints
from frappyauth.core.passwords import PasswordHasher
from frappyauth.stores.memory import MemorySessionStore, MemoryUserStore

PASSWORD = "benchmark password"


def login_app(cost: int) -> Flask:
    app = Flask("login_cost")
    register_endpoints(
        app,
        MemoryUserStore(),
        MemorySessionStore(),
        {"bcrypt_cost": cost, "max_failed_logins": 1_000_000},
    )
    initial_user_check(app, "bench", PASSWORD)
    return app


def login_once(client) -> None:
    assert (
        client.post("/api/user/login", json={"username": "bench", "password": PASSWORD}).status_code
        == 200
    )


def latency_ratio(app: Flask, cost: int, samples: int) -> tuple[float, float]:
    """Median login latency and median bcrypt check, interleaved, in ms."""
    client, stored = app.test_client(), PasswordHasher(cost).hash(PASSWORD).encode()
    prepared = b"x" * 44  # what frappyauth hands bcrypt: a 44-byte base64 SHA-256
    logins, checks = [], []
    for _ in range(samples):
        start = time.perf_counter()
        login_once(client)
        logins.append(time.perf_counter() - start)
        start = time.perf_counter()
        bcrypt.checkpw(prepared, stored)
        checks.append(time.perf_counter() - start)
    return statistics.median(logins) * 1e3, statistics.median(checks) * 1e3


def throughput(app: Flask, threads: int, logins: int) -> float:
    """Logins per second with `threads` threads sharing `logins` logins."""

    def work() -> None:
        client = app.test_client()
        for _ in range(logins // threads):
            login_once(client)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return logins / (time.perf_counter() - start)


def run(cost: int, samples: int, logins: int) -> str:
    app = login_app(cost)
    login_ms, check_ms = latency_ratio(app, cost, samples)
    one, two = throughput(app, 1, logins), throughput(app, 2, logins)
    return "\n".join(
        [
            f"bcrypt cost {cost}, {samples} interleaved samples, {logins} logins per throughput "
            "run",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| median login latency | {login_ms:.1f} ms | |",
            f"| median bcrypt check | {check_ms:.1f} ms | |",
            f"| login ÷ bcrypt check | {login_ms / check_ms:.3f} | ≤ 1.02 |",
            f"| logins/s, 1 thread | {one:.2f} | |",
            f"| logins/s, 2 threads | {two:.2f} | |",
            f"| 2 threads ÷ 1 thread | {two / one:.2f}× | ≥ 1.8× |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cost", type=int, default=12)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--logins", type=int, default=24)
    args = parser.parse_args()
    print(run(args.cost, args.samples, args.logins))


if __name__ == "__main__":
    main()
