"""The administrator's endpoints: listing, creating, changing and deleting users."""

from __future__ import annotations

import pytest

from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

MISSING_ID = "0123456789abcdef01234567"


def user_id(client, admin_token: str, username: str) -> str:
    users = body(client.get("/api/user/users", headers=auth(admin_token)))["users"]
    return next(user["id"] for user in users if user["username"] == username)


def create(client, admin_token: str, **fields) -> object:
    return client.post("/api/user/users", json=fields, headers=auth(admin_token))


# GET /users


def test_list_users_pages_through_everyone_with_the_total(make_app) -> None:
    app = make_app(page_size=2)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    for name in ["b", "c", "d"]:
        create(client, token, username=name, password=USER_PASSWORD)
    pages = [
        body(client.get(f"/api/user/users?page={page}", headers=auth(token))) for page in (0, 1, 2)
    ]
    assert [[user["username"] for user in page["users"]] for page in pages] == [
        ["Admin", "b"],
        ["c", "d"],
        [],
    ]
    assert {page["total"] for page in pages} == {4}
    assert (
        body(client.get("/api/user/users", headers=auth(token)))["users"][0]["username"] == "Admin"
    )


@pytest.mark.parametrize("page", ["-1", "x", "1.5", "", "9999999999", "1e3"])
def test_list_users_refuses_a_bad_page_with_400(client, admin_token, page) -> None:
    response = client.get(f"/api/user/users?page={page}", headers=auth(admin_token))
    assert response.status_code == 400 and body(response)["error"] == "bad_request"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/user/users"),
        ("POST", "/api/user/users"),
        ("POST", f"/api/user/users/{MISSING_ID}/permissions"),
        ("POST", f"/api/user/users/{MISSING_ID}/password"),
        ("DELETE", f"/api/user/users/{MISSING_ID}"),
    ],
)
def test_admin_endpoints_need_login_and_the_admin_permission(app, user_token, method, path) -> None:
    client = app.test_client()
    anonymous = client.open(path, method=method, json={})
    as_user = client.open(path, method=method, json={}, headers=auth(user_token))
    assert (anonymous.status_code, as_user.status_code) == (401, 403)
    assert body(as_user)["error"] == "forbidden"


# POST /users


def test_create_user_answers_the_new_user(client, admin_token) -> None:
    response = create(
        client,
        admin_token,
        username="Carol",
        password=USER_PASSWORD,
        permissions=["view", "edit"],
        email="carol@example.org",
        profile={"team": "blue"},
    )
    assert response.status_code == 200
    assert {k: v for k, v in body(response).items() if k not in ("_id", "id")} == {
        "username": "Carol",
        "permissions": ["view", "edit"],
        "profile": {"team": "blue"},
        "email": "carol@example.org",
        "hasApiKey": False,
    }
    assert login(client, "carol", USER_PASSWORD)


def test_create_user_gives_the_default_permissions(make_app) -> None:
    client = make_app(default_permissions=["view"]).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    assert body(create(client, token, username="d", password=USER_PASSWORD))["permissions"] == [
        "view"
    ]


@pytest.mark.parametrize("taken", ["Admin", "admin", "ADMIN"])
def test_create_user_with_a_taken_username_is_409(client, admin_token, taken) -> None:
    response = create(client, admin_token, username=taken, password=USER_PASSWORD)
    assert response.status_code == 409 and body(response)["error"] == "username_taken"


@pytest.mark.parametrize(
    "fields",
    [
        {"password": USER_PASSWORD},
        {"username": "e"},
        {"username": "e", "password": "short"},
        {"username": "e", "password": "x" * 1025},
        {"username": "e", "password": USER_PASSWORD, "permissions": "admin"},
        {"username": "e", "password": USER_PASSWORD, "permissions": ["view", 1]},
        {"username": "e", "password": USER_PASSWORD, "email": 5},
        {"username": "e", "password": USER_PASSWORD, "profile": ["not", "an", "object"]},
        {"username": {"$gt": ""}, "password": USER_PASSWORD},
    ],
)
def test_create_user_refuses_bad_fields_and_writes_nothing(
    client, admin_token, user_store, fields
) -> None:
    response = create(client, admin_token, **fields)
    assert response.status_code == 400 and body(response)["error"] in (
        "bad_request",
        "invalid_password",
    )
    assert user_store.count() == 1


def test_passwords_of_128_characters_and_unicode_are_accepted(client, admin_token) -> None:
    for name, password in [("long", "x" * 128), ("uni", "Grüße aus Köln ✓ 🙂")]:
        assert create(client, admin_token, username=name, password=password).status_code == 200
        assert login(client, name, password)


# POST /users/<id>/permissions


def test_set_permissions_takes_effect_at_once(app, client, admin_token, user_token) -> None:
    bob = user_id(client, admin_token, "bob")
    response = client.post(
        f"/api/user/users/{bob}/permissions", json={"permissions": []}, headers=auth(admin_token)
    )
    assert response.status_code == 200 and body(response)["permissions"] == []
    assert app.test_client().get("/api/things", headers=auth(user_token)).status_code == 403


@pytest.mark.parametrize(
    "payload", [{}, {"permissions": "view"}, {"permissions": [None]}, {"permissions": {}}]
)
def test_set_permissions_refuses_anything_but_a_list_of_strings(
    client, admin_token, user_token, payload
) -> None:
    bob = user_id(client, admin_token, "bob")
    response = client.post(
        f"/api/user/users/{bob}/permissions", json=payload, headers=auth(admin_token)
    )
    assert response.status_code == 400
    assert body(client.get("/api/user/users", headers=auth(admin_token)))["users"][1][
        "permissions"
    ] == ["view"]


