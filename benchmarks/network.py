"""Requests per second with a simulated network: every database command waits a fixed delay first.

A same-zone MongoDB answers in about 0.2–1 ms, which on a real deployment costs more than all the
Python of a request. Here the Mongo stores run on mongomock behind a wrapper that sleeps `--delay`
ms before each collection command (and counts them), so the number of round trips per request shows
in the rate. The peers get the storage they have in practice: frappyflaskauth 1.6 checks a dict in
its own process (no round trip, and no logout across workers); Flask-Login's user loader reads the
user from the same delayed database; a JWT is checked without any store.

    python -m benchmarks.network [--delay 0.5] [--requests 1000] [--batch 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import mongomock
from flask import Flask, jsonify

from benchmarks import contenders
from benchmarks.contenders import PAYLOAD, test_client


class DelayedCollection:
    """A mongomock collection whose every command first waits the database's delay (and is
    counted)."""

    def __init__(self, collection: Any, database: DelayedDatabase) -> None:
        self._collection, self.database, self.name = collection, database, collection.name

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def command(*args: Any, **kwargs: Any) -> Any:
            self.database.commands += 1
            if self.database.delay:
                time.sleep(self.database.delay)
            return attribute(*args, **kwargs)

        return command


class DelayedDatabase:
    """A mongomock database whose collections are `DelayedCollection`s; the delay starts at 0
    (setup)."""

    def __init__(self) -> None:
        self._database = mongomock.MongoClient()["network"]
        self.delay, self.commands = 0.0, 0

    def __getitem__(self, name: str) -> DelayedCollection:
        return DelayedCollection(self._database[name], self)

    def get_collection(self, name: str, **options: Any) -> DelayedCollection:
        # The stores take their collections with options (primary reads, majority writes).
        return DelayedCollection(self._database.get_collection(name, **options), self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)


class UnjoinableUsers:
    """The Mongo user store seen through a wrapper the session store cannot join: two commands a
    request, as before sessions read their user in the same command."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def frappyauth_mongo(db: DelayedDatabase, joined: bool = True) -> tuple[Flask, dict[str, str]]:
    from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore

    users = MongoUserStore(db)  # type: ignore[arg-type]
    return contenders._frappyauth(
        users if joined else UnjoinableUsers(users), MongoSessionStore(db)
    )  # type: ignore[arg-type]


def frappyauth_mongo_api_key(db: DelayedDatabase) -> tuple[Flask, dict[str, str]]:
    from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore

    users, sessions = MongoUserStore(db), MongoSessionStore(db)  # type: ignore[arg-type]
    return contenders.frappyauth_api_key(users, sessions)


def flask_login_mongo(db: DelayedDatabase) -> tuple[Flask, dict[str, str]]:
    """Flask-Login with its user loader reading the user document by id, as an app on MongoDB
    does."""
    from bson import ObjectId
    from flask_login import LoginManager, UserMixin, login_required, login_user

    class BenchUser(UserMixin):
        def __init__(self, document: dict[str, Any]) -> None:
            self.id = str(document["_id"])

    user_id = db["users"].insert_one({"username": "bench"}).inserted_id
    app = Flask("flask_login_mongo")
    app.secret_key = "benchmark secret key, not for production"
    manager = LoginManager(app)

    @manager.user_loader
    def load(loaded_id: str) -> BenchUser | None:
        document = db["users"].find_one({"_id": ObjectId(loaded_id)})
        return None if document is None else BenchUser(document)

    app.add_url_rule(
        "/login",
        "login",
        lambda: (login_user(BenchUser({"_id": user_id})), "")[1],
        methods=["POST"],
    )
    app.add_url_rule("/api/thing", "thing", login_required(lambda: jsonify(PAYLOAD)))
    client = app.test_client()
    client.post("/login")
    return app, {"Cookie": f"session={client.get_cookie('session').value}"}


NETWORKED: dict[str, Callable[[DelayedDatabase], tuple[Flask, dict[str, str]]]] = {
    "frappyauth (mongo, session + user in one command)": frappyauth_mongo,
    "frappyauth (mongo, session then user: two commands)": lambda db: frappyauth_mongo(
        db, joined=False
    ),
    "frappyauth API key (mongo, one command)": frappyauth_mongo_api_key,
    "frappyflaskauth 1.6.3 (dict in its process)": lambda _db: contenders.frappyflaskauth(),
    "flask-login 0.6 (user loader on mongo)": flask_login_mongo,
    "flask-jwt-extended 4.7 (no store)": lambda _db: contenders.flask_jwt_extended(),
    "bare flask": lambda _db: contenders.bare(),
}


def measure(
    delay_ms: float, requests: int, batch: int, names: list[str]
) -> dict[str, tuple[list[float], float]]:
    """Per contender: requests per second of each batch, and database commands per request."""
    setups = {}
    for name in names:
        db = DelayedDatabase()
        app, headers = NETWORKED[name](db)
        client, others = test_client(app, headers)
        assert client.get("/api/thing", headers=others).status_code == 200, name
        db.delay, db.commands = delay_ms / 1000, 0
        setups[name] = (client, others, db)
    rates: dict[str, list[float]] = {name: [] for name in names}
    order = list(names)
    for _ in range(max(1, requests // batch)):
        random.shuffle(order)
        for name in order:
            client, headers, _db = setups[name]
            start = time.perf_counter()  # wall time: the waits are the point
            for _ in range(batch):
                client.get("/api/thing", headers=headers)
            rates[name].append(batch / (time.perf_counter() - start))
    total = max(1, requests // batch) * batch
    return {name: (rates[name], setups[name][2].commands / total) for name in names}


def report(results: dict[str, tuple[list[float], float]], delay_ms: float, requests: int) -> str:
    lines = [
        f"{delay_ms} ms per database command; {requests} requests per contender in interleaved "
        f"batches, "
        "one thread, Flask test client",
        "",
        "| contender | requests/s (median batch) | spread | database commands per request |",
        "|---|---|---|---|",
    ]
    for name, (rates, commands) in sorted(
        results.items(), key=lambda item: -statistics.median(item[1][0])
    ):
        lines.append(
            f"| {name} | {statistics.median(rates):.0f} | {min(rates):.0f}–{max(rates):.0f} | "
            f"{commands:.2f} |"
        )
    return "\n".join(lines)


def run(delay_ms: float, requests: int, batch: int, names: list[str] | None = None) -> str:
    names = names or list(NETWORKED)
    return report(measure(delay_ms, requests, batch, names), delay_ms, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--delay", type=float, default=0.5, help="milliseconds per database command"
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--only", nargs="*", default=list(NETWORKED))
    args = parser.parse_args()
    print(run(args.delay, args.requests, args.batch, args.only))


if __name__ == "__main__":
    main()
