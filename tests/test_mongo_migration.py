"""Explicit, cheap migrations: the schema marker, batched writes, dry runs and `flask frappyauth
migrate`."""

from __future__ import annotations

import collections
import hashlib
import logging
from datetime import datetime
from typing import Any

import pytest

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from conftest import NOW
from frappyauth.core.minting import hash_secret
from frappyauth.stores.memory import MemorySessionStore, MemoryUserStore
from frappyauth.stores.mongo import SCHEMA_VERSION, MongoSessionStore, MongoUserStore, migration
from http_support import Clock, SecretLedger, build_app


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def db(request: pytest.FixtureRequest) -> Any:
    with BACKENDS[request.param].database() as database:
        yield database


class CountingCollection:
    """A collection that counts the calls made on it: each is one round trip to the server."""

    def __init__(self, collection: Any, calls: collections.Counter) -> None:
        self._collection, self._calls = collection, calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls[f"{self._collection.name}.{name}"] += 1
            return attribute(*args, **kwargs)

        return call


class CountingDatabase:
    def __init__(self, db: Any) -> None:
        self._db, self.calls = db, collections.Counter()

    def __getitem__(self, name: str) -> CountingCollection:
        return CountingCollection(self._db[name], self.calls)

    def get_collection(self, name: str, **options: Any) -> CountingCollection:
        return CountingCollection(self._db.get_collection(name, **options), self.calls)


def legacy_users(count: int) -> list[dict[str, Any]]:
    return [
        {
            "username": f"User{i}",
            "password": hashlib.md5(b"x").hexdigest(),
            "permissions": "view",
            "apiKey": f"key-{i}",
            "uid": f"u{i}",
            "dataModelVersion": 1,
        }
        for i in range(count)
    ]


def test_a_migrated_database_costs_one_read_per_store_at_start(db: Any) -> None:
    db["users"].insert_many(legacy_users(3))
    MongoUserStore(db).start(), MongoSessionStore(db).start()
    counting = CountingDatabase(db)
    stores = MongoUserStore(counting), MongoSessionStore(counting)  # type: ignore[arg-type]
    assert counting.calls == {}  # building a store sends nothing
    for store in stores:
        store.start()
        store.start()  # once per process
    assert counting.calls == {"frappyauthSchema.find_one": 2}


def test_an_unmarked_database_is_migrated_in_batches_and_marked(
    db: Any, caplog, monkeypatch
) -> None:
    caplog.set_level(logging.INFO, logger="frappyauth")
    monkeypatch.setattr(migration, "BATCH_SIZE", 100)  # mongomock evaluates a $switch slowly
    db["users"].insert_many(legacy_users(250))
    counting = CountingDatabase(db)
    store = MongoUserStore(counting)  # type: ignore[arg-type]
    store.start()
    assert counting.calls["users.update_one"] == 0
    # Keys, API keys and both lookalike keys in batches of 100; one permissions value.
    assert counting.calls["users.update_many"] == 3 + 3 + 1 + 3 + 3
    assert store.get_by_username("user249").permissions == ("view",)
    assert store.get_by_api_key_hash(hash_secret("key-7")).username == "User7"
    assert db["users"].count_documents({"apiKey": {"$exists": True}}) == 0
    assert (
        db["users"].count_documents({"permissions": ["view"], "usernameKey": {"$exists": True}})
        == 250
    )
    assert db["frappyauthSchema"].find_one({"_id": "users"})["schemaVersion"] == SCHEMA_VERSION
    assert [r.getMessage() for r in caplog.records] == [
        f"frappyauth: collection 'users' at schema {SCHEMA_VERSION}: 250 username keys added, "
        "250 plaintext API keys hashed, 250 permissions strings made lists, 500 lookalike keys "
        "added"
    ]