@pytest.mark.parametrize("missing", [MISSING_ID, "not-an-id"])
def test_set_permissions_of_an_unknown_user_is_404(client, admin_token, missing) -> None:
    response = client.post(
        f"/api/user/users/{missing}/permissions",
        json={"permissions": ["x"]},
        headers=auth(admin_token),
    )
    assert response.status_code == 404 and body(response)["error"] == "user_not_found"


# POST /users/<id>/profile


def test_admin_replaces_a_profile_whole(client, admin_token, user_token) -> None:
    bob = user_id(client, admin_token, "bob")
    client.post(f"/api/user/users/{bob}/profile", json={"a": 1, "b": 2}, headers=auth(admin_token))
    response = client.post(
        f"/api/user/users/{bob}/profile", json={"c": [1, {"d": None}]}, headers=auth(admin_token)
    )
    assert response.status_code == 200 and body(response)["profile"] == {"c": [1, {"d": None}]}


def test_a_user_edits_no_profile_unless_allowed(app, client, admin_token, user_token) -> None:
    bob = user_id(client, admin_token, "bob")
    response = app.test_client().post(
        f"/api/user/users/{bob}/profile", json={"a": 1}, headers=auth(user_token)
    )
    assert response.status_code == 403


def test_allow_own_profile_edit_lets_a_user_edit_only_their_own(make_app) -> None:
    app = make_app(allow_own_profile_edit=True)
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    bob = body(create(client, admin, username="bob", password=USER_PASSWORD))["id"]
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    bob_token = login(app.test_client(), "bob", USER_PASSWORD)
    own = client.post(
        f"/api/user/users/{bob}/profile", json={"theme": "dark"}, headers=auth(bob_token)
    )
    other = client.post(
        f"/api/user/users/{admin_id}/profile", json={"x": 1}, headers=auth(bob_token)
    )
    assert own.status_code == 200 and body(own)["profile"] == {"theme": "dark"}
    assert other.status_code == 403


@pytest.mark.parametrize("raw", ["[]", '"text"', "3"])
def test_a_profile_must_be_an_object(client, admin_token, user_token, raw) -> None:
    bob = user_id(client, admin_token, "bob")
    response = client.post(
        f"/api/user/users/{bob}/profile",
        data=raw,
        content_type="application/json",
        headers=auth(admin_token),
    )
    assert response.status_code == 400


def test_profile_of_an_unknown_user_is_404(client, admin_token) -> None:
    response = client.post(
        f"/api/user/users/{MISSING_ID}/profile", json={}, headers=auth(admin_token)
    )
    assert response.status_code == 404


# POST /users/<id>/password


def test_admin_password_reset_ends_every_session_of_the_user(
    app, client, admin_token, user_token
) -> None:
    bob = user_id(client, admin_token, "bob")
    response = client.post(
        f"/api/user/users/{bob}/password",
        json={"password": "brand new password"},
        headers=auth(admin_token),
    )
    assert response.status_code == 200 and body(response)["username"] == "bob"
    fresh = app.test_client()
    assert fresh.get("/api/user", headers=auth(user_token)).status_code == 401
    assert (
        fresh.post(
            "/api/user/login", json={"username": "bob", "password": USER_PASSWORD}
        ).status_code
        == 401
    )
    assert login(fresh, "bob", "brand new password")


@pytest.mark.parametrize(
    "payload, status", [({}, 400), ({"password": "short"}, 400), ({"password": 12}, 400)]
)
def test_admin_password_reset_refuses_bad_passwords(
    app, client, admin_token, user_token, payload, status
) -> None:
    bob = user_id(client, admin_token, "bob")
    assert (
        client.post(
            f"/api/user/users/{bob}/password", json=payload, headers=auth(admin_token)
        ).status_code
        == status
    )
    assert app.test_client().get("/api/user", headers=auth(user_token)).status_code == 200


def test_admin_password_reset_of_an_unknown_user_is_404(client, admin_token) -> None:
    response = client.post(
        f"/api/user/users/{MISSING_ID}/password",
        json={"password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    assert response.status_code == 404


# DELETE /users/<id>


def test_delete_user_ends_their_sessions_and_api_key(app, client, admin_token, user_token) -> None:
    bob_client = app.test_client()
    api_key = body(bob_client.post("/api/user/key", headers=auth(user_token)))["apiKey"]
    bob = user_id(client, admin_token, "bob")
    response = client.delete(f"/api/user/users/{bob}", headers=auth(admin_token))
    assert response.status_code == 200 and body(response) == {"userId": bob, "deleted": True}
    assert bob_client.get("/api/user", headers=auth(user_token)).status_code == 401
    assert (
        bob_client.get("/api/things", headers={"Authorization": f"Token {api_key}"}).status_code
        == 401
    )
    assert client.delete(f"/api/user/users/{bob}", headers=auth(admin_token)).status_code == 404


# the last administrator


def test_the_last_admin_cannot_be_deleted_or_demoted(client, admin_token) -> None:
    admin = body(client.get("/api/user", headers=auth(admin_token)))["id"]
    demote = client.post(
        f"/api/user/users/{admin}/permissions",
        json={"permissions": ["view"]},
        headers=auth(admin_token),
    )
    delete = client.delete(f"/api/user/users/{admin}", headers=auth(admin_token))
    assert (demote.status_code, delete.status_code) == (409, 409)
    assert body(delete)["error"] == "last_admin"
    assert body(client.get("/api/user", headers=auth(admin_token)))["permissions"] == ["admin"]


def test_an_admin_can_go_once_another_admin_exists(client, admin_token) -> None:
    admin = body(client.get("/api/user", headers=auth(admin_token)))["id"]
    create(client, admin_token, username="second", password=USER_PASSWORD, permissions=["admin"])
    assert client.delete(f"/api/user/users/{admin}", headers=auth(admin_token)).status_code == 200
