"""Logging in and out, and every way a request carries its credential."""

from __future__ import annotations

import pytest

from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

USER_KEYS = {"_id", "id", "username", "permissions", "profile", "hasApiKey"}


def test_login_answers_the_user_and_a_token_and_sets_the_cookie(client) -> None:
    response = client.post(
        "/api/user/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    user, token = body(response)["user"], body(response)["token"]
    assert set(user) == USER_KEYS and user["_id"] == user["id"] and user["username"] == "Admin"
    assert user["permissions"] == ["admin"] and user["hasApiKey"] is False
    assert len(token) >= 43  # 256 bits, URL-safe base64
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"Authorization={token};")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=86400" in cookie
    assert "Secure" not in cookie and response.headers["Cache-Control"] == "no-store"


def test_the_cookie_is_secure_over_https(client) -> None:
    response = client.post(
        "/api/user/login",
        json={"username": "admin", "password": ADMIN_PASSWORD},
        base_url="https://localhost",
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_ignores_the_case_of_the_username(client) -> None:
    assert login(client, "ADMIN", ADMIN_PASSWORD)
    assert login(client, "ａｄｍｉｎ", ADMIN_PASSWORD)  # full-width letters: the same NFKC key


def test_wrong_password_and_unknown_user_get_the_same_401(app) -> None:
    client = app.test_client()
    wrong = client.post(
        "/api/user/login", json={"username": "admin", "password": "wrong password!!"}
    )
    unknown = client.post(
        "/api/user/login", json={"username": "nobody", "password": "wrong password!!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        body(wrong)
        == body(unknown)
        == {"error": "invalid_credentials", "message": "Username or password is wrong."}
    )
    assert "Set-Cookie" not in wrong.headers


@pytest.mark.parametrize(
    "payload",
    [
        {"username": {"$ne": None}, "password": {"$ne": None}},
        {"username": "admin"},
        {"password": ADMIN_PASSWORD},
        {"username": "admin", "password": 123},
        {"username": ["admin"], "password": ADMIN_PASSWORD},
        {"username": "", "password": ADMIN_PASSWORD},
        [],
        "admin",
        0,
    ],
)
def test_login_refuses_a_malformed_body_with_400(app, payload) -> None:
    response = app.test_client().post("/api/user/login", json=payload)
    assert response.status_code == 400 and body(response)["error"] == "bad_request"


@pytest.mark.parametrize(
    "raw", ["null", "{", '{"username": "a", "username": "b", "password": "x"}', "NaN", "{}x"]
)
def test_login_refuses_invalid_json_with_400(app, raw) -> None:
    response = app.test_client().post("/api/user/login", data=raw, content_type="application/json")
    assert response.status_code == 400 and body(response)["error"] == "bad_request"


def test_login_refuses_a_body_that_is_not_json_with_415(app) -> None:
    response = app.test_client().post("/api/user/login", data="username=admin&password=x")
    assert response.status_code == 415 and body(response)["error"] == "unsupported_media_type"


@pytest.mark.parametrize("header", ["{token}", "Bearer {token}", "bearer {token}"])
def test_a_session_token_works_raw_or_as_bearer(app, admin_token, header) -> None:
    response = app.test_client().get(
        "/api/user", headers={"Authorization": header.format(token=admin_token)}
    )
    assert response.status_code == 200 and body(response)["username"] == "Admin"


def test_the_login_cookie_authenticates_the_browser(client) -> None:
    login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/api/user").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "not-a-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ],
)
def test_missing_or_invalid_credentials_get_401(app, headers) -> None:
    response = app.test_client().get("/api/user", headers=headers)
    assert response.status_code == 401 and body(response)["error"] == "unauthenticated"


def test_a_token_in_the_query_string_is_ignored(app, admin_token) -> None:
    client = app.test_client()
    assert client.get(f"/api/user?Authorization={admin_token}").status_code == 401
    assert client.get(f"/api/user?token={admin_token}").status_code == 401


