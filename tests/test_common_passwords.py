"""New passwords on the shipped list of common passwords are refused (option
`refuse_common_passwords`), on every path that sets one; a login never checks the list."""

from __future__ import annotations

import gzip
import hashlib
from importlib import resources
from typing import Any

import pytest
from flask import Flask

from frappyauth.core.common_passwords import LIST_RESOURCE, common_passwords, is_common_password
from frappyauth.core.errors import PasswordTooCommonError
from frappyauth.core.options import build_options
from frappyauth.core.password_rules import PasswordRules
from backends import MONGO_BACKEND_PARAMS
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, login
from smtp_support import SmtpServer, delivered, token_in

COMMON = "1qaz2wsx3edc"  # 12 characters, long enough for the length rule, and on the list
COMMON_OTHER_CASE = "QWERTY123456"  # "qwerty123456" is listed
LIST_SHA256 = "84f9f01da3323b41cdc030f89f7fab65bf76a7e0d5265acabb715c2b3795f148"


def refused(response: Any) -> bool:
    return (response.status_code, response.get_json()["error"]) == (400, "password_too_common")


# the list


def test_the_list_ships_in_the_package_with_its_notice_and_holds_the_100000_most_common() -> None:
    package = resources.files("frappyauth")
    packed = package.joinpath(LIST_RESOURCE).read_bytes()
    text = gzip.decompress(packed)
    assert hashlib.sha256(text).hexdigest() == LIST_SHA256
    assert len(text.splitlines()) == 100_000
    notice = package.joinpath("data/NOTICE").read_text(encoding="utf-8")
    assert "MIT License" in notice and LIST_SHA256 in notice
    # 96,518 once case-folded: the list has "Password" beside "password"
    assert len(common_passwords()) > 96_000
    assert common_passwords() is common_passwords()  # read once per process


@pytest.mark.parametrize(
    "password",
    ["123456", "password", "Password", "PASSWORD", COMMON, COMMON_OTHER_CASE, "ｐａｓｓｗｏｒｄ"],
)
def test_listed_passwords_match_in_any_case_and_unicode_form(password: str) -> None:
    assert is_common_password(password)


@pytest.mark.parametrize("password", ["correct horse battery staple", "", "1qaz2wsx3edc!"])
def test_other_passwords_do_not_match(password: str) -> None:
    assert not is_common_password(password)


def test_the_rules_refuse_a_listed_password_only_with_the_option() -> None:
    with pytest.raises(PasswordTooCommonError):
        PasswordRules(build_options({"refuse_common_passwords": True})).check(COMMON)
    assert PasswordRules(build_options({})).check(COMMON) == COMMON
    assert PasswordRules(build_options({"refuse_common_passwords": True})).check(USER_PASSWORD)


# every path that sets a password, over HTTP and the CLI


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(refuse_common_passwords=True)


@pytest.fixture
def admin(app: Flask) -> dict[str, str]:
    return auth(login(app.test_client(), "admin", ADMIN_PASSWORD))


def create_bob(app: Flask, admin: dict[str, str]) -> str:
    response = app.test_client().post(
        "/api/user/users", json={"username": "bob", "password": USER_PASSWORD}, headers=admin
    )
    assert response.status_code == 200
    return response.get_json()["id"]


def test_an_administrator_cannot_create_a_user_with_a_common_password(app, admin) -> None:
    client = app.test_client()
    for password in (COMMON, COMMON_OTHER_CASE):
        response = client.post(
            "/api/user/users", json={"username": "bob", "password": password}, headers=admin
        )
        assert refused(response)
    assert client.get("/api/user/users", headers=admin).get_json()["total"] == 1


def test_an_administrator_cannot_set_a_common_password(app, admin) -> None:
    user_id = create_bob(app, admin)
    client = app.test_client()
    assert refused(
        client.post(f"/api/user/users/{user_id}/password", json={"password": COMMON}, headers=admin)
    )
    assert login(client, "bob", USER_PASSWORD)


def test_a_user_cannot_change_to_a_common_password(app, admin) -> None:
    create_bob(app, admin)
    client = app.test_client()
    token = login(client, "bob", USER_PASSWORD)
    response = client.post(
        "/api/user/password",
        json={"oldPassword": USER_PASSWORD, "newPassword": COMMON},
        headers=auth(token),
    )
    assert refused(response)
    assert client.get("/api/user", headers=auth(token)).status_code == 200  # nothing ended
    assert login(client, "bob", USER_PASSWORD)


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_the_cli_cannot_set_a_common_password(app, admin) -> None:
    create_bob(app, admin)
    result = app.test_cli_runner().invoke(
        args=["frappyauth", "set-password", "bob"], input=f"{COMMON}\n{COMMON}\n"
    )
    assert result.exit_code != 0 and "most common" in result.output
    assert COMMON not in result.output
    assert login(app.test_client(), "bob", USER_PASSWORD)


def test_sign_up_cannot_choose_a_common_password(make_mail_app, smtp_server: SmtpServer) -> None:
    app = make_mail_app(registration=True, refuse_common_passwords=True)
    client = app.test_client()
    response = client.post(
        "/api/user/register",
        json={"username": "carol", "password": COMMON, "email": "carol@example.org"},
    )
    assert refused(response)
    assert (
        client.post("/api/user/login", json={"username": "carol", "password": COMMON}).status_code
        == 401
    )


def test_a_reset_cannot_choose_a_common_password_and_keeps_its_token(
    make_mail_app, smtp_server: SmtpServer, ledger
) -> None:
    app = make_mail_app(password_reset=True, refuse_common_passwords=True)
    client = app.test_client()
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    created = client.post(
        "/api/user/users",
        json={"username": "ann", "password": USER_PASSWORD, "email": "ann@example.org"},
        headers=admin,
    )
    assert created.status_code == 200
    client.post("/api/user/password-reset", json={"email": "ann@example.org"})
    delivered(app)
    token = token_in(smtp_server.to("ann@example.org")[-1])
    ledger.minted.add(token)
    confirm = "/api/user/password-reset/confirm"
    assert refused(client.post(confirm, json={"token": token, "password": COMMON}))
    assert login(client, "ann", USER_PASSWORD)
    # The refusal did not use the token up.
    assert (
        client.post(
            confirm, json={"token": token, "password": "ann's own new password"}
        ).status_code
        == 200
    )


# what stays as it was


def test_without_the_option_a_common_password_is_accepted_as_in_the_seed(make_app) -> None:
    app = make_app()
    admin = auth(login(app.test_client(), "admin", ADMIN_PASSWORD))
    response = app.test_client().post(
        "/api/user/users", json={"username": "bob", "password": COMMON}, headers=admin
    )
    assert response.status_code == 200


def test_a_login_never_checks_the_list(make_app) -> None:
    before = make_app()
    admin = auth(login(before.test_client(), "admin", ADMIN_PASSWORD))
    before.test_client().post(
        "/api/user/users", json={"username": "bob", "password": COMMON}, headers=admin
    )
    after = make_app(refuse_common_passwords=True)  # the same stores, the option now on
    assert login(after.test_client(), "bob", COMMON)


def test_the_demo_turns_the_refusal_on() -> None:
    from frappyauth_demo.app import create_app

    app = create_app({"FRAPPYAUTH_ADMIN_PASSWORD": ADMIN_PASSWORD})
    admin = auth(login(app.test_client(), "admin", ADMIN_PASSWORD))
    response = app.test_client().post(
        "/api/user/users", json={"username": "bob", "password": COMMON}, headers=admin
    )
    assert refused(response)
