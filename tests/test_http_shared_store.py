"""Nothing process-local is authoritative: two app instances on shared stores act as one, as several
workers or servers behind a load balancer must."""

from __future__ import annotations

import pytest

from backends import MONGO_BACKEND_PARAMS
from http_support import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    Clock,
    SecretLedger,
    auth,
    body,
    build_app,
    login,
)


@pytest.fixture
def apps(make_app):
    """Two app instances, as two workers would be, on the same stores."""
    return make_app(api_keys=True).test_client(), make_app(api_keys=True).test_client()


@pytest.fixture
def bob_on_a(apps):
    a, b = apps
    admin = login(a, "admin", ADMIN_PASSWORD)
    bob_id = body(
        a.post(
            "/api/user/users",
            json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
            headers=auth(admin),
        )
    )["id"]
    return admin, bob_id, login(a, "bob", USER_PASSWORD)


def test_a_session_made_on_one_app_works_on_the_other(apps, bob_on_a) -> None:
    _, b = apps
    assert body(b.get("/api/user", headers=auth(bob_on_a[2])))["username"] == "bob"


def test_logout_on_one_app_takes_effect_on_the_other(apps, bob_on_a) -> None:
    a, b = apps
    a.delete("/api/user/login", headers=auth(bob_on_a[2]))
    assert b.get("/api/user", headers=auth(bob_on_a[2])).status_code == 401


def test_a_password_change_on_one_app_ends_sessions_on_the_other(apps, bob_on_a) -> None:
    a, b = apps
    other = login(b, "bob", USER_PASSWORD)
    a.post(
        "/api/user/password",
        json={"oldPassword": USER_PASSWORD, "newPassword": "another long password"},
        headers=auth(bob_on_a[2]),
    )
    assert b.get("/api/user", headers=auth(other)).status_code == 401
    assert b.get("/api/user", headers=auth(bob_on_a[2])).status_code == 200


def test_a_permission_change_on_one_app_takes_effect_on_the_other(apps, bob_on_a) -> None:
    a, b = apps
    admin, bob_id, bob = bob_on_a
    assert b.get("/api/things", headers=auth(bob)).status_code == 200
    a.post(f"/api/user/users/{bob_id}/permissions", json={"permissions": []}, headers=auth(admin))
    assert b.get("/api/things", headers=auth(bob)).status_code == 403


def test_a_deletion_on_one_app_takes_effect_on_the_other(apps, bob_on_a) -> None:
    a, b = apps
    admin, bob_id, bob = bob_on_a
    api_key = body(b.post("/api/user/key", headers=auth(bob)))["apiKey"]
    a.delete(f"/api/user/users/{bob_id}", headers=auth(admin))
    assert b.get("/api/user", headers=auth(bob)).status_code == 401
    assert b.get("/api/things", headers={"Authorization": f"Token {api_key}"}).status_code == 401


def test_an_api_key_made_on_one_app_works_on_the_other(apps, bob_on_a) -> None:
    a, b = apps
    api_key = body(a.post("/api/user/key", headers=auth(bob_on_a[2])))["apiKey"]
    assert b.get("/api/things", headers={"Authorization": f"Token {api_key}"}).status_code == 200


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_sessions_survive_a_new_app_on_the_same_database(backend, database, clock: Clock) -> None:
    ledger = SecretLedger()
    first = build_app(backend.user_store(database), backend.token_store(database), clock, ledger)
    token = login(first.test_client(), "admin", ADMIN_PASSWORD)
    restarted = build_app(
        backend.user_store(database), backend.token_store(database), clock, ledger
    )
    assert (
        body(restarted.test_client().get("/api/user", headers=auth(token)))["username"] == "Admin"
    )
    assert ledger.leaks(backend.user_store(database)) == []
