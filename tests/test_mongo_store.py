"""What only the MongoDB stores do: frappymongouser's documents, migrations, indexes and outages."""

from __future__ import annotations

import hashlib
from typing import Any

import pymongo
import pytest
from bson import ObjectId
from pymongo.errors import AutoReconnect

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from conftest import LATER, NOW
from frappyauth.core.errors import StoreFailedError, StoreUnavailableError
from frappyauth.core.models import Session, User
from frappyauth.core.minting import hash_secret
from frappyauth.stores.mongo import (
    LegacyUsernameConflictError,
    MongoAttemptStore,
    MongoSessionStore,
    MongoUserStore,
    mongo_stores,
)


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def db(request: pytest.FixtureRequest) -> Any:
    with BACKENDS[request.param].database() as database:
        yield database


def frappymongouser_document(username: str = "legacy", **fields: Any) -> dict[str, Any]:
    """A user exactly as frappymongouser 1.5 writes it: unsalted MD5 password, plaintext API key."""
    return {
        "username": username,
        "password": hashlib.md5(b"old secret").hexdigest(),
        "permissions": ["admin"],
        "profile": {"name": "Legacy"},
        "email": "legacy@example.org",
        "uid": "u-17",
        "apiKey": "0123456789abcdef0123456789abcdef",
        "dataModelVersion": 1,
        **fields,
    }


def test_a_frappymongouser_document_loads_as_a_user(db: Any) -> None:
    inserted = db["users"].insert_one(frappymongouser_document()).inserted_id
    store = MongoUserStore(db)
    user = store.get(str(inserted))
    assert user == User(
        id=str(inserted),
        username="legacy",
        password_hash=hashlib.md5(b"old secret").hexdigest(),
        permissions=("admin",),
        profile={"name": "Legacy"},
        email="legacy@example.org",
        api_key_hash=hash_secret("0123456789abcdef0123456789abcdef"),
    )
    assert store.get_by_api_key_hash(hash_secret("0123456789abcdef0123456789abcdef")) == user
    assert store.get_by_username("LEGACY") is None and store.get_by_username("legacy") == user


def test_start_up_leaves_only_the_api_key_hash_and_keeps_unknown_fields(db: Any) -> None:
    inserted = db["users"].insert_one(frappymongouser_document()).inserted_id
    MongoUserStore(db).start()
    document = db["users"].find_one({"_id": inserted})
    assert "apiKey" not in document
    assert document["apiKeyHash"] == hash_secret("0123456789abcdef0123456789abcdef")
    assert (document["uid"], document["usernameKey"], document["dataModelVersion"]) == (
        "u-17",
        "legacy",
        1,
    )


def test_new_users_are_written_in_the_legacy_layout(db: Any) -> None:
    created = MongoUserStore(db).create(
        User(id="", username="Neo", password_hash="$2b$04$x", permissions=("a",))
    )
    document = db["users"].find_one({"_id": ObjectId(created.id)})
    assert {
        k: document[k]
        for k in ("username", "password", "permissions", "profile", "dataModelVersion")
    } == {
        "username": "Neo",
        "password": "$2b$04$x",
        "permissions": ["a"],
        "profile": {},
        "dataModelVersion": 1,
    }


def test_usernames_differing_only_in_case_refuse_start_up_and_name_them(db: Any, caplog) -> None:
    db["users"].insert_many(
        [
            frappymongouser_document("Bob", apiKey="k1"),
            frappymongouser_document("bob", apiKey="k2"),
            frappymongouser_document("alice", apiKey="k3"),
        ]
    )
    store = MongoUserStore(db)  # building it sends nothing
    with pytest.raises(LegacyUsernameConflictError, match="Bob, bob") as raised:
        store.start()
    assert raised.value.groups == [["Bob", "bob"]]
    # Started by its first call instead, it refuses every call (500) and logs why, until renamed.
    with pytest.raises(StoreFailedError):
        store.get_by_username("alice")
    assert "Bob, bob" in caplog.text
    assert (
        db["users"].count_documents({"usernameKey": {"$exists": True}}) == 0
    )  # nothing merged or changed


