"""Changing a username over HTTP: an administrator's rename, the user's own (option
`allow_username_change`), the rules of new names, the old name's reservation, and what keeps
working."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from frappyauth.core import signals
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

PREFIX = "/api/user"


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(api_keys=True, allow_username_change=True)


@pytest.fixture
def admin(app: Flask) -> dict[str, str]:
    return auth(login(app.test_client(), "admin", ADMIN_PASSWORD))


def create(app: Flask, admin: dict[str, str], username: str) -> str:
    response = app.test_client().post(
        f"{PREFIX}/users", json={"username": username, "password": USER_PASSWORD}, headers=admin
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["id"]


def rename(app: Flask, admin: dict[str, str], user_id: str, username: Any) -> Any:
    return app.test_client().post(
        f"{PREFIX}/users/{user_id}/username", json={"username": username}, headers=admin
    )


def error(response: Any) -> tuple[int, str]:
    return response.status_code, body(response)["error"]


def test_an_administrator_renames_a_user_whose_session_and_key_keep_working(app, admin) -> None:
    user_id = create(app, admin, "bob")
    client = app.test_client()
    token = login(client, "bob", USER_PASSWORD)
    api_key = client.post(f"{PREFIX}/key", headers=auth(token)).get_json()["apiKey"]
    renamed = rename(app, admin, user_id, "robert")
    assert renamed.status_code == 200 and body(renamed)["username"] == "robert"
    assert body(renamed)["id"] == user_id
    assert client.get(PREFIX, headers=auth(token)).get_json()["username"] == "robert"
    assert client.get(PREFIX, headers={"Authorization": f"Token {api_key}"}).status_code == 200
    assert login(client, "robert", USER_PASSWORD)
    old = client.post(f"{PREFIX}/login", json={"username": "bob", "password": USER_PASSWORD})
    assert old.status_code == 401


def test_the_old_name_and_its_lookalikes_stay_reserved_for_the_set_days(app, admin, clock) -> None:
    user_id = create(app, admin, "bob")
    assert rename(app, admin, user_id, "robert").status_code == 200
    other = create(app, admin, "carol")
    for name in ("bob", "BOB", "b\u043eb"):  # the name, another case, a Cyrillic о
        taken = app.test_client().post(
            f"{PREFIX}/users", json={"username": name, "password": USER_PASSWORD}, headers=admin
        )
        assert error(taken) == (409, "username_taken")
        assert error(rename(app, admin, other, name)) == (409, "username_taken")
    clock.advance(days=30, seconds=1)
    admin = auth(login(app.test_client(), "admin", ADMIN_PASSWORD))  # the old session expired
    assert rename(app, admin, other, "bob").status_code == 200


def test_a_user_may_take_their_own_reserved_name_back(app, admin) -> None:
    user_id = create(app, admin, "bob")
    assert rename(app, admin, user_id, "robert").status_code == 200
    assert body(rename(app, admin, user_id, "Bob"))["username"] == "Bob"


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("admin", (409, "username_taken")),
        ("ADMIN", (409, "username_taken")),
        ("\u0430dmin", (409, "username_taken")),  # Cyrillic а
        (" bob", (400, "bad_request")),
        ("bob\u200d", (400, "bad_request")),
        ("b" * 151, (400, "bad_request")),
        ("", (400, "bad_request")),
        (["bob"], (400, "bad_request")),
    ],
)
def test_a_new_name_follows_the_rules_of_a_new_account(app, admin, username, expected) -> None:
    user_id = create(app, admin, "bob")
    assert error(rename(app, admin, user_id, username)) == expected
    assert login(app.test_client(), "bob", USER_PASSWORD)  # nothing changed


def test_renaming_needs_an_administrator_and_a_user(app, admin) -> None:
    user_id = create(app, admin, "bob")
    token = login(app.test_client(), "bob", USER_PASSWORD)
    assert rename(app, auth(token), user_id, "robert").status_code == 403
    assert error(rename(app, admin, "0123456789abcdef01234567", "robert"))[0] == 404


def test_a_rename_is_announced_by_id_without_a_name(app, admin) -> None:
    user_id, seen = create(app, admin, "bob"), []

    def receive(sender: Any, **facts: Any) -> None:
        seen.append(facts)

    with signals.username_changed.connected_to(receive, app):
        rename(app, admin, user_id, "robert")
    assert [f["user_id"] for f in seen] == [user_id]
    assert not {"bob", "robert"} & {str(v) for f in seen for v in f.values()}


# a user's own


def own(app: Flask, token: str, password: str, username: Any) -> Any:
    return app.test_client().post(
        f"{PREFIX}/username", json={"password": password, "username": username}, headers=auth(token)
    )


def test_a_user_renames_themselves_with_their_password(app, admin) -> None:
    create(app, admin, "bob")
    token = login(app.test_client(), "bob", USER_PASSWORD)
    renamed = own(app, token, USER_PASSWORD, "robert")
    assert renamed.status_code == 200 and body(renamed)["username"] == "robert"
    assert app.test_client().get(PREFIX, headers=auth(token)).status_code == 200


def test_a_wrong_password_is_403_changes_nothing_and_counts(make_app, admin) -> None:
    app = make_app(allow_username_change=True, max_failed_logins=2)
    create(app, admin, "bob")
    token = login(app.test_client(), "bob", USER_PASSWORD)
    assert error(own(app, token, "not the password", "robert")) == (403, "forbidden")
    assert own(app, token, "not the password", "robert").status_code == 403
    assert own(app, token, "not the password", "robert").status_code == 429
    assert app.test_client().get(PREFIX, headers=auth(token)).get_json()["username"] == "bob"


def test_without_the_option_the_own_endpoint_is_off(make_app) -> None:
    app = make_app()
    token = login(app.test_client(), "admin", ADMIN_PASSWORD)
    response = own(app, token, ADMIN_PASSWORD, "root")
    assert error(response) == (404, "feature_disabled") and "allow_username_change" in str(
        body(response)
    )


def test_a_sign_up_racing_a_rename_away_gives_way_to_the_reservation(
    app, admin, user_store
) -> None:
    """Forced: the new account's first check finds "bob" free, then bob renames away (reserving
    it), then the account is written; its second check finds the reservation and undoes it."""
    user_id = create(app, admin, "bob")
    real = user_store.get_by_reserved_name
    checks = []

    def rename_after_the_first_check(keys: Any, now: Any) -> Any:
        found = real(keys, now)
        checks.append(found)
        if len(checks) == 1:
            assert rename(app, admin, user_id, "robert").status_code == 200
        return found

    user_store.get_by_reserved_name = rename_after_the_first_check
    try:
        taken = app.test_client().post(
            f"{PREFIX}/users", json={"username": "Bob", "password": USER_PASSWORD}, headers=admin
        )
    finally:
        del user_store.get_by_reserved_name
    assert error(taken) == (409, "username_taken")
    assert checks[0] is None and checks[-1] is not None  # the interleaving happened
    total = app.test_client().get(f"{PREFIX}/users", headers=admin).get_json()["total"]
    assert total == 2  # admin and robert: the racing account is gone
