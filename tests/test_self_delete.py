"""Deleting one's own account (`DELETE /me`, option `allow_self_delete`, GDPR article 17), and the
administrator's deletion, which has the same effect: everything stored about the user goes, but
the audit trail's entries, which keep only an opaque id."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from conftest import NOW
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from mfa_support import code, enrol, first_step, second_step
from smtp_support import delivered, token_in

PREFIX = "/api/user"
SELF_DELETE = {"allow_self_delete": True, "api_keys": True, "totp": True, "audit_trail": True}
NAME, ADDRESS = "Zebulon", "zebulon.q@example.org"


def new_user(client, admin_token: str, name: str = NAME, **extra: Any) -> str:
    created = client.post(
        f"{PREFIX}/users",
        json={"username": name, "password": USER_PASSWORD, **extra},
        headers=auth(admin_token),
    )
    assert created.status_code == 200, created.get_json()
    return body(created)["id"]


def delete_me(client, token: str, **factor: str):
    return client.delete(
        f"{PREFIX}/me", json={"password": USER_PASSWORD, **factor}, headers=auth(token)
    )


@pytest.fixture
def app(make_app):
    return make_app(**SELF_DELETE)


def test_the_option_is_off_by_default(make_app) -> None:
    client = make_app().test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    refused = client.delete(f"{PREFIX}/me", json={"password": ADMIN_PASSWORD}, headers=auth(token))
    assert refused.status_code == 404 and body(refused)["error"] == "feature_disabled"
    assert "allow_self_delete" in body(refused)["message"]


def test_the_right_password_deletes_the_account_and_ends_its_sessions(
    app, client, admin_token, user_store
) -> None:
    user_id = new_user(client, admin_token)
    token = login(client, NAME, USER_PASSWORD)
    other = login(app.test_client(), NAME, USER_PASSWORD)
    deleted = delete_me(client, token)
    assert deleted.status_code == 200 and body(deleted) == {"userId": user_id, "deleted": True}
    assert "Authorization=;" in deleted.headers["Set-Cookie"]
    assert user_store.get(user_id) is None
    assert client.get(PREFIX, headers=auth(other)).status_code == 401
    refused = client.post(f"{PREFIX}/login", json={"username": NAME, "password": USER_PASSWORD})
    assert refused.status_code == 401


def test_a_wrong_password_deletes_nothing_and_counts_in_the_throttle(make_app, user_store) -> None:
    client = make_app(**SELF_DELETE, max_failed_logins=2).test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    user_id = new_user(client, admin)
    token = login(client, NAME, USER_PASSWORD)
    answers = [
        client.delete(f"{PREFIX}/me", json={"password": "not my password"}, headers=auth(token))
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [403, 403, 429]
    assert user_store.get(user_id) is not None
    assert client.get(PREFIX, headers=auth(token)).status_code == 200


def test_bad_bodies_and_api_keys_are_refused(app, client, admin_token) -> None:
    new_user(client, admin_token)
    token = login(client, NAME, USER_PASSWORD)
    assert client.delete(f"{PREFIX}/me", json={}, headers=auth(token)).status_code == 400
    wrong_type = client.delete(f"{PREFIX}/me", json={"password": 5}, headers=auth(token))
    assert wrong_type.status_code == 400
    key = body(client.post(f"{PREFIX}/keys", json={"name": "ci"}, headers=auth(token)))["apiKey"]
    by_key = client.delete(
        f"{PREFIX}/me", json={"password": USER_PASSWORD}, headers={"Authorization": f"Token {key}"}
    )
    assert by_key.status_code == 403
    assert client.get(PREFIX, headers=auth(token)).status_code == 200


def test_with_a_second_factor_an_old_session_needs_a_code(app, client, admin_token, clock) -> None:
    user_id = new_user(client, admin_token)
    token = login(client, NAME, USER_PASSWORD)
    secret, _ = enrol(client, token, USER_PASSWORD, clock.now)
    clock.advance(minutes=11)
    refused = delete_me(client, token)
    assert refused.status_code == 403 and body(refused)["error"] == "second_factor_required"
    wrong = delete_me(client, token, code=code(secret, clock.now, steps=-40))
    assert wrong.status_code == 403 and body(wrong)["error"] == "invalid_mfa_code"
    assert app.extensions["frappyauth"].services.stores.users.get(user_id) is not None
    deleted = delete_me(client, token, code=code(secret, clock.now))
    assert deleted.status_code == 200


def test_with_a_second_factor_a_sign_in_of_the_last_ten_minutes_is_enough(
    app, client, admin_token, clock, user_store
) -> None:
    user_id = new_user(client, admin_token)
    token = login(client, NAME, USER_PASSWORD)
    secret, recovery = enrol(client, token, USER_PASSWORD, clock.now)
    clock.advance(minutes=9)
    # The session of the enrolment proved no second factor: it is not enough.
    assert delete_me(client, token).get_json()["error"] == "second_factor_required"
    token = signed_in_with_second_factor(client, recovery[0])
    clock.advance(minutes=9)
    assert delete_me(client, token).status_code == 200
    assert user_store.get(user_id) is None


def test_a_recovery_code_does_too(app, client, admin_token, clock, user_store) -> None:
    new_user(client, admin_token)
    token = login(client, NAME, USER_PASSWORD)
    _, recovery = enrol(client, token, USER_PASSWORD, clock.now)
    clock.advance(hours=1)
    assert delete_me(client, token, recoveryCode=recovery[0]).status_code == 200


def test_the_last_admin_is_refused_and_another_admin_may_go(app, client, admin_token) -> None:
    refused = client.delete(
        f"{PREFIX}/me", json={"password": ADMIN_PASSWORD}, headers=auth(admin_token)
    )
    assert refused.status_code == 409 and body(refused)["error"] == "last_admin"
    assert client.get(PREFIX, headers=auth(admin_token)).status_code == 200
    new_user(client, admin_token, "second admin", permissions=["admin"])
    token = login(client, "second admin", USER_PASSWORD)
    assert delete_me(client, token).status_code == 200
    assert (
        client.delete(
            f"{PREFIX}/me", json={"password": ADMIN_PASSWORD}, headers=auth(admin_token)
        ).status_code
        == 409
    )


# The same effect, whoever deletes: nothing of the user is left but pseudonymous audit entries.


def leave_traces(app, client, admin_token: str, clock) -> tuple[str, str]:
    """A user through the events an account goes through, left with an address, sessions, a key,
    TOTP, throttle counters, mailed links and seen devices; return its id and a session token."""
    user_id = new_user(client, admin_token, email=ADDRESS, profile={"name": NAME})
    client.post(f"{PREFIX}/login", json={"username": NAME, "password": "a wrong password"})
    token = login(client, NAME, USER_PASSWORD)
    admin = auth(admin_token)
    client.post(f"{PREFIX}/users/{user_id}/profile", json={"name": NAME}, headers=admin)
    client.post(
        f"{PREFIX}/password",
        json={"oldPassword": USER_PASSWORD, "newPassword": USER_PASSWORD + "!"},
        headers=auth(token),
    )
    client.post(
        f"{PREFIX}/users/{user_id}/password", json={"password": USER_PASSWORD}, headers=admin
    )
    client.post(f"{PREFIX}/users/{user_id}/unlock", headers=admin)
    client.post(
        f"{PREFIX}/users/{user_id}/permissions", json={"permissions": ["view"]}, headers=admin
    )
    token = login(client, NAME, USER_PASSWORD)
    other_network = app.test_client()
    other_network.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    login(other_network, NAME, USER_PASSWORD)  # a new device: an alert
    client.post(
        f"{PREFIX}/email",
        json={"password": USER_PASSWORD, "email": "z2@example.org"},
        headers=auth(token),
    )
    client.post(f"{PREFIX}/keys", json={"name": "ci"}, headers=auth(token))
    _, recovery = enrol(client, token, USER_PASSWORD, clock.now)
    client.post(f"{PREFIX}/login", json={"username": NAME, "password": "wrong again"})
    client.post(f"{PREFIX}/password-reset", json={"email": ADDRESS})
    delivered(app)
    return user_id, signed_in_with_second_factor(client, recovery[0])


def signed_in_with_second_factor(client, recovery_code: str) -> str:
    pending = first_step(client, NAME, USER_PASSWORD)
    return second_step(client, pending, recoveryCode=recovery_code).get_json()["token"]


def nothing_left_of(stores, user_id: str, username_key: str) -> None:
    assert stores.users.get(user_id) is None
    assert stores.sessions.list_for_user(user_id, NOW) == []
    assert stores.api_keys.list_for_user(user_id, NOW) == []
    assert stores.mfa.get_totp(user_id) is None and stores.mfa.list_passkeys(user_id) == []
    assert stores.mail_tokens.delete_for_user(user_id) == 0
    assert stores.devices.list_for_user(user_id) == []
    assert stores.attempts.get(f"user:{username_key}", NOW) is None


@pytest.mark.parametrize("who", ["self", "administrator"])
def test_self_delete_and_admin_delete_leave_the_same_nothing(
    make_mail_app, smtp_server, audit_store, clock, who
) -> None:
    app = make_mail_app(
        **SELF_DELETE, password_reset=True, email_change=True, new_device_alerts=True
    )
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    user_id, token = leave_traces(app, client, admin, clock)
    stores = app.extensions["frappyauth"].services.stores
    assert stores.devices.list_for_user(user_id) and stores.api_keys.list_for_user(user_id, NOW)
    assert stores.mfa.get_totp(user_id) is not None
    assert stores.attempts.get(f"user:{NAME.casefold()}", NOW) is not None
    if who == "self":
        deleted = delete_me(client, token)  # within minutes of the sign-in
    else:
        deleted = client.delete(f"{PREFIX}/users/{user_id}", headers=auth(admin))
    assert deleted.status_code == 200, body(deleted)
    nothing_left_of(stores, user_id, NAME.casefold())
    delivered(app)
    reset_token = token_in(smtp_server.to(ADDRESS)[-1])
    confirm = client.post(
        f"{PREFIX}/password-reset/confirm", json={"token": reset_token, "password": "x" * 20}
    )
    assert confirm.status_code == 400  # its link died with the account

    kept = audit_store.page(user_id, None, None, NOW - timedelta(days=1), 100)
    assert {"login-failed", "login-succeeded", "api-key-created", "mfa-enabled"} <= {
        entry.event for entry in kept
    }
    assert kept[0].event == "user-deleted" and kept[0].user_id == user_id
    everything = audit_store.page(None, None, None, NOW - timedelta(days=1), 100)
    text = json.dumps([vars(entry) for entry in everything], default=str).casefold()
    assert NAME.casefold() not in text and ADDRESS not in text and "zebulon" not in text
