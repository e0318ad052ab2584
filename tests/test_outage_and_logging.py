"""Store outages answer 503 and leave nothing half-written; security events are logged without
secrets."""

from __future__ import annotations

import hashlib
import pytest

from backends import MONGO_BACKEND_PARAMS
from http_support import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    SecretLedger,
    StoreSpy,
    auth,
    body,
    build_app,
    login,
)


@pytest.fixture
def outage(user_store, token_store, attempt_store, api_key_store, clock, ledger):
    users, tokens = StoreSpy(user_store), StoreSpy(token_store)
    app = build_app(
        users,
        tokens,
        clock,
        ledger,
        attempt_store=attempt_store,
        api_key_store=api_key_store,
        api_keys=True,
    )
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    bob = body(
        client.post(
            "/api/user/users",
            json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
            headers=auth(admin),
        )
    )["id"]
    return client, users, tokens, admin, bob


ENDPOINTS = [
    ("POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}),
    ("DELETE", "/api/user/login", None),
    ("DELETE", "/api/user/logout", None),
    ("GET", "/api/user", None),
    ("GET", "/api/user/users", None),
    ("POST", "/api/user/users", {"username": "c", "password": USER_PASSWORD}),
    ("POST", "/api/user/users/{bob}/permissions", {"permissions": []}),
    ("POST", "/api/user/users/{bob}/profile", {}),
    ("POST", "/api/user/users/{bob}/password", {"password": USER_PASSWORD}),
    ("DELETE", "/api/user/users/{bob}", None),
    ("POST", "/api/user/password", {"oldPassword": ADMIN_PASSWORD, "newPassword": USER_PASSWORD}),
    ("POST", "/api/user/key", None),
    ("DELETE", "/api/user/key", None),
    ("GET", "/api/things", None),
    ("GET", "/api/user/keys", None),
    ("POST", "/api/user/keys", {"name": "ci"}),
    ("DELETE", "/api/user/keys/x", None),
    ("GET", "/api/user/users/{bob}/keys", None),
    ("DELETE", "/api/user/users/{bob}/keys", None),
    ("DELETE", "/api/user/users/{bob}/keys/x", None),
]


@pytest.mark.parametrize("method, path, payload", ENDPOINTS)
def test_every_endpoint_answers_503_with_retry_after_when_the_store_is_down(
    outage, method, path, payload
) -> None:
    client, users, tokens, admin, bob = outage
    users.failing = tokens.failing = {"*"}
    response = client.open(path.format(bob=bob), method=method, json=payload, headers=auth(admin))
    assert response.status_code == 503 and response.headers["Retry-After"] == "7"
    assert body(response)["error"] == "store_unavailable"


def test_a_login_whose_session_cannot_be_stored_leaves_no_trace(outage, attempt_store) -> None:
    client, users, tokens, admin, bob = outage
    tokens.failing = {"create"}
    assert (
        client.post(
            "/api/user/login", json={"username": "bob", "password": USER_PASSWORD}
        ).status_code
        == 503
    )
    now = client.application.extensions["frappyauth"].services.context.clock()
    assert attempt_store.get("pair:bob|127.0.0.1", now) is None
    assert attempt_store.get("user:bob", now).count == 0
    assert attempt_store.get("addr:127.0.0.1", now).count == 0


def test_a_user_that_cannot_be_stored_is_not_half_created(outage, user_store) -> None:
    client, users, tokens, admin, bob = outage
    users.failing = {"create"}
    response = client.post(
        "/api/user/users", json={"username": "c", "password": USER_PASSWORD}, headers=auth(admin)
    )
    assert response.status_code == 503 and user_store.count() == 2


def test_a_failed_password_reset_changes_nothing_and_a_retry_ends_every_session(outage) -> None:
    """The hash and the credential version are one write: it happens whole, or not at all."""
    client, users, tokens, admin, bob = outage
    bob_token = login(client, "bob", USER_PASSWORD)
    users.failing = {"set_password_hash"}
    response = client.post(
        f"/api/user/users/{bob}/password",
        json={"password": "another password"},
        headers=auth(admin),
    )
    users.failing = set()
    assert response.status_code == 503
    assert client.get("/api/user", headers=auth(bob_token)).status_code == 200
    assert login(client, "bob", USER_PASSWORD)
    tokens.failing = {
        "delete_for_user"
    }  # the tidying after the write fails: the sessions are void anyway
    response = client.post(
        f"/api/user/users/{bob}/password",
        json={"password": "another password"},
        headers=auth(admin),
    )
    assert response.status_code == 503
    assert client.get("/api/user", headers=auth(bob_token)).status_code == 401
    assert login(client, "bob", "another password")


def test_a_deletion_whose_sessions_cannot_be_removed_still_locks_the_user_out(outage) -> None:
    client, users, tokens, admin, bob = outage
    bob_token = login(client, "bob", USER_PASSWORD)
    tokens.failing = {"delete_for_user"}
    assert client.delete(f"/api/user/users/{bob}", headers=auth(admin)).status_code == 503
    tokens.failing = set()
    assert client.get("/api/user", headers=auth(bob_token)).status_code == 401


# logging


def test_security_events_are_logged_with_user_and_address(client, caplog, user_store) -> None:
    admin_token = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    user_token = login(client, "bob", USER_PASSWORD)
    client.post("/api/user/login", json={"username": "bob", "password": "not bobs password"})
    client.delete("/api/user/logout", headers=auth(user_token))
    messages = [record.getMessage() for record in caplog.records if record.name == "frappyauth"]
    bob = user_store.get_by_username("bob").id
    assert f"login-succeeded: user {bob}, actor {bob}, from 127.0.0.1, method password" in messages
    assert f"login-failed: user {bob}, actor None, from 127.0.0.1" in messages
    assert f"logged-out: user {bob}, actor {bob}, from 127.0.0.1" in messages
    assert any(m.startswith(f"user-created: user {bob}, actor ") for m in messages)


def test_a_throttled_login_is_logged(make_app, caplog) -> None:
    client = make_app(max_failed_logins=1).test_client()
    for _ in range(2):
        client.post("/api/user/login", json={"username": "admin", "password": "not the password"})
    assert any(record.getMessage().startswith("login-throttled: ") for record in caplog.records)


# frappymongouser's plaintext API keys


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_a_legacy_plaintext_api_key_keeps_working_and_is_stored_hashed(
    backend, database, clock
) -> None:
    database["users"].insert_one(
        {
            "username": "robot",
            "password": hashlib.md5(b"x").hexdigest(),
            "permissions": ["view"],
            "apiKey": "legacy-key-0123456789abcdef",
        }
    )
    app = build_app(
        backend.user_store(database),
        backend.token_store(database),
        clock,
        SecretLedger(),
        api_keys=True,
    )
    response = app.test_client().get(
        "/api/things", headers={"Authorization": "Token legacy-key-0123456789abcdef"}
    )
    assert response.status_code == 200 and body(response)["for"] == "robot"
    assert database["users"].count_documents({"apiKey": {"$exists": True}}) == 0
