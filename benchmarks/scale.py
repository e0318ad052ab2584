"""The memory stores with many users and sessions: lookups, login, first page against last page, and
memory per user and per session (growth of the process's resident memory, after a garbage
collection).

    python -m benchmarks.scale [--users 1000000]   (as many sessions as users, one each)
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from flask import Flask

from frappyauth import register_endpoints
from frappyauth.core.minting import hash_secret, new_secret, new_session_id
from frappyauth.core.models import Session, User, username_key
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


def create_sessions(sessions: MemorySessionStore, ids: list[str]) -> None:
    """One session per user, as a login makes it (its own instants, a browser's user agent, an
    address)."""
    start = datetime(2100, 1, 1, tzinfo=timezone.utc)
    for i, user_id in enumerate(ids):
        created = start + timedelta(microseconds=i)
        sessions.create(
            Session(
                token_hash=hash_secret(new_secret()),
                session_id=new_session_id(),
                user_id=user_id,
                created_at=created,
                last_used_at=created,
                expires_at=created + timedelta(days=1),
                user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
                remote_addr="203.0.113.7",
            )
        )


def run(users: int) -> str:
    password_hash = PasswordHasher(4).hash(
        PASSWORD
    )  # one low-cost hash shared by all: setup, not the subject
    store, sessions = MemoryUserStore(), MemorySessionStore()
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    ids = [
        store.create(
            User(
                id="",
                username=f"user{i}",
                password_hash=password_hash,
                permissions=("view",),
                profile={"n": i},
                email=f"user{i}@example.org",
            )
        ).id
        for i in range(users)
    ]
    created_s = time.perf_counter() - start
    gc.collect()
    per_user = (rss_bytes() - before) / users
    before = rss_bytes()
    create_sessions(sessions, ids)
    gc.collect()
    per_session = (rss_bytes() - before) / users
    app = Flask("scale")
    register_endpoints(app, store, sessions, {"bcrypt_cost": 4})
    client = app.test_client()
    pick = random.Random(1)
    last_offset = (users - 1) // 25 * 25
    rows = [
        ("get by id", median_us(lambda: store.get(pick.choice(ids)), 10_000)),
        (
            "get by username",
            median_us(
                lambda: store.get_by_username(username_key(f"user{pick.randrange(users)}")), 10_000
            ),
        ),
        (
            "login over the test client (bcrypt cost 4)",
            median_us(
                lambda: client.post(
                    "/api/user/login",
                    json={"username": f"user{pick.randrange(users)}", "password": PASSWORD},
                ),
                300,
            ),
        ),
        ("page 0 (25 users)", median_us(lambda: store.list_page(0, 25), 2_000)),
        (
            f"last page (offset {last_offset})",
            median_us(lambda: store.list_page(last_offset, 25), 2_000),
        ),
    ]
    lines = [
        f"{users} users created in {created_s:.1f} s, and {users} sessions (one each)",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
        f"| memory per user (RSS) | {per_user:.0f} bytes | ≤ 1024 |",
        f"| memory per session (RSS) | {per_session:.0f} bytes | ≤ 1024 |",
    ]
    lines += [f"| {label} | {micros:.1f} µs | |" for label, micros in rows]
    lines.append(f"| last page ÷ page 0 | {rows[4][1] / rows[3][1]:.2f} | ≤ 1.5 |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    args = parser.parse_args()
    print(run(args.users))


if __name__ == "__main__":
    main()
