"""A dry run writes nothing, and odd legacy values are skipped and reported, never a crash.

MongoDB's `$type: "string"` also matches an array holding a string, and `$in` matches an array
holding one of its values: frappymongouser never wrote such documents, but hand-edited databases
hold them.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

import bson
import pytest
from flask import Flask

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from frappyauth import register_endpoints
from frappyauth.core.minting import hash_secret
from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore

OLD_PASSWORD = "old secret"


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def db(request: pytest.FixtureRequest) -> Any:
    with BACKENDS[request.param].database() as database:
        yield database


def old_user(username: Any, **fields: Any) -> dict[str, Any]:
    """A user as frappymongouser 1.5 writes it: MD5 password, no usernameKey."""
    return {
        "username": username,
        "password": hashlib.md5(OLD_PASSWORD.encode()).hexdigest(),
        "permissions": ["view"],
        "profile": {},
        "dataModelVersion": 1,
        **fields,
    }


def frappymongouser_database(db: Any) -> None:
    db["users"].insert_many(
        [
            old_user("admin", permissions="admin", apiKey="plain-admin-key"),
            old_user("bob", permissions="view"),
        ]
    )
    db["userTokens"].insert_one(
        {
            "userId": "u",
            "token": "t",
            "expires": datetime(2100, 1, 2),
            "created": datetime(2099, 1, 1),
        }
    )


def snapshot(db: Any) -> dict[str, Any]:
    """Every collection, each document's BSON bytes, and every index."""
    return {
        name: (
            sorted(bson.encode(document) for document in db[name].find()),
            db[name].index_information(),
        )
        for name in sorted(db.list_collection_names())
    }


def readme_app(db: Any) -> Flask:
    app = Flask("readme")
    register_endpoints(
        app, MongoUserStore(db), MongoSessionStore(db), options_override={"api_keys": True}
    )
    return app


def test_migrate_dry_run_on_a_readme_app_leaves_the_database_byte_for_byte(
    db: Any, monkeypatch
) -> None:
    monkeypatch.delenv("FRAPPYAUTH_MIGRATE_ON_START", raising=False)
    frappymongouser_database(db)
    before = snapshot(db)
    result = readme_app(db).test_cli_runner().invoke(args=["frappyauth", "migrate", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 plaintext API keys to be hashed" in result.output
    assert "1 legacy frappyflaskauth session documents to be removed" in result.output
    assert snapshot(db) == before


def test_loading_a_readme_app_writes_nothing_until_its_first_request(db: Any) -> None:
    frappymongouser_database(db)
    before = snapshot(db)
    app = readme_app(db)
    assert snapshot(db) == before
    login = {"username": "bob", "password": OLD_PASSWORD}
    assert app.test_client().post("/api/user/login", json=login).status_code == 200
    assert db["frappyauthSchema"].count_documents({}) >= 1


def test_array_valued_usernames_and_api_keys_are_skipped_and_reported(db: Any, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frappyauth")
    db["users"].insert_many(
        [
            old_user("admin", apiKey="plain-key"),
            old_user(["admin"], apiKey=["plain-key"]),
            old_user(["carol"], permissions="view"),
            old_user("dave", apiKey=["dave-key"]),
        ]
    )
    report = MongoUserStore(db, migrate_on_start=False).migrate(dry_run=True)
    store = MongoUserStore(db)
    store.start()  # no crash: the start-up migration runs
    assert store.get_by_username("admin").username == "admin"
    assert store.get_by_api_key_hash(hash_secret("plain-key")).username == "admin"
    assert store.get_by_username("dave") is not None and store.get_by_username("carol") is None
    for username, api_key in ((["admin"], ["plain-key"]), ("dave", ["dave-key"])):
        document = db["users"].find_one({"username": username, "apiKey": api_key})
        assert document is not None and "apiKeyHash" not in document  # left as it was
    assert db["users"].find_one({"username": ["carol"]})["permissions"] == ["view"]
    assert db["users"].count_documents({"usernameKey": {"$exists": True}}) == 2  # admin, dave
    for text in (report.summary(), caplog.text):
        assert "2 users have a list as their username" in text
        assert "2 users have a list as their API key" in text
