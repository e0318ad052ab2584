"""Sessions a user can see and end, the idle timeout, and what authenticating costs the stores."""

from __future__ import annotations

import pytest
from flask import Flask

from frappyauth import register_endpoints
from frappyauth.core.minting import hash_secret
from http_support import ADMIN_PASSWORD, USER_PASSWORD, StoreSpy, auth, body, build_app, login
from frappyauth.stores.memory import MemoryUserStore

LAPTOP, PHONE = "Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone)"


def login_from(client, username: str, password: str, user_agent: str) -> str:
    response = client.post(
        "/api/user/login",
        json={"username": username, "password": password},
        headers={"User-Agent": user_agent},
    )
    return body(response)["token"]


@pytest.fixture
def two_devices(app, clock, user_token):
    """bob logged in from a laptop, then, a minute later, from a phone."""
    client = app.test_client()
    clock.advance(minutes=1)
    laptop = login_from(client, "bob", USER_PASSWORD, LAPTOP)
    clock.advance(minutes=1)
    phone = login_from(client, "bob", USER_PASSWORD, PHONE)
    return client, laptop, phone


def sessions(client, token: str) -> list[dict]:
    response = client.get("/api/user/sessions", headers=auth(token))
    assert response.status_code == 200
    return body(response)["sessions"]


def test_a_user_sees_their_sessions_newest_first_with_the_current_one_flagged(two_devices) -> None:
    client, laptop, phone = two_devices
    listed = sessions(client, laptop)
    assert [(s["userAgent"], s["current"]) for s in listed[:2]] == [(PHONE, False), (LAPTOP, True)]
    assert len(listed) == 3  # and the session of the `user_token` fixture
    assert set(listed[0]) == {
        "id",
        "createdAt",
        "lastUsedAt",
        "expiresAt",
        "userAgent",
        "remoteAddr",
        "current",
    }
    assert (
        listed[0]["remoteAddr"] == "127.0.0.1" and listed[0]["createdAt"] == "2100-01-01T12:02:00Z"
    )
    assert listed[0]["expiresAt"] == "2100-01-02T12:02:00Z"


def test_ending_the_other_session_refuses_its_token_at_once(two_devices) -> None:
    client, laptop, phone = two_devices
    phone_id = sessions(client, laptop)[0]["id"]
    response = client.delete(f"/api/user/sessions/{phone_id}", headers=auth(laptop))
    assert response.status_code == 200 and body(response) == {
        "sessionId": phone_id,
        "deleted": True,
    }
    assert client.get("/api/user", headers=auth(phone)).status_code == 401
    assert client.get("/api/user", headers=auth(laptop)).status_code == 200


def test_another_users_session_is_404(two_devices, admin_token) -> None:
    client, laptop, phone = two_devices
    phone_id = sessions(client, laptop)[0]["id"]
    for session_id in [phone_id, "no-such-session"]:
        response = client.delete(f"/api/user/sessions/{session_id}", headers=auth(admin_token))
        assert response.status_code == 404 and body(response)["error"] == "session_not_found"
    assert client.get("/api/user", headers=auth(phone)).status_code == 200


def test_logging_out_everywhere_leaves_no_session(two_devices) -> None:
    client, laptop, phone = two_devices
    response = client.delete("/api/user/sessions", headers=auth(laptop))
    assert response.status_code == 200 and body(response) == {"deleted": 3}
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    assert [client.get("/api/user", headers=auth(t)).status_code for t in (laptop, phone)] == [
        401,
        401,
    ]


def test_logging_out_everywhere_else_keeps_the_current_session(two_devices) -> None:
    client, laptop, phone = two_devices
    response = client.delete("/api/user/sessions?keepCurrent=true", headers=auth(laptop))
    assert body(response) == {"deleted": 2} and "Set-Cookie" not in response.headers
    assert [s["current"] for s in sessions(client, laptop)] == [True]
    assert client.get("/api/user", headers=auth(phone)).status_code == 401


def test_keep_current_must_be_true_or_false(two_devices) -> None:
    client, laptop, phone = two_devices
    assert (
        client.delete("/api/user/sessions?keepCurrent=yes", headers=auth(laptop)).status_code == 400
    )
    assert len(sessions(client, laptop)) == 3


def test_an_admin_sees_and_ends_all_of_a_users_sessions(two_devices, admin_token) -> None:
    client, laptop, phone = two_devices
    bob = body(client.get("/api/user", headers=auth(laptop)))["id"]
    listed = body(client.get(f"/api/user/users/{bob}/sessions", headers=auth(admin_token)))[
        "sessions"
    ]
    assert len(listed) == 3 and not any(s["current"] for s in listed)
    response = client.delete(f"/api/user/users/{bob}/sessions", headers=auth(admin_token))
    assert body(response) == {"userId": bob, "deleted": 3}
    assert [client.get("/api/user", headers=auth(t)).status_code for t in (laptop, phone)] == [
        401,
        401,
    ]
    assert client.get("/api/user", headers=auth(admin_token)).status_code == 200