def test_a_session_ends_after_token_expiration(make_app, clock) -> None:
    app = make_app(token_expiration=600)
    client = app.test_client()
    response = client.post(
        "/api/user/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert "Max-Age=600" in response.headers["Set-Cookie"]
    token = body(response)["token"]
    clock.advance(seconds=599)
    assert client.get("/api/user", headers=auth(token)).status_code == 200
    clock.advance(seconds=1)
    assert client.get("/api/user", headers=auth(token)).status_code == 401


@pytest.mark.parametrize("path", ["/api/user/login", "/api/user/logout"])
def test_logout_revokes_the_session_and_clears_the_cookie(client, path) -> None:
    token = login(client, "admin", ADMIN_PASSWORD)
    response = client.delete(path, headers=auth(token))
    assert response.status_code == 200 and body(response) == {"status": True}
    assert (
        "Authorization=;" in response.headers["Set-Cookie"]
        and "Max-Age=0" in response.headers["Set-Cookie"]
    )
    assert client.get("/api/user", headers=auth(token)).status_code == 401


def test_logout_ends_only_that_session(app, client) -> None:
    first, second = login(client, "admin", ADMIN_PASSWORD), login(client, "admin", ADMIN_PASSWORD)
    client.delete("/api/user/logout", headers=auth(first))
    assert app.test_client().get("/api/user", headers=auth(second)).status_code == 200


def test_logout_without_a_session_is_401(app) -> None:
    assert app.test_client().delete("/api/user/logout").status_code == 401


def test_get_prefix_answers_the_logged_in_user(app, user_token) -> None:
    response = app.test_client().get("/api/user", headers=auth(user_token))
    assert body(response)["username"] == "bob" and body(response)["permissions"] == ["view"]


def test_a_100_byte_password_counts_every_byte(make_app, client, admin_token) -> None:
    password = "p" * 100
    client.post(
        "/api/user/users",
        json={"username": "long", "password": password},
        headers=auth(admin_token),
    )
    fresh = make_app().test_client()
    assert (
        fresh.post("/api/user/login", json={"username": "long", "password": password}).status_code
        == 200
    )
    changed = password[:80] + "q" + password[81:]
    assert (
        fresh.post("/api/user/login", json={"username": "long", "password": changed}).status_code
        == 401
    )


def test_check_login_state_guards_the_apps_own_routes(app, admin_token, user_token) -> None:
    client = app.test_client()
    assert client.get("/api/things").status_code == 401
    assert (
        client.get("/api/things", headers=auth(admin_token)).status_code == 403
    )  # admin lacks "view"
    response = client.get("/api/things", headers=auth(user_token))
    assert response.status_code == 200 and body(response)["for"] == "bob"


def test_login_required_needs_every_listed_permission(app, client, admin_token, user_token) -> None:
    assert app.test_client().get("/api/reports", headers=auth(user_token)).status_code == 403
    bob = body(client.get("/api/user/users", headers=auth(admin_token)))["users"][1]
    client.post(
        f"/api/user/users/{bob['id']}/permissions",
        json={"permissions": ["view", "report"]},
        headers=auth(admin_token),
    )
    response = app.test_client().get("/api/reports", headers=auth(user_token))
    assert response.status_code == 200 and body(response)["for"] == "bob"


def test_a_users_password_login_is_unaffected_by_other_users(
    app, client, admin_token, user_token
) -> None:
    """Another user locked out by failed logins, another user's password reset and the admin's own
    password change leave bob's session and bob's next login alone."""
    client.post(
        "/api/user/users",
        json={"username": "carol", "password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    carol = body(client.get("/api/user/users", headers=auth(admin_token)))["users"][2]["id"]
    elsewhere = {
        "REMOTE_ADDR": "10.0.0.9"
    }  # not bob's address: only the per-name limit is at stake
    answers = [
        client.post(
            "/api/user/login",
            json={"username": "carol", "password": "not carols password"},
            environ_base=elsewhere,
        ).status_code
        for _ in range(11)
    ]
    assert answers[-1] == 429
    client.post(
        f"/api/user/users/{carol}/password",
        json={"password": "carols new password"},
        headers=auth(admin_token),
    )
    client.post(
        "/api/user/password",
        json={"oldPassword": ADMIN_PASSWORD, "newPassword": "admins new password"},
        headers=auth(admin_token),
    )
    assert body(client.get("/api/user", headers=auth(user_token)))["username"] == "bob"
    fresh = login(app.test_client(), "bob", USER_PASSWORD)
    assert (
        fresh != user_token
        and body(client.get("/api/user", headers=auth(fresh)))["username"] == "bob"
    )
