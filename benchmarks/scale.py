"""The memory store with many users: lookup, login, first page against last page, memory per user.

    python -m benchmarks.scale [--users 1000000]
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time

from flask import Flask

from frappyauth import register_endpoints
from frappyauth.core.models import User, username_key
from frappyauth.core.passwords import PasswordHasher
from frappyauth.stores.memory import MemorySessionStore, MemoryUserStore

PASSWORD = "benchmark password"


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def median_us(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    args = parser.parse_args()
    password_hash = PasswordHasher(4).hash(PASSWORD)  # one low-cost hash shared by all: setup, not the subject
    store = MemoryUserStore()
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    ids = [store.create(User(id="", username=f"user{i}", password_hash=password_hash, permissions=("view",),
                             profile={"n": i}, email=f"user{i}@example.org")).id for i in range(args.users)]
    created_s = time.perf_counter() - start
    gc.collect()
    per_user = (rss_bytes() - before) / args.users
    app = Flask("scale")
    register_endpoints(app, store, MemorySessionStore(), {"bcrypt_cost": 4})
    client = app.test_client()
    pick = random.Random(1)
    last_offset = (args.users - 1) // 25 * 25
    rows = [
        ("get by id", median_us(lambda: store.get(pick.choice(ids)), 10_000)),
        ("get by username",
         median_us(lambda: store.get_by_username(username_key(f"user{pick.randrange(args.users)}")), 10_000)),
        ("login over the test client (bcrypt cost 4)", median_us(lambda: client.post(
            "/api/user/login", json={"username": f"user{pick.randrange(args.users)}", "password": PASSWORD}), 300)),
        ("page 0 (25 users)", median_us(lambda: store.list_page(0, 25), 2_000)),
        (f"last page (offset {last_offset})", median_us(lambda: store.list_page(last_offset, 25), 2_000)),
    ]
    print(f"{args.users} users created in {created_s:.1f} s; memory per user ≈ {per_user:.0f} bytes (RSS)\n")
    print("| operation | median µs |\n|---|---|")
    for label, micros in rows:
        print(f"| {label} | {micros:.1f} |")
    print(f"\nlast page ÷ page 0: {rows[4][1] / rows[3][1]:.2f} (target ≤ 1.5)")


if __name__ == "__main__":
    main()
