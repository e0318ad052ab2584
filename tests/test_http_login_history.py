"""Login history on the user (option `login_history`), on every store: when the user was created,
changed their password and last logged in, and how often; the address of the last login for admins
only. Only a login writes it: authenticated requests still write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import NOW
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemorySessionStore,
    MemoryUserStore,
)
from http_support import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    Clock,
    SecretLedger,
    StoreSpy,
    auth,
    body,
    build_app,
    login,
)

HISTORY = {"createdAt", "passwordChangedAt", "lastLoginAt", "loginCount"}


@pytest.fixture
def history(make_app) -> Any:
    app = make_app(login_history=True)
    client = app.test_client()
    admin = login(client, "Admin", ADMIN_PASSWORD)
    bob_id = body(
        client.post(
            "/api/user/users",
            json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
            headers=auth(admin),
        )
    )["id"]
    return app, client, admin, bob_id


def test_without_the_option_the_user_json_has_no_history(make_app) -> None:
    client = make_app().test_client()
    me = body(client.get("/api/user", headers=auth(login(client, "Admin", ADMIN_PASSWORD))))
    assert not HISTORY & set(me) and "lastLoginAddress" not in me


def test_a_login_is_counted_and_shown_the_address_to_admins_only(history, clock) -> None:
    app, client, admin, bob_id = history
    fresh = body(client.get("/api/user/users?q=bob", headers=auth(admin)))["users"][0]
    assert fresh["createdAt"] == "2100-01-01T12:00:00Z" and fresh["loginCount"] == 0
    assert fresh["lastLoginAt"] is None and fresh["passwordChangedAt"] is None
    clock.advance(minutes=5)
    answer = client.post("/api/user/login", json={"username": "bob", "password": USER_PASSWORD})
    # The login's answer shows the user as it was before: the previous login, if any.
    assert body(answer)["user"]["loginCount"] == 0
    bob = body(answer)["token"]
    own = body(client.get("/api/user", headers=auth(bob)))
    assert own["lastLoginAt"] == "2100-01-01T12:05:00Z" and own["loginCount"] == 1
    assert "lastLoginAddress" not in own
    seen = body(client.get("/api/user/users?q=bob", headers=auth(admin)))["users"][0]
    assert seen["lastLoginAddress"] == "127.0.0.1" and seen["loginCount"] == 1
    wrong = client.post("/api/user/login", json={"username": "bob", "password": "not it at all"})
    assert wrong.status_code == 401
    assert body(client.get("/api/user", headers=auth(bob)))["loginCount"] == 1


def test_a_password_change_is_dated(history, clock) -> None:
    app, client, admin, bob_id = history
    clock.advance(hours=1)
    client.post(
        f"/api/user/users/{bob_id}/password",
        json={"password": "another password of length"},
        headers=auth(admin),
    )
    seen = body(client.get("/api/user/users?q=bob", headers=auth(admin)))["users"][0]
    assert seen["passwordChangedAt"] == "2100-01-01T13:00:00Z"


def test_authenticated_requests_still_write_nothing() -> None:
    spy = StoreSpy(MemoryUserStore())
    app = build_app(
        spy,
        MemorySessionStore(),
        Clock(NOW),
        SecretLedger(),
        api_key_store=MemoryApiKeyStore(),
        attempt_store=MemoryAttemptStore(),
        login_history=True,
    )
    client = app.test_client()
    token = login(client, "Admin", ADMIN_PASSWORD)
    assert spy.calls.count("record_login") == 1  # the login's one added write
    spy.calls.clear()
    for _ in range(3):
        assert client.get("/api/user", headers=auth(token)).status_code == 200
    assert spy.calls == ["get"] * 3  # one read each (with the session), no write
