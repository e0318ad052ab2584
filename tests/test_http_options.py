"""Each option honoured, bad options refused, and the per-app state rules: the state lives in
`app.extensions`, two apps in one process are independent, and setting frappyauth up twice on one
app is
an error."""

from __future__ import annotations

import pytest
from flask import Flask

from frappyauth import check_login_state, register_endpoints
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from frappyauth.stores.memory import MemoryUserStore


def test_api_prefix_moves_every_endpoint(make_app) -> None:
    client = make_app(api_prefix="/auth").test_client()
    response = client.post("/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200
    assert client.get("/auth", headers=auth(body(response)["token"])).status_code == 200
    assert client.post("/api/user/login", json={}).status_code == 404


def test_no_user_management_leaves_out_the_admin_writes(make_app) -> None:
    client = make_app(no_user_management=True).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    assert (
        client.get("/api/user/users", headers=auth(token)).status_code == 200
    )  # listing stays, as in 1.6
    for method, path in [
        ("POST", "/api/user/users"),
        ("POST", "/api/user/users/x/permissions"),
        ("POST", "/api/user/users/x/profile"),
        ("POST", "/api/user/users/x/password"),
        ("DELETE", "/api/user/users/x"),
    ]:
        response = client.open(path, method=method, json={}, headers=auth(token))
        assert response.status_code in (404, 405) and response.is_json


def test_user_admin_permission_names_the_admin(make_app, user_store) -> None:
    client = make_app(user_admin_permission="root").test_client()
    assert user_store.get_by_username("admin").permissions == ("root",)
    token = login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/api/user/users", headers=auth(token)).status_code == 200


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("no_such_option", 1, "no_such_option"),
        ("page_size", "25", "page_size"),
        ("page_size", True, "page_size"),
        ("page_size", 0, "page_size"),
        ("token_expiration", -5, "token_expiration"),
        ("api_keys", "yes", "api_keys"),
        ("default_permissions", "view", "default_permissions"),
        ("default_permissions", [1], "default_permissions"),
        ("api_prefix", "api/user", "api_prefix"),
        ("bcrypt_cost", 3, "bcrypt_cost"),
        ("password_min_length", 0, "password_min_length"),
        ("cookie_secure", "auto", "cookie_secure"),
    ],
)
def test_a_bad_option_raises_value_error_naming_it(name, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        register_endpoints(Flask("x"), MemoryUserStore(), options_override={name: value})


def test_password_min_length_is_an_option(make_app) -> None:
    make_app()  # seeds the admin with a 19-character password
    client = make_app(password_min_length=20).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)  # 19 characters: existing users still log in
    short = client.post(
        "/api/user/users", json={"username": "x", "password": "a" * 19}, headers=auth(token)
    )
    assert short.status_code == 400 and "20" in body(short)["message"]


def test_cookie_secure_can_be_forced(make_app) -> None:
    response = (
        make_app(cookie_secure=True)
        .test_client()
        .post("/api/user/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_bcrypt_cost_is_the_cost_of_new_hashes(make_app, user_store) -> None:
    client = make_app(bcrypt_cost=5).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users", json={"username": "c", "password": USER_PASSWORD}, headers=auth(token)
    )
    assert user_store.get_by_username("c").password_hash.startswith("$2b$05$")


def test_registering_twice_on_one_app_is_an_error() -> None:
    app = Flask("x")
    register_endpoints(app, MemoryUserStore())
    with pytest.raises(RuntimeError, match="already"):
        register_endpoints(app, MemoryUserStore())


def test_check_login_state_outside_a_request_or_a_registered_app_says_which() -> None:
    with pytest.raises(RuntimeError, match="outside a request"):
        check_login_state()
    with (
        Flask("bare").test_request_context("/"),
        pytest.raises(RuntimeError, match="register_endpoints"),
    ):
        check_login_state()


def test_two_apps_in_one_process_are_independent(make_app) -> None:
    first = Flask("first")
    register_endpoints(first, MemoryUserStore(), options_override={"bcrypt_cost": 4})
    second = make_app()
    token = login(second.test_client(), "admin", ADMIN_PASSWORD)
    assert first.test_client().get("/api/user", headers=auth(token)).status_code == 401
    assert first.extensions["frappyauth"] is not second.extensions["frappyauth"]


def test_flask_errors_under_the_prefix_are_json_and_elsewhere_untouched(client) -> None:
    for response, status in [
        (client.get("/api/user/nothing"), 404),
        (client.put("/api/user/login"), 405),
    ]:
        assert (
            response.status_code == status
            and response.is_json
            and set(body(response)) == {"error", "message"}
        )
    assert client.put("/api/user/login").headers["Allow"]
    assert not client.get("/elsewhere").is_json
