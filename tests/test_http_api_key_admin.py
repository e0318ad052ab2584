"""API keys from the administrator's side: listing and revoking a user's keys, recovery, deletion,
the CLI, the events, and what a key-authenticated request costs."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest
from flask import Flask

from backends import MONGO_BACKEND_PARAMS
from conftest import NOW
from frappyauth import register_endpoints
from frappyauth.core import signals
from frappyauth.core.minting import hash_secret
from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore
from http_support import ADMIN_PASSWORD, USER_PASSWORD, StoreSpy, auth, body, build_app, login
from test_mongo_store import frappymongouser_document

MISSING_ID = "0123456789abcdef01234567"
LEGACY_KEY = "0123456789abcdef0123456789abcdef"


def key_auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Token {api_key}"}


@pytest.fixture
def scene(app, client, admin_token, user_token, user_store) -> dict[str, Any]:
    """bob (`view`) with two keys and a legacy key on his record."""
    bob = body(client.get("/api/user", headers=auth(user_token)))["id"]
    keys = [
        body(client.post("/api/user/keys", json={"name": name}, headers=auth(user_token)))
        for name in "ab"
    ]
    user_store.set_api_key_hash(bob, hash_secret(LEGACY_KEY))
    return {
        "client": client,
        "admin": admin_token,
        "bob_token": user_token,
        "bob": bob,
        "keys": keys,
    }


def works(client, api_key: str) -> bool:
    return client.get("/api/things", headers=key_auth(api_key)).status_code == 200


def test_an_admin_lists_and_revokes_one_key_of_a_user(scene) -> None:
    client, admin, bob, (a, b) = scene["client"], scene["admin"], scene["bob"], scene["keys"]
    listed = body(client.get(f"/api/user/users/{bob}/keys", headers=auth(admin)))["keys"]
    legacy = [key["id"] for key in listed if key["name"] == "legacy"]  # adopted when listed
    assert sorted(key["id"] for key in listed) == sorted(
        [a["id"], b["id"], *legacy]
    ) and "apiKey" not in str(listed)
    assert len(legacy) == 1
    response = client.delete(f"/api/user/users/{bob}/keys/{a['id']}", headers=auth(admin))
    assert body(response) == {"userId": bob, "id": a["id"], "revoked": True}
    assert not works(client, a["apiKey"]) and works(client, b["apiKey"])
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    assert (
        client.delete(f"/api/user/users/{admin_id}/keys/{b['id']}", headers=auth(admin)).status_code
        == 404
    )
    assert works(client, b["apiKey"])  # a key is revoked only under its owner's id


def test_an_admin_revokes_every_key_of_a_user_the_legacy_one_included(scene, user_store) -> None:
    client, admin, bob = scene["client"], scene["admin"], scene["bob"]
    response = client.delete(f"/api/user/users/{bob}/keys", headers=auth(admin))
    assert response.status_code == 200 and body(response) == {"userId": bob, "revoked": 3}
    assert [
        works(client, k)
        for k in (scene["keys"][0]["apiKey"], scene["keys"][1]["apiKey"], LEGACY_KEY)
    ] == [False, False, False]
    assert (
        client.get("/api/user", headers=auth(scene["bob_token"])).status_code == 200
    )  # sessions stay
    assert body(client.delete(f"/api/user/users/{bob}/keys", headers=auth(admin))) == {
        "userId": bob,
        "revoked": 0,
    }


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/user/users/{id}/keys"),
        ("DELETE", "/api/user/users/{id}/keys"),
        ("DELETE", "/api/user/users/{id}/keys/x"),
    ],
)
def test_admin_key_routes_are_for_admin_sessions_and_known_users(scene, method, path) -> None:
    client, bob, key = scene["client"], scene["bob"], scene["keys"][0]["apiKey"]
    assert (
        client.open(
            path.format(id=MISSING_ID), method=method, headers=auth(scene["admin"])
        ).status_code
        == 404
    )
    assert (
        client.open(
            path.format(id=bob), method=method, headers=auth(scene["bob_token"])
        ).status_code
        == 403
    )
    assert client.open(path.format(id=bob), method=method, headers=key_auth(key)).status_code == 403
    assert works(client, key)


def test_an_admin_reset_is_recovery_it_ends_sessions_and_revokes_every_key(scene) -> None:
    client, bob = scene["client"], scene["bob"]
    response = client.post(
        f"/api/user/users/{bob}/password",
        json={"password": "a recovered password"},
        headers=auth(scene["admin"]),
    )
    assert response.status_code == 200 and body(response)["hasApiKey"] is False
    assert client.get("/api/user", headers=auth(scene["bob_token"])).status_code == 401
    assert [works(client, k["apiKey"]) for k in scene["keys"]] + [works(client, LEGACY_KEY)] == [
        False
    ] * 3
    assert (
        body(
            client.get("/api/user/keys", headers=auth(login(client, "bob", "a recovered password")))
        )["keys"]
        == []
    )


def test_an_own_password_change_keeps_the_keys(scene, app) -> None:
    client, other = scene["client"], login(app.test_client(), "bob", USER_PASSWORD)
    response = client.post(
        "/api/user/password",
        json={"oldPassword": USER_PASSWORD, "newPassword": "bobs new one!"},
        headers=auth(scene["bob_token"]),
    )
    assert response.status_code == 200
    assert client.get("/api/user", headers=auth(other)).status_code == 401
    assert [works(client, k["apiKey"]) for k in scene["keys"]] + [works(client, LEGACY_KEY)] == [
        True
    ] * 3


def test_deleting_a_user_removes_their_keys(scene, api_key_store) -> None:
    client, bob = scene["client"], scene["bob"]
    assert client.delete(f"/api/user/users/{bob}", headers=auth(scene["admin"])).status_code == 200
    assert api_key_store.list_for_user(bob, NOW) == []
    assert api_key_store.get_by_hash(hash_secret(scene["keys"][0]["apiKey"]), NOW) is None


def test_key_events_carry_the_key_id_never_the_key(app, scene) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    for signal in (signals.api_key_created, signals.api_key_revoked):
        signal.connect(
            lambda sender, _n=signal.name, **kw: events.append((_n, kw)), sender=app, weak=False
        )
    client, bob_token = scene["client"], scene["bob_token"]
    made = body(client.post("/api/user/keys", json={"name": "c"}, headers=auth(bob_token)))
    client.delete(f"/api/user/keys/{made['id']}", headers=auth(bob_token))
    client.delete(f"/api/user/users/{scene['bob']}/keys", headers=auth(scene["admin"]))
    assert [(name, kw["key_id"], kw.get("count")) for name, kw in events] == [
        ("api-key-created", made["id"], None),
        ("api-key-revoked", made["id"], 1),
        ("api-key-revoked", None, 3),
    ]
    assert made["apiKey"] not in repr(events) and hash_secret(made["apiKey"]) not in repr(events)


# the CLI


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_cli_creates_lists_and_revokes_keys(app, scene) -> None:
    runner, client = app.test_cli_runner(), scene["client"]
    created = runner.invoke(
        args=[
            "frappyauth",
            "create-key",
            "BOB",
            "--name",
            "ci",
            "--scope",
            "view",
            "--expires-in",
            "86400",
        ]
    )
    assert created.exit_code == 0 and "expires 2100-01-02T12:00:00+00:00" in created.output
    api_key = created.output.strip().splitlines()[-1]
    assert works(client, api_key)
    listed = runner.invoke(args=["frappyauth", "list-keys", "bob"]).output
    key_id = api_key.split("_")[1]
    assert (
        f"{key_id}  ci  scopes view" in listed and "4 API keys" in listed and api_key not in listed
    )
    assert "  legacy  scopes all" in listed  # the record's legacy key, adopted when listed
    assert runner.invoke(args=["frappyauth", "revoke-key", "bob", key_id]).exit_code == 0
    assert not works(client, api_key)
    assert (
        "3 API keys of 'bob' revoked"
        in runner.invoke(args=["frappyauth", "revoke-keys", "bob"]).output
    )
    assert not works(client, scene["keys"][0]["apiKey"]) and not works(client, LEGACY_KEY)


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
@pytest.mark.parametrize(
    "args, message",
    [
        (("create-key", "nobody", "--name", "x"), "no user"),
        (("create-key", "bob", "--name", "x", "--scope", "admin"), "'admin'"),
        (("create-key", "bob", "--name", "a"), "already have"),
        (("revoke-key", "bob", "nope"), "No such API key"),
        (("revoke-keys", "nobody"), "no user"),
        (("list-keys", "nobody"), "no user"),
    ],
)
def test_cli_key_errors_are_clear(app, scene, args, message) -> None:
    result = app.test_cli_runner().invoke(args=["frappyauth", *args])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


# what a key costs


@pytest.fixture
def spied(user_store, token_store, api_key_store, attempt_store, clock, ledger):
    users, tokens, keys = StoreSpy(user_store), StoreSpy(token_store), StoreSpy(api_key_store)
    app = build_app(
        users,
        tokens,
        clock,
        ledger,
        api_key_store=keys,
        attempt_store=attempt_store,
        api_keys=True,  # type: ignore[arg-type]
    )
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin),
    )
    return client, login(client, "bob", USER_PASSWORD), users, tokens, keys


def calls(users: StoreSpy, tokens: StoreSpy, keys: StoreSpy) -> dict[str, list[str]]:
    return {"users": users.calls, "sessions": tokens.calls, "keys": keys.calls}


def test_a_key_request_makes_one_store_read_and_writes_only_last_used_per_interval(
    spied, clock
) -> None:
    """One read of the key with its owner (through the user store here: the spy hides the database;
    the one-command read on MongoDB is `test_mongo_round_trips.py`)."""
    client, bob, users, tokens, keys = spied
    api_key = body(client.post("/api/user/keys", json={"name": "ci"}, headers=auth(bob)))["apiKey"]
    for spy in (users, tokens, keys):
        spy.calls.clear()
    assert works(client, api_key)  # first use: "last used" is written
    assert calls(users, tokens, keys) == {
        "users": ["get"],
        "sessions": [],
        "keys": ["get_by_hash_with_user", "touch"],
    }
    for spy in (users, tokens, keys):
        spy.calls.clear()
    clock.advance(seconds=299)
    assert works(client, api_key)
    assert calls(users, tokens, keys) == {
        "users": ["get"],
        "sessions": [],
        "keys": ["get_by_hash_with_user"],
    }


def test_a_legacy_key_request_makes_one_point_read_and_no_write(spied, user_store) -> None:
    """Once adopted into the key store (at its first use, which writes it there and clears the
    record), a legacy key costs what any key costs."""
    client, bob, users, tokens, keys = spied
    user_store.set_api_key_hash(
        body(client.get("/api/user", headers=auth(bob)))["id"], hash_secret(LEGACY_KEY)
    )
    for spy in (users, tokens, keys):
        spy.calls.clear()
    assert works(client, LEGACY_KEY)
    assert calls(users, tokens, keys) == {
        "users": ["get_by_api_key_hash", "set_api_key_hash"],
        "sessions": [],
        "keys": ["get_by_hash_with_user", "create", "touch"],
    }
    for spy in (users, tokens, keys):
        spy.calls.clear()
    assert works(client, LEGACY_KEY)
    assert calls(users, tokens, keys) == {
        "users": ["get"],
        "sessions": [],
        "keys": ["get_by_hash_with_user"],
    }


# frappyflaskauth 1.6's plaintext keys


def test_a_frappyflaskauth_plaintext_key_works_on_mongo(clock, ledger) -> None:
    db = mongomock.MongoClient()["legacy"]
    db["users"].insert_one(frappymongouser_document(permissions=["view"]))
    app = Flask("legacy")
    register_endpoints(
        app,
        MongoUserStore(db),
        MongoSessionStore(db),
        options_override={"api_keys": True, "bcrypt_cost": 4},
        clock=clock,
    )

    @app.route("/api/things")
    def things() -> Any:
        from frappyauth import check_login_state

        return {"for": check_login_state("view", allow_api_key=True).username}

    assert app.test_client().get("/api/things", headers=key_auth(LEGACY_KEY)).get_json() == {
        "for": "legacy"
    }
    # The key store was derived from the user store's database (its first command creates it).
    app.extensions["frappyauth"].services.stores.api_keys.start()
    assert "userApiKeys" in db.list_collection_names()


def test_an_unreachable_key_store_answers_503_and_changes_nothing(spied, api_key_store) -> None:
    client, bob, users, tokens, keys = spied
    api_key = body(client.post("/api/user/keys", json={"name": "ci"}, headers=auth(bob)))["apiKey"]
    keys.failing = {"*"}
    for method, path, headers in [
        ("GET", "/api/things", key_auth(api_key)),
        ("GET", "/api/user/keys", auth(bob)),
        ("POST", "/api/user/keys", auth(bob)),
        ("POST", "/api/user/key", auth(bob)),
    ]:
        response = client.open(path, method=method, json={"name": "more"}, headers=headers)
        assert response.status_code == 503 and response.headers["Retry-After"] == "7", (
            method,
            path,
        )
    assert [
        key.name for key in api_key_store.list_for_user(users.get_by_username("bob").id, NOW)
    ] == ["ci"]


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_cli_set_password_is_recovery_too(app, scene) -> None:
    result = app.test_cli_runner().invoke(
        args=["frappyauth", "set-password", "bob"],
        input="a recovered password\na recovered password\n",
    )
    assert result.exit_code == 0
    assert [works(scene["client"], k["apiKey"]) for k in scene["keys"]] + [
        works(scene["client"], LEGACY_KEY)
    ] == [False] * 3