def test_migrate_on_start_can_be_left_to_the_operator(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDatabase(db)
    MongoUserStore(counting, migrate_on_start=False).start()  # type: ignore[arg-type]
    MongoSessionStore(counting, migrate_on_start=False).start()  # type: ignore[arg-type]
    monkeypatch.setenv("FRAPPYAUTH_MIGRATE_ON_START", "0")
    MongoUserStore(counting).start(), MongoSessionStore(counting).start()  # type: ignore[arg-type]
    assert counting.calls == {}


def test_a_dry_run_counts_and_writes_nothing(db: Any) -> None:
    db["users"].insert_many(legacy_users(2) + [{"username": "user0", "password": "x"}])
    db["userTokens"].insert_one({"userId": "u", "token": "t", "expires": datetime(2100, 1, 2)})
    before = list(db["users"].find()), list(db["userTokens"].find())
    users = MongoUserStore(db, migrate_on_start=False).migrate(dry_run=True)
    sessions = MongoSessionStore(db, migrate_on_start=False).migrate(dry_run=True, now=NOW)
    assert (list(db["users"].find()), list(db["userTokens"].find())) == before
    assert "frappyauthSchema" not in db.list_collection_names()
    # 4 keys: User0 and user0 share both lookalike keys (case is folded in both), so one holds them.
    assert users.summary().startswith(
        f"frappyauth: dry run, nothing written: collection 'users' at schema "
        f"{SCHEMA_VERSION}: 2 plaintext API keys to be hashed, 2 permissions strings "
        "to be made lists, 4 lookalike keys to be added; would stop: These usernames "
        "collide once case is ignored: User0, user0."
    )
    assert sessions.summary() == (
        "frappyauth: dry run, nothing written: collection 'userTokens' at schema "
        f"{SCHEMA_VERSION}: "
        "1 legacy frappyflaskauth "
        "session documents to be removed; their users log in again (1 unexpired by the server's "
        "local time): "
        "legacy sessions are never converted"
    )


def test_migrate_converts_what_old_workers_wrote_after_the_marker(db: Any) -> None:
    store = MongoUserStore(db)
    store.start()
    db["users"].insert_many(legacy_users(2))
    report = store.migrate()
    assert report.changes[0] == (2, "username keys", "added")
    assert db["users"].count_documents({"usernameKey": {"$exists": False}}) == 0


def mongo_cli(db: Any) -> Any:
    app = build_app(
        MongoUserStore(db, migrate_on_start=False),
        MongoSessionStore(db, migrate_on_start=False),
        Clock(NOW),
        SecretLedger(),
    )
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["frappyauth", "migrate", *args])


def test_the_migrate_command_dry_run_reports_and_writes_nothing(db: Any) -> None:
    db["users"].insert_many(legacy_users(2))
    result = mongo_cli(db)("--dry-run")
    assert result.exit_code == 0, result.output
    assert "users: checking" in result.output and "2 username keys to be added" in result.output
    assert db["users"].count_documents({"usernameKey": {"$exists": True}}) == 0
    assert db["frappyauthSchema"].count_documents({}) == 0


def test_the_migrate_command_migrates_with_progress_and_marks(db: Any) -> None:
    db["users"].insert_many(legacy_users(2))
    db["userTokens"].insert_one({"userId": "u", "token": "t", "expires": datetime(2100, 1, 2)})
    result = mongo_cli(db)()
    assert result.exit_code == 0, result.output
    assert "users: usernameKey 2/2" in result.output and "2 username keys added" in result.output
    assert "1 legacy frappyflaskauth session documents removed" in result.output
    assert db["users"].count_documents({"usernameKey": {"$exists": False}}) == 0
    assert db["userTokens"].count_documents({}) == 0
    assert db["frappyauthSchema"].count_documents({"schemaVersion": SCHEMA_VERSION}) == 2


def test_the_migrate_command_stops_on_colliding_names_and_writes_nothing(db: Any) -> None:
    db["users"].insert_many(
        [{"username": "Bob", "password": "x"}, {"username": "bob", "password": "x"}]
    )
    result = mongo_cli(db)()
    assert result.exit_code == 1 and "Bob, bob" in result.output
    assert db["users"].count_documents({"usernameKey": {"$exists": True}}) == 0


def test_the_migrate_command_on_memory_stores_has_nothing_to_do() -> None:
    app = build_app(MemoryUserStore(), MemorySessionStore(), Clock(NOW), SecretLedger())
    result = app.test_cli_runner().invoke(args=["frappyauth", "migrate"])
    assert result.exit_code == 0 and "nothing to migrate" in result.output
