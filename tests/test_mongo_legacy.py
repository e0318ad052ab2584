"""Every document shape frappymongouser and frappyflaskauth left, or an old worker still writes,
on the Mongo store."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from conftest import NOW
from frappyauth.core.minting import hash_secret
from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore
from http_support import ADMIN_PASSWORD, Clock, SecretLedger, auth, build_app, login

OLD_PASSWORD = "old secret"


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def db(request: pytest.FixtureRequest) -> Any:
    with BACKENDS[request.param].database() as database:
        yield database


@pytest.mark.parametrize("secret", ["abc", "", "fak_id_" + "x" * 43, "ünïcödé token", "a" * 1000])
def test_stored_hashes_stay_the_sha256_hex_earlier_releases_wrote(secret: str) -> None:
    assert hash_secret(secret) == hashlib.sha256(secret.encode("utf-8")).hexdigest()
    if secret == "abc":  # the FIPS 180-2 test vector, independent of any implementation here
        assert (
            hash_secret(secret)
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )


def test_openssl_in_fips_mode_hashes_with_hashlib(monkeypatch) -> None:
    from frappyauth.core import minting

    monkeypatch.setattr(minting, "_openssl_in_fips_mode", lambda: True)
    assert minting._own_sha256() is hashlib.sha256
    monkeypatch.setattr(minting, "_openssl_in_fips_mode", lambda: False)
    assert minting._own_sha256()(b"abc").hexdigest() == hashlib.sha256(b"abc").hexdigest()


def old_user(username: str | None = "legacy", **fields: Any) -> dict[str, Any]:
    """A user as frappymongouser 1.5 writes it (and an old worker still does): MD5 password, no
    usernameKey."""
    document = {
        "password": hashlib.md5(OLD_PASSWORD.encode()).hexdigest(),
        "permissions": ["view"],
        "profile": {},
        "dataModelVersion": 1,
        **fields,
    }
    return document if username is None else {"username": username, **document}


def old_session(user_id: str, token: str, expires: datetime) -> dict[str, Any]:
    """A session document as frappyflaskauth 1.6 writes it: plaintext token, naive local
    datetimes."""
    return {
        "userId": user_id,
        "token": token,
        "expires": expires,
        "created": datetime(2099, 12, 31),
        "lastUpdate": datetime(2099, 12, 31),
    }


def http_app(db: Any) -> Any:
    return build_app(MongoUserStore(db), MongoSessionStore(db), Clock(NOW), SecretLedger())


# --- string permissions
# --------------------------------------------------------------------------------------


def test_a_permissions_string_becomes_the_list_it_meant(db: Any) -> None:
    db["users"].insert_many(
        [
            old_user("a", permissions="view"),
            old_user("b", permissions=["view", "edit"]),
            old_user("c", permissions="$where"),
        ]
    )
    store = MongoUserStore(db)
    store.start()
    stored = {d["username"]: d["permissions"] for d in db["users"].find()}
    assert stored == {"a": ["view"], "b": ["view", "edit"], "c": ["$where"]}  # `$` stays literal
    assert store.get_by_username("a").permissions == ("view",)


def test_values_starting_with_a_dollar_are_migrated_as_they_are(db: Any) -> None:
    """The batched migration builds aggregation expressions, where `$x` would name a field."""
    inserted = (
        db["users"].insert_one(old_user("$Ops", apiKey="$key", permissions="$view")).inserted_id
    )
    MongoUserStore(db).start()
    document = db["users"].find_one({"_id": inserted})
    assert (document["usernameKey"], document["apiKeyHash"], document["permissions"]) == (
        "$ops",
        hash_secret("$key"),
        ["$view"],
    )


def test_a_permissions_string_an_old_worker_writes_later_is_that_one_permission(db: Any) -> None:
    store = MongoUserStore(db)
    store.start()
    inserted = db["users"].insert_one(old_user(permissions="admin")).inserted_id
    user = store.get(str(inserted))
    assert user.permissions == ("admin",)
    assert not user.has_permissions("adm")  # an exact match, never the old substring test


# --- users without a username
# ----------------------------------------------------------------------------------


def test_users_without_a_username_are_listed_counted_and_cannot_log_in(db: Any, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frappyauth")
    db["users"].insert_many(
        [
            old_user(None, email="mail-only@example.org"),
            old_user(None, uid="u-only"),
            old_user("boss", permissions=["admin"]),
        ]
    )
    app = http_app(db)
    assert any("2 users have no username" in r.getMessage() for r in caplog.records)
    client = app.test_client()
    listed = client.get(
        "/api/user/users", headers=auth(login(client, "boss", OLD_PASSWORD))
    ).get_json()
    assert listed["total"] == 3
    assert [(u["username"], u.get("email")) for u in listed["users"]] == [
        ("", "mail-only@example.org"),
        ("", None),
        ("boss", None),
    ]
    for name in ("", "mail-only@example.org", "u-only"):
        assert client.post(
            "/api/user/login", json={"username": name, "password": OLD_PASSWORD}
        ).status_code in (400, 401)
    assert db["users"].count_documents({"usernameKey": {"$exists": True}}) == 1  # only boss's


def test_a_later_start_still_says_how_many_users_have_no_name_at_one_read(db: Any, caplog) -> None:
    db["users"].insert_one(old_user(None, email="x@example.org"))
    MongoUserStore(db).start()
    caplog.set_level(logging.INFO, logger="frappyauth")
    MongoUserStore(db).start()
    assert [r.getMessage() for r in caplog.records] == [
        "frappyauth: 1 users have no username and cannot log in until they are given one (at the "
        "last migration)"
    ]


# --- uid, email, dataModelVersion
# ------------------------------------------------------------------------------


def test_uid_email_and_data_model_version_stay_and_email_is_shown(db: Any) -> None:
    inserted = (
        db["users"]
        .insert_one(old_user("Legacy", uid="u-17", email="legacy@example.org"))
        .inserted_id
    )
    db["users"].insert_one(old_user("boss", permissions=["admin"]))
    app = http_app(db)
    client = app.test_client()
    token = login(client, "legacy", OLD_PASSWORD)  # MD5 replaced by bcrypt on this login
    assert client.get("/api/user", headers=auth(token)).get_json()["email"] == "legacy@example.org"
    admin = auth(login(client, "boss", OLD_PASSWORD))
    assert (
        client.post(
            f"/api/user/users/{inserted}/permissions", json={"permissions": ["x"]}, headers=admin
        ).status_code
        == 200
    )
    assert (
        client.post(f"/api/user/users/{inserted}/profile", json={"p": 1}, headers=admin).status_code
        == 200
    )
    document = db["users"].find_one({"_id": inserted})
    assert (document["uid"], document["email"], document["dataModelVersion"]) == (
        "u-17",
        "legacy@example.org",
        1,
    )
    assert document["password"].startswith("$2b$") and document["usernameKey"] == "legacy"


# --- naive datetimes
# ----------------------------------------------------------------------------------------


@pytest.fixture
def server_in_tokyo(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no daylight saving
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_legacy_naive_expiry_is_read_as_the_servers_local_time(
    db: Any, server_in_tokyo: Any
) -> None:
    local_now = NOW.astimezone().replace(tzinfo=None)
    db["userTokens"].insert_many(
        [
            old_session("u1", "gone", local_now - timedelta(hours=1)),
            old_session("u1", "live", local_now + timedelta(hours=1)),
        ]
    )
    report = MongoSessionStore(db, migrate_on_start=False).migrate(dry_run=True, now=NOW)
    # Read as UTC, both would look valid for eight more hours.
    assert "(1 unexpired by the server's local time)" in report.summary()


# --- legacy sessions
# ------------------------------------------------------------------------------------------


def test_legacy_sessions_are_removed_never_converted(db: Any, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frappyauth")
    db["userTokens"].insert_one(
        old_session("u1", "logged-out-on-the-old-server", datetime(2100, 1, 2))
    )
    store = MongoSessionStore(db)
    store.start()
    assert db["userTokens"].count_documents({}) == 0
    assert store.get(hash_secret("logged-out-on-the-old-server"), NOW) is None
    assert "1 legacy frappyflaskauth session documents removed" in caplog.records[-1].getMessage()


def test_a_legacy_session_an_old_worker_writes_later_is_never_accepted_nor_listed(db: Any) -> None:
    app = http_app(db)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    admin_id = client.get("/api/user", headers=auth(token)).get_json()["id"]
    db["userTokens"].insert_one(old_session(admin_id, "old-worker-token", datetime(2100, 1, 2)))
    sessions = client.get("/api/user/sessions", headers=auth(token))
    assert sessions.status_code == 200 and len(sessions.get_json()["sessions"]) == 1
    assert client.get("/api/user", headers=auth("old-worker-token")).status_code == 401
    assert (
        client.get(f"/api/user/users/{admin_id}/sessions", headers=auth(token)).status_code == 200
    )


# --- rolling upgrades: users and keys an old worker writes after start-up
# ---------------------------------


def test_a_user_an_old_worker_creates_can_log_in_and_is_migrated_on_first_touch(db: Any) -> None:
    app = http_app(db)
    inserted = db["users"].insert_one(old_user("Carol")).inserted_id
    assert login(app.test_client(), "CAROL", OLD_PASSWORD)
    assert db["users"].find_one({"_id": inserted})["usernameKey"] == "carol"


def test_two_old_shape_users_sharing_a_key_are_ambiguous_and_neither_is_found(db: Any) -> None:
    store = MongoUserStore(db)
    store.start()
    db["users"].insert_many([old_user("Dan"), old_user("dan")])
    assert store.get_by_username("dan") is None
    assert db["users"].count_documents({"usernameKey": "dan"}) == 0


def test_legacy_lookups_can_be_turned_off_once_no_old_worker_is_left(db: Any) -> None:
    store = MongoUserStore(db, legacy_lookups=False)
    store.start()
    db["users"].insert_one(old_user("Erin", apiKey="plain-key"))
    assert (
        store.get_by_username("erin") is None
        and store.get_by_api_key_hash(hash_secret("plain-key")) is None
    )


def test_a_plaintext_key_an_old_worker_hands_out_works_and_is_hashed_when_first_used(
    db: Any,
) -> None:
    store = MongoUserStore(db)
    store.start()
    inserted = db["users"].insert_one(old_user("frank", apiKey="plain-key")).inserted_id
    assert store.get_by_api_key_hash(hash_secret("plain-key")).id == str(inserted)
    document = db["users"].find_one({"_id": inserted})
    assert "apiKey" not in document and document["apiKeyHash"] == hash_secret("plain-key")
    assert store.get_by_api_key_hash(hash_secret("other")) is None


def test_a_key_an_old_worker_rotates_replaces_the_hashed_one(db: Any) -> None:
    db["users"].insert_one(old_user("gina", apiKey="first-key"))
    store = MongoUserStore(db)
    store.start()  # hashes the first key
    db["users"].update_one(
        {"username": "gina"}, {"$set": {"apiKey": "second-key"}}
    )  # the old worker rotates
    assert store.get_by_api_key_hash(hash_secret("first-key")) is None
    assert store.get_by_api_key_hash(hash_secret("second-key")).username == "gina"
    assert store.get_by_api_key_hash(hash_secret("first-key")) is None