def test_only_admins_manage_other_users_sessions(two_devices) -> None:
    client, laptop, phone = two_devices
    bob = body(client.get("/api/user", headers=auth(laptop)))["id"]
    assert client.get(f"/api/user/users/{bob}/sessions", headers=auth(laptop)).status_code == 403
    assert client.delete(f"/api/user/users/{bob}/sessions", headers=auth(laptop)).status_code == 403


def test_sessions_of_an_unknown_user_are_404(client, admin_token) -> None:
    for method in ("GET", "DELETE"):
        response = client.open(
            "/api/user/users/0123456789abcdef01234567/sessions",
            method=method,
            headers=auth(admin_token),
        )
        assert response.status_code == 404


def test_an_api_key_cannot_list_or_end_sessions(app, user_token) -> None:
    client = app.test_client()
    api_key = body(client.post("/api/user/key", headers=auth(user_token)))["apiKey"]
    assert (
        client.get("/api/user/sessions", headers={"Authorization": f"Token {api_key}"}).status_code
        == 403
    )


# idle timeout


def test_an_unused_session_ends_after_the_idle_timeout(make_app, clock) -> None:
    client = make_app(idle_timeout=900, last_used_interval=60).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    clock.advance(seconds=899)
    assert (
        client.get("/api/user", headers=auth(token)).status_code == 200
    )  # use restarts the idle clock
    clock.advance(seconds=899)
    assert client.get("/api/user", headers=auth(token)).status_code == 200
    clock.advance(seconds=900)
    assert client.get("/api/user", headers=auth(token)).status_code == 401


def test_without_an_idle_timeout_only_the_lifetime_counts(make_app, clock) -> None:
    client = make_app(token_expiration=3600).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    clock.advance(seconds=3599)
    assert client.get("/api/user", headers=auth(token)).status_code == 200


def test_the_idle_timeout_must_exceed_the_last_used_interval() -> None:
    with pytest.raises(ValueError, match="idle_timeout"):
        register_endpoints(
            Flask("x"),
            MemoryUserStore(),
            options_override={"idle_timeout": 60, "last_used_interval": 60},
        )


# store calls


@pytest.fixture
def spied(user_store, token_store, attempt_store, api_key_store, clock, ledger):
    users, tokens, attempts = StoreSpy(user_store), StoreSpy(token_store), StoreSpy(attempt_store)
    app = build_app(
        users,
        tokens,
        clock,
        ledger,
        attempt_store=attempts,
        api_key_store=api_key_store,
        last_used_interval=300,
    )
    return app.test_client(), users, tokens, attempts


def test_an_authenticated_request_makes_one_store_read_and_no_write(spied, clock) -> None:
    """One read of the session with its user (through the user store here: the spy hides the
    database; the one-command read on MongoDB is `test_mongo_round_trips.py`)."""
    client, users, tokens, _ = spied
    token = login(client, "admin", ADMIN_PASSWORD)
    users.calls.clear(), tokens.calls.clear()
    clock.advance(seconds=299)
    assert client.get("/api/user", headers=auth(token)).status_code == 200
    assert (tokens.calls, users.calls) == (["get_with_user"], ["get"])


def test_last_used_is_written_once_per_interval(spied, clock) -> None:
    client, users, tokens, _ = spied
    token = login(client, "admin", ADMIN_PASSWORD)
    tokens.calls.clear()
    clock.advance(seconds=300)
    for _ in range(3):
        client.get("/api/user", headers=auth(token))
    assert tokens.writes() == ["touch"]
    listed = sessions(client, token)
    assert listed[0]["lastUsedAt"] == "2100-01-01T12:05:00Z"


def test_a_successful_login_counts_before_it_checks_and_takes_the_count_back(spied) -> None:
    client, users, tokens, attempts = spied
    users.calls.clear(), tokens.calls.clear()
    login(client, "admin", ADMIN_PASSWORD)
    assert attempts.calls == [
        "increment",  # the request, against the address's anonymous_rate_limit
        "increment",
        "increment",
        "increment",
        "delete",
        "decrement",
        "decrement",
    ]
    assert users.calls == ["get_by_username"]
    assert tokens.writes() == ["create"]


def test_expired_sessions_are_purged_now_and_then(spied, clock, token_store) -> None:
    client, users, tokens, _ = spied
    old = login(client, "admin", ADMIN_PASSWORD)  # expires after the default day
    assert tokens.writes() == ["create"]  # no purge at the first logins
    clock.advance(days=2)
    tokens.calls.clear()
    login(client, "admin", ADMIN_PASSWORD)
    assert tokens.writes() == ["create", "purge_expired"]
    assert token_store.delete(hash_secret(old)) is False  # gone from the store, not merely refused
    tokens.calls.clear()
    login(client, "admin", ADMIN_PASSWORD)
    assert tokens.writes() == ["create"]  # once per interval
