"""An app written for frappyflaskauth + frappymongouser runs on frappyauth with only its imports
changed."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mongomock
import pytest
from flask import Flask

import ported_app
from frappyauth import register_endpoints
from frappyauth.compat import User, UserStore, UserTokenStore
from frappyauth.core.minting import hash_secret
from http_support import SecretLedger, auth, login, recording_client

PASSWORDS = {"alice": "alice password 1", "bob": "bob password 12", "carol": "carol password 1"}


@pytest.fixture
def portal() -> Iterator[tuple[Flask, SecretLedger, Any]]:
    """The ported app on a mongomock server standing at the URL the app connects to."""
    with mongomock.patch(servers=(("localhost", 27017),)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            app = ported_app.create_app({"bcrypt_cost": 4})
            ledger = SecretLedger()
            app.test_client_class = recording_client(ledger)
            yield app, ledger, caught
        store = UserStore(
            mongo_url=ported_app.MONGO_URL, mongo_db="portal"
        )  # the app's data, still there
        assert store.count() > 0 and ledger.leaks(store) == []


def test_the_ported_app_runs_its_flows(portal: Any) -> None:
    app, ledger, caught = portal
    client = app.test_client()
    admin = auth(login(client, "ADMIN", ported_app.ADMIN_PASSWORD))
    for name, password in PASSWORDS.items():
        response = client.post(
            "/api/staff",
            json={"username": name, "password": password, "permissions": ["view"]},
            headers=admin,
        )
        assert response.status_code == 200 and response.get_json()["username"] == name
    assert (
        client.post(
            "/api/staff", json={"username": "ALICE", "password": "x" * 12}, headers=admin
        ).status_code
        == 400
    )

    pages = [client.get(f"/api/staff?page={page}", headers=admin).get_json() for page in range(3)]
    assert [len(page["users"]) for page in pages] == [2, 2, 0] and pages[0]["total"] == 4
    first = pages[0]["users"][0]
    assert set(first) == {"_id", "dataModelVersion", "username", "permissions", "profile"}

    promoted = client.post(
        "/api/staff/Alice/permissions", json={"permissions": ["view", "admin"]}, headers=admin
    )
    assert promoted.get_json()["permissions"] == ["view", "admin"]
    alice = promoted.get_json()["_id"]
    assert (
        client.get(
            "/api/staff", headers=auth(login(client, "alice", PASSWORDS["alice"]))
        ).status_code
        == 200
    )

    bob_token = login(client, "bob", PASSWORDS["bob"])
    bob = client.get("/api/me", headers=auth(bob_token)).get_json()["user"]["_id"]
    assert (
        client.post(
            f"/api/staff/{bob}/password", json={"password": "bob new password"}, headers=admin
        ).status_code
        == 200
    )
    assert (
        client.get("/api/me", headers=auth(bob_token)).status_code == 401
    )  # the reset ended his session
    assert (
        client.post(
            "/api/user/login", json={"username": "bob", "password": PASSWORDS["bob"]}
        ).status_code
        == 401
    )
    bob_token = login(client, "bob", "bob new password")
    assert client.post(
        "/api/confirm", json={"password": "bob new password"}, headers=auth(bob_token)
    ).get_json() == {"confirmed": True}
    assert client.post(
        "/api/confirm", json={"password": "not bobs password"}, headers=auth(bob_token)
    ).get_json() == {"confirmed": False}

    key = client.post("/api/my-key", headers=auth(bob_token)).get_json()["apiKey"]
    assert client.get("/api/reports", headers={"Authorization": f"Token {key}"}).get_json() == {
        "for": "bob"
    }
    assert client.get("/api/key-holders", headers=admin).get_json() == ["bob"]
    assert client.get("/api/me", headers=auth(bob_token)).get_json()["hasKey"] is True
    client.delete("/api/my-key", headers=auth(bob_token))
    assert client.get("/api/reports", headers={"Authorization": f"Token {key}"}).status_code == 401

    assert client.post(
        f"/api/staff/{alice}/profile", json={"team": "ops"}, headers=admin
    ).get_json()["profile"] == {"team": "ops"}
    assert not [w for w in caught if not issubclass(w.category, DeprecationWarning)]


def test_each_old_call_warns_naming_the_new_call_at_the_apps_line(portal: Any) -> None:
    app, ledger, caught = portal
    client = app.test_client()
    admin = auth(login(client, "admin", ported_app.ADMIN_PASSWORD))
    client.post(
        "/api/staff", json={"username": "dave", "password": "dave password 1"}, headers=admin
    )
    client.get("/api/staff", headers=admin)
    client.get("/api/me", headers=admin)
    messages = {str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)}
    assert {
        "UserStore.initial_local_user_check() is deprecated; use "
        "frappyauth.initial_user_check(app, "
        "username, "
        "password) or `flask frappyauth init-admin`.",
        "UserStore.create_local_user() is deprecated; use POST /users (Accounts.create).",
        "UserStore.get_all(page_size, page) is deprecated; use GET /users?page=N "
        "(UserStore.list_page(offset, "
        "limit)).",
        "User.user_id is deprecated; use User.uid.",
    } <= messages
    assert any("User.to_json() is deprecated; use the user JSON" in message for message in messages)
    assert {
        Path(w.filename).name for w in caught if issubclass(w.category, DeprecationWarning)
    } == {"ported_app.py"}


def test_to_json_is_the_old_shape_without_any_secret() -> None:
    db = mongomock.MongoClient()["x"]
    db["users"].insert_one(
        {
            "username": "old",
            "password": hashlib.md5(b"pw").hexdigest(),
            "permissions": ["a"],
            "profile": {"p": 1},
            "email": "o@example.org",
            "uid": "u-1",
            "apiKey": "plain-key",
            "dataModelVersion": 1,
        }
    )
    with pytest.warns(DeprecationWarning):
        user = UserStore(db=db).get_by_username("OLD")
        body = user.to_json()
        assert (user.user_id, user.api_key) == (
            "u-1",
            "(hidden: frappyauth stores only a hash of the key)",
        )
    assert body == {
        "_id": user.id,
        "dataModelVersion": 1,
        "username": "old",
        "permissions": ["a"],
        "email": "o@example.org",
        "uid": "u-1",
        "profile": {"p": 1},
    }
    for secret in (hashlib.md5(b"pw").hexdigest(), "plain-key", hash_secret("plain-key")):
        assert secret not in str(body)


def test_old_code_that_edits_a_profile_in_place_still_works() -> None:
    store = UserStore(db=mongomock.MongoClient()["x"], options_override={"bcrypt_cost": 4})
    with pytest.warns(DeprecationWarning):
        user = store.create_local_user("dora", "dora password 1")
        user.profile["team"] = "ops"  # frappymongouser's way; the core's users are read-only
        store.update_profile(user.id, user.profile)
    assert store.get(user.id).profile == {"team": "ops"}


def test_a_password_changed_outside_a_request_still_ends_the_users_sessions() -> None:
    db = mongomock.MongoClient()["x"]
    store = UserStore(db=db, options_override={"bcrypt_cost": 4})
    app = Flask("portal")
    register_endpoints(app, store, UserTokenStore(db=db), {"bcrypt_cost": 4})
    with pytest.warns(DeprecationWarning):
        erin = store.create_local_user("erin", "erin password 1")
        token = login(app.test_client(), "erin", "erin password 1")
        store.change_password(
            erin.id, "erin new password"
        )  # no app context: the store's own service
    assert app.test_client().get("/api/user", headers=auth(token)).status_code == 401
    assert login(app.test_client(), "erin", "erin new password")


def test_old_store_calls_outside_an_app_use_the_given_options() -> None:
    db = mongomock.MongoClient()["x"]
    store = UserStore(db=db, options_override={"bcrypt_cost": 4})
    with pytest.warns(DeprecationWarning):
        admin = store.initial_local_user_check("root", "root password 1")
        assert store.initial_local_user_check("other", "other password") is None
        assert isinstance(admin, User) and admin.permissions == ("admin",)
        assert admin.password_hash.startswith("$2b$04$")
        assert store.login_with_password("ROOT", "root password 1") == store.get(admin.id)
        assert (
            store.login_with_password("root", "wrong") is None
            and store.login_with_password("x", "y") is None
        )
        with pytest.raises(ValueError, match="Username already in use"):
            store.create_local_user("Root", "another password")
        with pytest.raises(ValueError):
            store.initial_local_user_check("", "x")
        with pytest.raises(ValueError, match="No user found"):
            store.create_api_key("0123456789abcdef01234567")
        assert store.change_password("0123456789abcdef01234567", "a new password") is None
        bob = store.create_local_user("bob", "bob password 12")
        assert bob.permissions == () and store.update_permissions(bob.id, "view").permissions == (
            "view",
        )
        users, total = store.get_all(page_size=0)
        assert total == 2 and [u.username for u in users] == ["root", "bob"]
        UserTokenStore(db=db).clean_up_expired()


def test_login_with_password_upgrades_an_md5_hash_at_the_first_right_login() -> None:
    """The migration guide promises bcrypt at the first login; apps that kept their own login route
    on the old call must get it too (issue 24 §6)."""
    db = mongomock.MongoClient()["x"]
    store = UserStore(db=db, options_override={"bcrypt_cost": 4})
    md5 = hashlib.md5(b"old secret").hexdigest()
    inserted = db["users"].insert_one(
        {"username": "legacy", "password": md5, "permissions": [], "profile": {}}
    )
    with pytest.warns(DeprecationWarning):
        assert store.login_with_password("legacy", "wrong") is None
        assert db["users"].find_one({"_id": inserted.inserted_id})["password"] == md5
        user = store.login_with_password("LEGACY", "old secret")
    assert user is not None and user.username == "legacy"
    upgraded = db["users"].find_one({"_id": inserted.inserted_id})["password"]
    assert upgraded.startswith("$2b$04$")
    with pytest.warns(DeprecationWarning):
        assert store.login_with_password("legacy", "old secret") is not None
    assert db["users"].find_one({"_id": inserted.inserted_id})["password"] == upgraded
