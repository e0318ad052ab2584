"""A migrated frappyflaskauth API key (its hash on the user record) becomes a key like the others
(issue 24 §6): listed as `legacy` to its owner and to admins, expiring per `api_key_max_lifetime`,
revocable by id. It is adopted into the API-key store the first time the user's keys are listed or
the key is used."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from frappyauth.core.minting import hash_secret
from http_support import ADMIN_PASSWORD, USER_PASSWORD, StoreSpy, auth, body, login

LEGACY_KEY = "0123456789abcdef0123456789abcdef"  # frappyflaskauth's plaintext `apiKey`
DAY = 24 * 60 * 60


def key_auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Token {api_key}"}


@pytest.fixture
def scene(make_app, user_store) -> dict[str, Any]:
    """bob (`view`) with a legacy key on his record, on an app whose keys live a day at most."""
    app: Flask = make_app(api_keys=True, api_key_max_lifetime=DAY)
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    created = client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin),
    )
    bob_id = body(created)["id"]
    user_store.set_api_key_hash(bob_id, hash_secret(LEGACY_KEY))
    bob = login(client, "bob", USER_PASSWORD)
    return {"client": client, "admin": admin, "bob": bob, "bob_id": bob_id}


def works(client, api_key: str = LEGACY_KEY) -> bool:
    return client.get("/api/things", headers=key_auth(api_key)).status_code == 200


def test_the_owner_and_an_admin_see_it_named_legacy(scene, user_store) -> None:
    client, bob, admin, bob_id = scene["client"], scene["bob"], scene["admin"], scene["bob_id"]
    own = body(client.get("/api/user/keys", headers=auth(bob)))["keys"]
    assert [(key["name"], key["expiresAt"]) for key in own] == [("legacy", "2100-01-02T12:00:00Z")]
    listed = body(client.get(f"/api/user/users/{bob_id}/keys", headers=auth(admin)))["keys"]
    assert listed == own
    assert user_store.get(bob_id).api_key_hash is None  # it lives in the key store now
    assert works(client)
    assert body(client.get("/api/user", headers=auth(bob)))["hasApiKey"] is True


def test_it_obeys_the_lifetime_cap(scene, clock) -> None:
    client = scene["client"]
    assert works(client)  # the first use adopts it, expiring a day later
    clock.advance(seconds=DAY - 1)
    assert works(client)
    clock.advance(seconds=400 * DAY)
    assert not works(client)


def test_it_is_revoked_by_its_id(scene) -> None:
    client, bob = scene["client"], scene["bob"]
    assert works(client)
    (legacy,) = body(client.get("/api/user/keys", headers=auth(bob)))["keys"]
    assert client.delete(f"/api/user/keys/{legacy['id']}", headers=auth(bob)).status_code == 200
    assert not works(client)
    assert body(client.get("/api/user/keys", headers=auth(bob)))["keys"] == []
    assert body(client.get("/api/user", headers=auth(bob)))["hasApiKey"] is False


def test_an_admin_revokes_it_by_its_id(scene) -> None:
    client, admin, bob_id = scene["client"], scene["admin"], scene["bob_id"]
    (legacy,) = body(client.get(f"/api/user/users/{bob_id}/keys", headers=auth(admin)))["keys"]
    revoked = client.delete(f"/api/user/users/{bob_id}/keys/{legacy['id']}", headers=auth(admin))
    assert revoked.status_code == 200 and not works(client)


def test_the_seeds_key_endpoints_still_manage_it(scene) -> None:
    client, bob = scene["client"], scene["bob"]
    assert works(client)  # adopted
    fresh = body(client.post("/api/user/key", headers=auth(bob)))["apiKey"]
    assert not works(client) and works(client, fresh)
    assert [
        key["name"] for key in body(client.get("/api/user/keys", headers=auth(bob)))["keys"]
    ] == ["default"]


def test_delete_key_revokes_an_adopted_legacy_key(scene) -> None:
    client, bob = scene["client"], scene["bob"]
    assert works(client)
    assert body(client.delete("/api/user/key", headers=auth(bob))) == {"apiKey": None}
    assert not works(client)


def test_once_adopted_a_request_with_it_is_one_key_store_read(scene, make_app) -> None:
    client = scene["client"]
    assert works(client)
    app = client.application
    services = app.extensions["frappyauth"].services
    spied = StoreSpy(services.stores.api_keys)
    users = StoreSpy(services.stores.users)
    object.__setattr__(services.stores, "api_keys", spied)
    object.__setattr__(services.stores, "users", users)
    try:
        assert works(client)
    finally:
        object.__setattr__(services.stores, "api_keys", spied._store)
        object.__setattr__(services.stores, "users", users._store)
    assert spied.calls == ["get_by_hash_with_user"] and "get_by_api_key_hash" not in users.calls
