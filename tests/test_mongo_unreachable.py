"""An unreachable MongoDB in the user's own app: it starts, answers 503, logs one line, and can
choose to fail fast instead.

No MongoDB server runs here: these tests point a real pymongo client at closed loopback ports, so
what they see is pymongo's own behaviour without a server (server selection, then a timeout).
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from typing import Any

import mongomock
import pymongo
import pytest
from flask import Flask
from pymongo.errors import AutoReconnect

from conftest import LATER, NOW
from frappyauth import register_endpoints
from frappyauth.core.errors import StoreUnavailableError
from frappyauth.stores.mongo import (
    MongoAttemptStore,
    MongoSessionStore,
    MongoUserStore,
    check_connection,
    mongo_stores,
)

DOWN_URI = "mongodb://alice:s3cret-pw@127.0.0.1:1,127.0.0.1:2/app?serverSelectionTimeoutMS=100"


def down_database(uri: str = DOWN_URI) -> Any:
    return pymongo.MongoClient(uri).get_default_database()


def server_selections(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "pymongo.serverSelection"]


def test_building_every_store_sends_no_command(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="pymongo.serverSelection")
    started = time.monotonic()
    mongo_stores(down_database())
    MongoUserStore(down_database()), MongoSessionStore(down_database())
    assert server_selections(caplog) == [] and time.monotonic() - started < 1


def test_a_client_reading_from_secondaries_still_reads_sessions_and_users_from_the_primary(
    caplog,
) -> None:
    caplog.set_level(logging.DEBUG, logger="pymongo.serverSelection")
    db = down_database(DOWN_URI + "&readPreference=secondaryPreferred&w=1")
    assert db.read_preference.mode != pymongo.ReadPreference.PRIMARY.mode  # what the app asked
    stores = mongo_stores(db)
    for kind in ("users", "sessions", "api_keys", "attempts"):
        getattr(stores, kind)._startup.started = True  # as once started while the server was up
    for read in (
        lambda: stores.users.get_by_username("ann"),
        lambda: stores.sessions.get("t", NOW),
        lambda: stores.api_keys.get_by_hash("h", NOW),
        lambda: stores.attempts.get("k", NOW),
    ):
        with pytest.raises(StoreUnavailableError):
            read()
    started = [m for m in server_selections(caplog) if "Server selection started" in m]
    # Reads select by the read preference; index creation (a write) selects a writable server.
    reads = [m for m in started if '"operation": "find"' in m]
    assert len(reads) >= 4 and all('"selector": "Primary()"' in m for m in reads)
    assert not any("Secondary" in m for m in started)


def test_an_app_built_while_mongodb_is_down_answers_503_json_with_retry_after() -> None:
    db = down_database()
    app = Flask("down")
    register_endpoints(app, MongoUserStore(db), MongoSessionStore(db))  # as the README shows
    client = app.test_client()
    for response in (
        client.get("/api/user", headers={"Authorization": "Bearer some-token"}),
        client.post("/api/user/login", json={"username": "ann", "password": "x" * 12}),
    ):
        assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
        assert response.get_json()["error"] == "store_unavailable"


def test_the_cli_help_works_while_mongodb_is_down() -> None:
    db = down_database()
    app = Flask("down")
    register_endpoints(app, MongoUserStore(db), MongoSessionStore(db))
    result = app.test_cli_runner().invoke(args=["frappyauth", "--help"])
    assert result.exit_code == 0 and "migrate" in result.output


def test_an_outage_logs_one_line_with_the_hosts_and_no_credentials(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="frappyauth")
    stores = mongo_stores(down_database())
    for call in (
        lambda: stores.users.get_by_username("ann"),
        lambda: stores.users.count(),
        lambda: stores.sessions.get("t", NOW),
        lambda: stores.attempts.increment("k", "ann", NOW, LATER),
    ):
        with pytest.raises(StoreUnavailableError):
            call()
    lines = [r for r in caplog.records if r.name == "frappyauth" and r.levelno >= logging.INFO]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    line = lines[0].getMessage()
    assert "127.0.0.1:1" in line and "127.0.0.1:2" in line and "URI" in line
    assert "s3cret" not in caplog.text and "alice" not in caplog.text
    assert "answering 503" not in caplog.text


class UnreachableCollection:
    """Stands in for a collection whose server went away."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise AutoReconnect("connection closed")

        return fail


def test_the_start_runs_again_after_a_failure_and_the_recovery_is_logged(caplog) -> None:
    db = mongomock.MongoClient()["app"]
    store = MongoAttemptStore(db)
    reachable, store._counters = store._counters, UnreachableCollection()  # type: ignore[assignment]
    for _ in range(2):
        with pytest.raises(StoreUnavailableError):
            store.increment("k", "ann", NOW, LATER)
    assert "userLoginFailures" not in db.list_collection_names()
    store._counters = reachable
    assert store.increment("k", "ann", NOW, LATER).count == 1
    assert db["userLoginFailures"].index_information()["key_1"]["unique"]
    assert [r.getMessage().split(":")[0] for r in caplog.records if r.levelno >= logging.INFO] == [
        "mongodb-unreachable",
        "mongodb-reachable",
    ]


def test_check_connection_fails_fast_naming_the_hosts() -> None:
    db = pymongo.MongoClient("mongodb://alice:s3cret-pw@127.0.0.1:1/").get_database("app")
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as raised:
        check_connection(db, timeout_seconds=0.2)
    assert time.monotonic() - started < 5  # not the client's 30 s server selection
    assert "127.0.0.1:1" in raised.value.message and "s3cret" not in raised.value.message
    check_connection(mongomock.MongoClient()["app"])  # a reachable server: nothing raised


def test_importing_the_mongo_stores_without_pymongo_says_what_to_install(monkeypatch) -> None:
    for module in [name for name in sys.modules if name.startswith("frappyauth.stores.mongo")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "pymongo", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'frappyauth\[mongo\]'"):
        importlib.import_module("frappyauth.stores.mongo")
