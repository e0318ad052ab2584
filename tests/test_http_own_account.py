"""What a logged-in user does to their own account: change the password, hold an API key."""

from __future__ import annotations

import pytest

from http_support import USER_PASSWORD, auth, body, login


def change_password(client, token: str, old: str, new: str):
    return client.post(
        "/api/user/password", json={"oldPassword": old, "newPassword": new}, headers=auth(token)
    )


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, user_token) -> None:
    client, other_device = app.test_client(), login(app.test_client(), "bob", USER_PASSWORD)
    response = change_password(client, user_token, USER_PASSWORD, "a new long password")
    assert response.status_code == 200 and body(response)["username"] == "bob"
    assert client.get("/api/user", headers=auth(user_token)).status_code == 200
    assert client.get("/api/user", headers=auth(other_device)).status_code == 401
    assert login(client, "bob", "a new long password")


def test_a_wrong_old_password_is_403_and_changes_nothing(app, user_token) -> None:
    client = app.test_client()
    response = change_password(client, user_token, "not the password", "a new long password")
    assert response.status_code == 403 and body(response)["error"] == "forbidden"
    assert login(client, "bob", USER_PASSWORD)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"oldPassword": USER_PASSWORD},
        {"newPassword": "a new long password"},
        {"oldPassword": USER_PASSWORD, "newPassword": "short"},
        {"oldPassword": USER_PASSWORD, "newPassword": ["a new long password"]},
    ],
)
def test_a_bad_password_change_is_400_and_changes_nothing(app, user_token, payload) -> None:
    client = app.test_client()
    assert (
        client.post("/api/user/password", json=payload, headers=auth(user_token)).status_code == 400
    )
    assert login(client, "bob", USER_PASSWORD)


def test_changing_the_password_needs_a_session(app) -> None:
    assert (
        change_password(app.test_client(), "nope", USER_PASSWORD, "a new long password").status_code
        == 401
    )


# API keys


def test_an_api_key_is_shown_once_and_works_where_allowed(app, user_token) -> None:
    client = app.test_client()
    response = client.post("/api/user/key", headers=auth(user_token))
    api_key = body(response)["apiKey"]
    assert response.status_code == 200 and len(api_key) >= 43
    assert body(client.get("/api/user", headers=auth(user_token)))["hasApiKey"] is True
    things = client.get("/api/things", headers={"Authorization": f"Token {api_key}"})
    assert things.status_code == 200 and body(things)["for"] == "bob"


def test_an_api_key_is_refused_where_not_allowed(app, user_token) -> None:
    client = app.test_client()
    api_key = body(client.post("/api/user/key", headers=auth(user_token)))["apiKey"]
    for path in ["/api/user/sessions", "/api/reports"]:  # who am I (GET /api/user) takes keys
        response = client.get(path, headers={"Authorization": f"Token {api_key}"})
        assert response.status_code == 403 and body(response)["error"] == "forbidden"
    assert (
        client.post("/api/user/key", headers={"Authorization": f"Token {api_key}"}).status_code
        == 403
    )


def test_a_new_api_key_replaces_the_old_one(app, user_token) -> None:
    client = app.test_client()
    old = body(client.post("/api/user/key", headers=auth(user_token)))["apiKey"]
    new = body(client.post("/api/user/key", headers=auth(user_token)))["apiKey"]
    assert client.get("/api/things", headers={"Authorization": f"Token {old}"}).status_code == 401
    assert client.get("/api/things", headers={"Authorization": f"Token {new}"}).status_code == 200


def test_revoking_the_api_key_ends_it(app, user_token) -> None:
    client = app.test_client()
    api_key = body(client.post("/api/user/key", headers=auth(user_token)))["apiKey"]
    response = client.delete("/api/user/key", headers=auth(user_token))
    assert response.status_code == 200 and body(response) == {"apiKey": None}
    assert (
        client.get("/api/things", headers={"Authorization": f"Token {api_key}"}).status_code == 401
    )
    assert body(client.get("/api/user", headers=auth(user_token)))["hasApiKey"] is False


@pytest.mark.parametrize("header", ["Token ", "Token nonsense", "token " + "x" * 600])
def test_an_unknown_or_malformed_api_key_is_401(app, header) -> None:
    response = app.test_client().get("/api/things", headers={"Authorization": header})
    assert response.status_code == 401


def test_api_keys_are_off_unless_the_option_is_on(make_app, user_store) -> None:
    app = make_app()
    client = app.test_client()
    bob = login(client, "admin", "admin password 1234")
    response = client.post("/api/user/key", headers=auth(bob))
    assert response.status_code == 404 and body(response)["error"] == "feature_disabled"
    admin = user_store.get_by_username("admin")
    user_store.set_api_key_hash(admin.id, "f" * 64)  # even a key already stored is not accepted
    assert client.get("/api/things", headers={"Authorization": "Token anything"}).status_code == 401
