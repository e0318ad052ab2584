"""What the audit trail costs in store commands: an authenticated request that changes nothing, and
a login, each with option `audit_trail` off and on. Counted, not timed: every call into a store is
one command (on MongoDB each store method sends one).

python -m benchmarks.audit_writes
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask

from frappyauth import initial_user_check, register_endpoints
from frappyauth.core.protocols import Stores
from frappyauth.stores.memory import memory_stores

PASSWORD = "benchmark password"


class Counted:
    """A store whose every method call from the core is counted as `<store>.<method>`. A call a
    store makes into another (the memory session store reads the user it joins through the user
    store it is handed) is part of the outer command, as the one aggregate is on MongoDB."""

    depth = 0  # calls under way: the benchmark runs on one thread

    def __init__(self, name: str, store: Any, calls: Counter[str]) -> None:
        self._name, self._store, self._calls = name, store, calls

    def __getattr__(self, method: str) -> Any:
        found = getattr(self._store, method)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            if Counted.depth == 0:
                self._calls[f"{self._name}.{method}"] += 1
            Counted.depth += 1
            try:
                return found(*args, **kwargs)
            finally:
                Counted.depth -= 1

        return counted


def counted_app(audit: bool) -> tuple[Flask, Counter[str]]:
    calls: Counter[str] = Counter()
    stores = memory_stores()
    wrapped = {
        name: Counted(name, store, calls) if store is not None else None
        for name, store in vars(stores).items()
    }
    app = Flask("audit_writes")
    register_endpoints(
        app, stores=Stores(**wrapped), options_override={"bcrypt_cost": 4, "audit_trail": audit}
    )
    initial_user_check(app, "bench", PASSWORD)
    return app, calls


def commands(audit: bool) -> dict[str, Counter[str]]:
    """The store commands of one login and of one authenticated `GET {prefix}`."""
    app, calls = counted_app(audit)
    client = app.test_client()
    calls.clear()
    token = client.post(
        "/api/user/login", json={"username": "bench", "password": PASSWORD}
    ).get_json()["token"]
    login = Counter(calls)
    calls.clear()
    assert client.get("/api/user", headers={"Authorization": token}).status_code == 200
    return {"login": login, "request": Counter(calls)}


def table() -> str:
    off, on = commands(audit=False), commands(audit=True)
    rows = ["| | audit off | audit on | added |", "|---|---:|---:|---|"]
    for what in ("request", "login"):
        added = on[what] - off[what]
        rows.append(
            f"| {what} | {sum(off[what].values())} | {sum(on[what].values())} | "
            f"{', '.join(sorted(added)) or 'nothing'} |"
        )
    return "\n".join(rows)


def main() -> None:
    print(table())


if __name__ == "__main__":
    main()