def start_all(stores: Any) -> None:
    for kind in ("users", "sessions", "api_keys", "attempts", "mail_tokens", "mfa"):
        getattr(stores, kind).start()


def test_start_up_is_idempotent_and_creates_the_indexes(db: Any) -> None:
    start_all(mongo_stores(db))
    MongoUserStore(db).create(User(id="", username="a", password_hash="h"))
    start_all(mongo_stores(db))
    users, tokens = db["users"].index_information(), db["userTokens"].index_information()
    assert users["usernameKey_1"]["unique"] and users["apiKeyHash_1"]["unique"]
    assert tokens["expires_1"]["expireAfterSeconds"] == 0 and "userId_1" in tokens
    assert db["userLoginFailures"].index_information()["key_1"]["unique"]


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.increment("a", "a", NOW, LATER),
        lambda s: s.decrement("a", NOW),
        lambda s: s.get("a", NOW),
        lambda s: s.delete("a"),
        lambda s: s.delete_for_subject("a"),
    ],
)
def test_an_unreachable_server_raises_store_unavailable_for_attempts(db: Any, call) -> None:
    store = MongoAttemptStore(db)
    store._counters = UnreachableCollection()
    with pytest.raises(StoreUnavailableError):
        call(store)


def test_collection_names_can_be_chosen(db: Any) -> None:
    MongoUserStore(db, users_collection="people").create(
        User(id="", username="a", password_hash="h")
    )
    MongoSessionStore(db, tokens_collection="sessions").create(
        Session(
            token_hash="t",
            session_id="s",
            user_id="u",
            created_at=NOW,
            last_used_at=NOW,
            expires_at=LATER,
        )
    )
    assert db["people"].count_documents({}) == 1 and db["sessions"].count_documents({}) == 1
    assert db["users"].count_documents({}) == 0


class UnreachableCollection:
    """Stands in for a pymongo collection whose server went away."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise AutoReconnect("connection closed: mongo.internal:27017")

        return fail


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get("0123456789abcdef01234567"),
        lambda s: s.get_by_username("a"),
        lambda s: s.get_by_api_key_hash("h"),
        lambda s: s.create(User(id="", username="a", password_hash="h")),
        lambda s: s.list_page(0, 10),
        lambda s: s.list_by_username_prefix("a", 0, 10),
        lambda s: s.count(),
        lambda s: s.set_permissions("0123456789abcdef01234567", ()),
        lambda s: s.delete("0123456789abcdef01234567"),
        lambda s: s.set_password_hash("0123456789abcdef01234567", "h", "v"),
        lambda s: s.upgrade_password_hash("0123456789abcdef01234567", "h", "h2"),
    ],
)
def test_an_unreachable_server_raises_store_unavailable_for_users(db: Any, call) -> None:
    store = MongoUserStore(db)
    store._users = UnreachableCollection()
    with pytest.raises(StoreUnavailableError) as raised:
        call(store)
    assert "mongo.internal" not in str(raised.value) and raised.value.retry_after > 0


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.create(
            Session(
                token_hash="t",
                session_id="s",
                user_id="u",
                created_at=NOW,
                last_used_at=NOW,
                expires_at=LATER,
            )
        ),
        lambda s: s.get("t", NOW),
        lambda s: s.delete("t"),
        lambda s: s.delete_for_user("u"),
        lambda s: s.purge_expired(NOW),
        lambda s: s.list_for_user("u", NOW),
        lambda s: s.delete_by_id("u", "s"),
        lambda s: s.touch("t", NOW),
    ],
)
def test_an_unreachable_server_raises_store_unavailable_for_tokens(db: Any, call) -> None:
    store = MongoSessionStore(db)
    store._tokens = UnreachableCollection()
    with pytest.raises(StoreUnavailableError):
        call(store)


def test_without_a_server_a_store_builds_and_its_first_call_raises_store_unavailable() -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(
        "mongodb://127.0.0.1:9", serverSelectionTimeoutMS=50, connect=False
    )
    users, sessions = MongoUserStore(client["frappyauth"]), MongoSessionStore(client["frappyauth"])
    with pytest.raises(StoreUnavailableError):
        users.get_by_username("a")
    with pytest.raises(StoreUnavailableError):
        sessions.get("t", NOW)
