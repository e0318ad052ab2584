"""Suspension over HTTP (option `suspension`), on every store: an admin stops an account without
deleting anything, and reinstates it."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import NOW
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from soft_authenticator import SoftAuthenticator

SEED_USER_KEYS = {"_id", "id", "username", "permissions", "profile", "hasApiKey"}


def key_auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Token {api_key}"}


@pytest.fixture
def suspending(make_app) -> Any:
    """An app with suspension, its admin's token, and bob (`view`) with a session and a key."""
    app = make_app(api_keys=True, suspension=True)
    client = app.test_client()
    admin = login(client, "Admin", ADMIN_PASSWORD)
    created = client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin),
    )
    bob = login(client, "bob", USER_PASSWORD)
    key = body(client.post("/api/user/keys", json={"name": "ci"}, headers=auth(bob)))["apiKey"]
    return client, admin, body(created)["id"], bob, key


def suspend(client, admin: str, user_id: str, **fields: Any):
    return client.post(f"/api/user/users/{user_id}/suspend", json=fields, headers=auth(admin))


def test_without_the_option_the_endpoints_are_off_and_the_user_json_is_the_seeds(make_app) -> None:
    client = make_app().test_client()
    admin = login(client, "Admin", ADMIN_PASSWORD)
    me = body(client.get("/api/user", headers=auth(admin)))
    assert set(me) == SEED_USER_KEYS
    answer = suspend(client, admin, me["id"])
    assert answer.status_code == 404 and body(answer)["error"] == "feature_disabled"


def test_a_suspension_ends_sessions_and_refuses_keys_and_passwords_until_reinstated(
    suspending, api_key_store
) -> None:
    client, admin, bob_id, bob, key = suspending
    assert client.get("/api/things", headers=key_auth(key)).status_code == 200
    user = body(suspend(client, admin, bob_id, reason="a stolen laptop"))
    assert user["suspended"] is True and user["suspendedAt"] == "2100-01-01T12:00:00Z"
    assert client.get("/api/user", headers=auth(bob)).status_code == 401
    assert client.get("/api/things", headers=key_auth(key)).status_code == 401
    right = client.post("/api/user/login", json={"username": "bob", "password": USER_PASSWORD})
    assert right.status_code == 403 and body(right)["error"] == "account_suspended"
    wrong = client.post("/api/user/login", json={"username": "bob", "password": "not it at all"})
    nobody = client.post("/api/user/login", json={"username": "nobody", "password": "not it"})
    assert (wrong.status_code, body(wrong)) == (nobody.status_code, body(nobody))
    assert wrong.status_code == 401
    assert len(api_key_store.list_for_user(bob_id, NOW)) == 1  # kept, not deleted
    reinstated = client.post(f"/api/user/users/{bob_id}/unsuspend", headers=auth(admin))
    assert body(reinstated)["suspended"] is False and body(reinstated)["suspendedAt"] is None
    assert client.get("/api/things", headers=key_auth(key)).status_code == 200
    assert client.get("/api/user", headers=auth(bob)).status_code == 401  # sessions stay ended
    assert login(client, "bob", USER_PASSWORD)


def test_the_last_active_admin_cannot_be_suspended(suspending) -> None:
    client, admin, bob_id, bob, key = suspending
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    refused = suspend(client, admin, admin_id)
    assert refused.status_code == 409 and body(refused)["error"] == "last_admin"
    assert client.get("/api/user", headers=auth(admin)).status_code == 200
    assert body(client.get("/api/user", headers=auth(admin)))["suspended"] is False


def test_a_suspended_admin_does_not_count_as_the_other_admin(suspending) -> None:
    client, admin, bob_id, bob, key = suspending
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    client.post(
        f"/api/user/users/{bob_id}/permissions",
        json={"permissions": ["admin"]},
        headers=auth(admin),
    )
    assert suspend(client, admin, bob_id).status_code == 200
    demoted = client.post(
        f"/api/user/users/{admin_id}/permissions", json={"permissions": []}, headers=auth(admin)
    )
    assert demoted.status_code == 409 and body(demoted)["error"] == "last_admin"


@pytest.mark.parametrize(
    "send, status, code",
    [
        (lambda c, a, u: suspend(c, a, u, reason="x" * 501), 400, None),
        (lambda c, a, u: suspend(c, a, u, reason="two\nlines"), 400, None),
        (lambda c, a, u: suspend(c, a, u, reason=5), 400, None),
        (lambda c, a, u: suspend(c, a, "0123456789abcdef01234567"), 404, "user_not_found"),
        (
            lambda c, a, u: c.post(
                "/api/user/users/0123456789abcdef01234567/unsuspend", headers=auth(a)
            ),
            404,
            "user_not_found",
        ),
    ],
)
def test_each_refusal_answers_its_error_and_suspends_nobody(suspending, send, status, code) -> None:
    client, admin, bob_id, bob, key = suspending
    answer = send(client, admin, bob_id)
    assert answer.status_code == status, body(answer)
    if code is not None:
        assert body(answer)["error"] == code
    assert client.get("/api/user", headers=auth(bob)).status_code == 200


def test_only_an_admin_suspends(suspending) -> None:
    client, admin, bob_id, bob, key = suspending
    assert suspend(client, bob, bob_id).status_code == 403
    assert client.post(f"/api/user/users/{bob_id}/unsuspend", headers=auth(bob)).status_code == 403
    assert client.get("/api/user", headers=auth(bob)).status_code == 200


def test_a_suspended_users_passkey_sign_in_is_refused(make_app) -> None:
    app = make_app(passkeys=True, passwordless=True, suspension=True)
    client = app.test_client()
    admin = login(client, "Admin", ADMIN_PASSWORD)
    made = client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["admin"]},
        headers=auth(admin),
    )
    assert made.status_code == 200  # bob: the other admin, who suspends the first
    authenticator = SoftAuthenticator()
    options = body(client.post("/api/user/passkeys/register/options", json={}, headers=auth(admin)))
    registered = client.post(
        "/api/user/passkeys/register",
        headers=auth(admin),
        json={"name": "laptop", "credential": authenticator.create(options)},
    )
    assert registered.status_code == 200

    def passkey_login() -> Any:
        fresh = app.test_client()
        options = body(fresh.post("/api/user/passkeys/login/options", json={}))
        credential = authenticator.get(options)
        return fresh.post("/api/user/passkeys/login", json={"credential": credential})

    assert passkey_login().status_code == 200
    bob = login(client, "bob", USER_PASSWORD)
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    assert suspend(client, bob, admin_id).status_code == 200
    refused = passkey_login()
    assert refused.status_code == 403 and body(refused)["error"] == "account_suspended"
    client.post(f"/api/user/users/{admin_id}/unsuspend", headers=auth(bob))
    assert passkey_login().status_code == 200
