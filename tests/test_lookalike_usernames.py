"""Invisible and lookalike usernames are refused when a name is created; existing names stay
valid."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from backends import MONGO_BACKEND_PARAMS
from frappyauth.core.errors import DuplicateUsernameError
from frappyauth.core.lookalikes import has_default_ignorable, lookalike_keys
from frappyauth.core.models import User
from frappyauth.stores.mongo import MongoUserStore, migration
from http_support import USER_PASSWORD, SecretLedger, auth, body, build_app, login

# Printable, yet invisible: variation selectors, a Hangul filler, a combining grapheme joiner, a
# Mongolian free variation selector.
INVISIBLE = ["admin\ufe0f", "ad\u3164min", "adm\u034fin", "admin\u180b", "bob\U000e01ef"]
# Cyrillic а, Latin dotless ı, Ukrainian і, Greek Α (whose lower case looks like a), Cyrillic А:
# each looks like "admin" in some case.
LOOKALIKES = ["\u0430dmin", "adm\u0131n", "adm\u0456n", "\u0391DMIN", "\u0410dmin"]


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_name_with_an_invisible_code_point_is_400(client, admin_token, user_store, name) -> None:
    response = client.post(
        "/api/user/users",
        json={"username": name, "password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    assert response.status_code == 400 and "invisible" in body(response)["message"]
    assert user_store.count() == 1


@pytest.mark.parametrize("name", LOOKALIKES)
def test_a_name_that_looks_like_a_taken_one_is_409(client, admin_token, user_store, name) -> None:
    response = client.post(
        "/api/user/users",
        json={"username": name, "password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    assert response.status_code == 409 and body(response)["error"] == "username_taken"
    assert user_store.count() == 1


def test_the_checks_follow_unicode_ts_39() -> None:
    assert not any(has_default_ignorable(name) for name in ["admin", "Zoë", "山田", "a-b_c.d"])
    assert {lookalike_keys(name)[1] for name in ["admin", *LOOKALIKES]} == {
        lookalike_keys("admin")[1]
    }
    assert lookalike_keys("aIice")[0] == lookalike_keys("alice")[0] == lookalike_keys("AIice")[0]


# Existing names stay valid (MongoDB: users written before the rule)


def legacy_user(username: str) -> dict[str, Any]:
    return {
        "username": username,
        "password": hashlib.md5(b"old secret").hexdigest(),
        "permissions": ["view"],
    }


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_legacy_lookalikes_keep_working_and_block_new_ones(backend, database, clock) -> None:
    older = database["users"].insert_one(legacy_user("admin")).inserted_id
    younger = database["users"].insert_one(legacy_user("\u0430dmin\ufe0f")).inserted_id
    users = backend.user_store(database)
    app = build_app(users, backend.token_store(database), clock, SecretLedger())
    client = app.test_client()
    for name in ("admin", "\u0430dmin\ufe0f"):
        assert login(client, name, "old secret")
    assert (
        database["users"].find_one({"_id": older})["usernameKeySkeleton"]
        == lookalike_keys("admin")[1]
    )
    assert "usernameKeySkeleton" not in database["users"].find_one(
        {"_id": younger}
    )  # the older one holds it
    for name in ("adm\u0131n", "\u0430dmin"):
        with pytest.raises(DuplicateUsernameError):
            users.create(User(id="", username=name, password_hash="h"))
    MongoUserStore(database)  # a second start leaves them as they are
    assert users.count() == 2


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_the_lookalike_keys_have_unique_indexes(backend, database) -> None:
    backend.user_store(database).start()  # building a store sends nothing; starting it indexes
    indexes = database["users"].index_information()
    assert indexes["usernameSkeleton_1"]["unique"] and indexes["usernameKeySkeleton_1"]["unique"]


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_a_key_taken_during_the_migration_is_skipped_not_duplicated(
    backend, database, monkeypatch, caplog
) -> None:
    database["users"].insert_many([legacy_user("admin"), legacy_user("bob")])
    real = migration.set_by_value

    def with_a_concurrent_create(users, query, source, target, mapping, progress, **kwargs):
        if target == "usernameKeySkeleton":  # a new user, created meanwhile, holds bob's folded key
            users.insert_one(
                {"username": "b\u043eb", "usernameKeySkeleton": lookalike_keys("bob")[1]}
            )
        return real(users, query, source, target, mapping, progress, **kwargs)

    monkeypatch.setattr(migration, "set_by_value", with_a_concurrent_create)
    backend.user_store(database).start()
    holders = database["users"].count_documents({"usernameKeySkeleton": lookalike_keys("bob")[1]})
    assert (
        holders == 1
        and database["users"].find_one({"username": "admin"})["usernameKeySkeleton"] == "adrnin"
    )
    assert "lookalike-username" in caplog.text


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_a_database_migrated_before_lookalike_keys_gets_them_at_start(backend, database) -> None:
    database["users"].insert_one({**legacy_user("admin"), "usernameKey": "admin"})
    database["frappyauthSchema"].insert_one(
        {"_id": "users", "schemaVersion": 2}
    )  # frappyauth before this rule
    users = backend.user_store(database)
    users.start()  # what the first command would do
    assert (
        database["users"].find_one({"username": "admin"})["usernameKeySkeleton"]
        == lookalike_keys("admin")[1]
    )
    with pytest.raises(DuplicateUsernameError):
        users.create(User(id="", username="\u0430dmin", password_hash="h"))


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_a_database_keyed_before_schema_7_gets_the_case_folded_first_key(backend, database) -> None:
    """Schema 7 folds case after the shown skeleton: a first key stored in the old form is dropped
    and set anew at start, so that `AIice` is refused beside an `Alice` stored before."""
    database["users"].insert_one(
        {**legacy_user("Alice"), "usernameKey": "alice", "usernameSkeleton": "Alice"}
    )  # "Alice": schema 6's first key, the shown skeleton with its case kept
    database["frappyauthSchema"].insert_one({"_id": "users", "schemaVersion": 6})
    users = backend.user_store(database)
    users.start()  # what the first command would do
    stored = database["users"].find_one({"username": "Alice"})
    assert stored["usernameSkeleton"] == lookalike_keys("Alice")[0] == "alice"
    with pytest.raises(DuplicateUsernameError):
        users.create(User(id="", username="AIice", password_hash="h"))
