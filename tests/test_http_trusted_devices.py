"""Trusted devices over HTTP on every store (option `trusted_devices`): a browser that gave a second
factor with `trustDevice: true` skips it for a while; listing and forgetting them; every way they
end."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frappyauth import register_endpoints
from frappyauth.core.minting import hash_secret
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from mfa_support import PREFIX, code, enrol, first_step, second_step
from soft_authenticator import SoftAuthenticator

TRUSTING = {"totp": True, "trusted_devices": True}
COOKIE = "frappyauth_device"
DAY = 24 * 60 * 60


@pytest.fixture
def app(make_app) -> Flask:
    return make_app(**TRUSTING)


@pytest.fixture
def secret(client, admin_token, clock) -> str:
    """The admin's TOTP secret; the clock then moves on a step, as a person takes a while."""
    totp_secret, _codes = enrol(client, admin_token, ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    return totp_secret


def device_cookie(response: Any) -> str | None:
    """The `Set-Cookie` header of the device cookie, if the response set one."""
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")]
    return cookies[0] if cookies else None


def trusted_login(client: FlaskClient, clock, totp_secret: str, username: str = "admin") -> Any:
    """A login with both steps, asking to trust this browser; the clock then moves a step on."""
    password = ADMIN_PASSWORD if username == "admin" else USER_PASSWORD
    answer = second_step(
        client,
        first_step(client, username, password),
        code=code(totp_secret, clock.now),
        trustDevice=True,
    )
    clock.advance(seconds=30)
    assert answer.status_code == 200, body(answer)
    return answer


def password_login(client: FlaskClient, username: str = "admin", password: str = ADMIN_PASSWORD):
    return body(client.post(f"{PREFIX}/login", json={"username": username, "password": password}))


def stored_devices(app: Flask) -> Any:
    return app.extensions["frappyauth"].services.stores.trusted_devices


def test_trusting_sets_an_httponly_cookie_and_stores_only_its_hash(app, client, clock, secret):
    answer = trusted_login(client, clock, secret)
    cookie = device_cookie(answer)
    assert cookie is not None
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/user" in cookie
    assert f"Max-Age={30 * DAY}" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    admin_id = body(answer)["user"]["id"]
    [stored] = stored_devices(app).list_for_user(admin_id, clock.now)
    assert stored.secret_hash == hash_secret(value) and value not in repr(stored)


def test_the_cookie_is_secure_when_the_session_cookie_is(make_app, clock) -> None:
    app = make_app(**TRUSTING, cookie_secure=True)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    totp_secret, _ = enrol(client, token, ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    answer = trusted_login(client, clock, totp_secret)
    assert "Secure" in device_cookie(answer)
    assert all("Secure" in c for c in answer.headers.getlist("Set-Cookie"))


def test_a_trusted_browser_skips_the_second_factor_and_another_does_not(
    app, client, clock, secret
) -> None:
    trusted_login(client, clock, secret)
    skipped = password_login(client)
    assert set(skipped) == {"user", "token"}
    assert client.get(PREFIX, headers=auth(skipped["token"])).status_code == 200
    assert password_login(app.test_client())["mfaRequired"] is True


def test_without_trust_device_no_cookie_is_set_and_nothing_is_skipped(client, clock, secret):
    answer = second_step(
        client, first_step(client, "admin", ADMIN_PASSWORD), code=code(secret, clock.now)
    )
    assert answer.status_code == 200 and device_cookie(answer) is None
    assert password_login(client)["mfaRequired"] is True


def test_a_wrong_password_is_refused_on_a_trusted_browser(client, clock, secret) -> None:
    trusted_login(client, clock, secret)
    refused = client.post(f"{PREFIX}/login", json={"username": "admin", "password": "wrong!"})
    assert (refused.status_code, body(refused)["error"]) == (401, "invalid_credentials")


@pytest.mark.parametrize("value", ["yes", 1, None, {"$ne": False}])
def test_a_trust_device_that_is_not_a_boolean_is_400_and_changes_nothing(
    app, client, clock, secret, value
) -> None:
    mfa_token = first_step(client, "admin", ADMIN_PASSWORD)
    refused = second_step(client, mfa_token, code=code(secret, clock.now), trustDevice=value)
    assert refused.status_code == 400 and device_cookie(refused) is None
    assert "token" not in body(refused)
    # The pending sign-in was not spent: the same step works once the body is right.
    assert second_step(client, mfa_token, code=code(secret, clock.now)).status_code == 200


def test_a_device_is_bound_to_its_user(app, client, admin_token, clock, secret) -> None:
    created = client.post(
        f"{PREFIX}/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin_token),
    )
    assert created.status_code == 200
    bob = app.test_client()
    enrol(bob, login(bob, "bob", USER_PASSWORD), USER_PASSWORD, clock.now)
    clock.advance(seconds=30)
    trusted_login(client, clock, secret)  # the admin trusts this browser
    # Bob signs in on the admin's trusted browser: his own second factor is still owed.
    assert password_login(client, "bob", USER_PASSWORD)["mfaRequired"] is True


def test_an_expired_device_skips_nothing(client, clock, secret) -> None:
    trusted_login(client, clock, secret)
    clock.advance(seconds=30 * DAY - 60)
    assert set(password_login(client)) == {"user", "token"}
    clock.advance(seconds=60)
    assert password_login(client)["mfaRequired"] is True


def test_the_lifetime_is_an_option(make_app, clock) -> None:
    app = make_app(**TRUSTING, trusted_device_lifetime=3600)
    client = app.test_client()
    totp_secret, _ = enrol(
        client, login(client, "admin", ADMIN_PASSWORD), ADMIN_PASSWORD, clock.now
    )
    clock.advance(seconds=30)
    assert "Max-Age=3600" in device_cookie(trusted_login(client, clock, totp_secret))
    clock.advance(seconds=3600)
    assert password_login(client)["mfaRequired"] is True


@pytest.mark.parametrize("skip_required", [False, True])
def test_holders_of_a_required_permission_never_skip_unless_the_option_says(
    make_app, clock, skip_required
) -> None:
    app = make_app(
        **TRUSTING, require_mfa_for=["admin"], trusted_devices_skip_required=skip_required
    )
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    totp_secret, _ = enrol(client, token, ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    trusted_login(client, clock, totp_secret)
    assert ("mfaRequired" not in password_login(client)) is skip_required


def test_the_list_shows_devices_without_secrets_and_last_use_moves(
    app, client, clock, secret
) -> None:
    cookie = device_cookie(trusted_login(client, clock, secret))
    value = cookie.split(";")[0].split("=", 1)[1]
    clock.advance(seconds=600)
    token = password_login(client)["token"]
    listed = body(client.get(f"{PREFIX}/devices", headers=auth(token)))["devices"]
    assert len(listed) == 1
    [device] = listed
    assert set(device) == {"id", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "current"}
    assert device["current"] is True and device["lastUsedAt"] > device["createdAt"]
    assert value not in str(listed) and hash_secret(value) not in str(listed)
    other = app.test_client()
    assert (
        body(other.get(f"{PREFIX}/devices", headers=auth(token)))["devices"][0]["current"] is False
    )


def test_forgetting_one_device_ends_its_skip_and_clears_its_cookie(app, client, clock, secret):
    trusted_login(client, clock, secret)
    token = password_login(client)["token"]
    [device] = body(client.get(f"{PREFIX}/devices", headers=auth(token)))["devices"]
    forgotten = client.delete(f"{PREFIX}/devices/{device['id']}", headers=auth(token))
    assert body(forgotten) == {"deviceId": device["id"], "deleted": True}
    assert device_cookie(forgotten).startswith(f"{COOKIE}=;")
    again = client.delete(f"{PREFIX}/devices/{device['id']}", headers=auth(token))
    assert (again.status_code, body(again)["error"]) == (404, "device_not_found")
    assert password_login(app.test_client())["mfaRequired"] is True


def test_nobody_forgets_another_users_device(app, client, clock, secret, user_token) -> None:
    trusted_login(client, clock, secret)
    token = password_login(client)["token"]
    [device] = body(client.get(f"{PREFIX}/devices", headers=auth(token)))["devices"]
    other = app.test_client()
    refused = other.delete(f"{PREFIX}/devices/{device['id']}", headers=auth(user_token))
    assert (refused.status_code, body(refused)["error"]) == (404, "device_not_found")
    assert body(other.get(f"{PREFIX}/devices", headers=auth(user_token))) == {"devices": []}
    assert set(password_login(client)) == {"user", "token"}


def test_forgetting_all_devices(app, client, clock, secret) -> None:
    trusted_login(client, clock, secret)
    elsewhere = app.test_client()
    trusted_login(elsewhere, clock, secret)
    token = password_login(client)["token"]
    forgotten = client.delete(f"{PREFIX}/devices", headers=auth(token))
    assert body(forgotten) == {"deleted": 2} and device_cookie(forgotten) is not None
    assert password_login(elsewhere)["mfaRequired"] is True


def reset_by_admin(app: Flask, admin_id: str, token: str) -> None:
    answer = app.test_client().post(
        f"{PREFIX}/users/{admin_id}/password",
        json={"password": "a brand new password"},
        headers=auth(token),
    )
    assert answer.status_code == 200


def reset_second_factors(app: Flask, admin_id: str, token: str) -> None:
    answer = app.test_client().delete(f"{PREFIX}/users/{admin_id}/mfa", headers=auth(token))
    assert answer.status_code == 200


def log_out_everywhere(app: Flask, _admin_id: str, token: str) -> None:
    answer = app.test_client().delete(f"{PREFIX}/sessions", headers=auth(token))
    assert answer.status_code == 200


@pytest.mark.parametrize("ending", [reset_by_admin, reset_second_factors, log_out_everywhere])
def test_a_reset_or_logging_out_everywhere_forgets_every_device(
    app, client, clock, secret, ending
) -> None:
    answer = trusted_login(client, clock, secret)
    admin_id, token = body(answer)["user"]["id"], body(answer)["token"]
    assert stored_devices(app).list_for_user(admin_id, clock.now)
    ending(app, admin_id, token)
    assert stored_devices(app).list_for_user(admin_id, clock.now) == []


def test_a_passkey_second_step_can_trust_the_browser_too(make_app, clock) -> None:
    app = make_app(passkeys=True, trusted_devices=True)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    authenticator = SoftAuthenticator()
    options = body(client.post(f"{PREFIX}/passkeys/register/options", json={}, headers=auth(token)))
    registered = client.post(
        f"{PREFIX}/passkeys/register",
        headers=auth(token),
        json={"name": "laptop", "credential": authenticator.create(options)},
    )
    assert registered.status_code == 200
    mfa_token = password_login(client)["mfaToken"]
    options = body(client.post(f"{PREFIX}/passkeys/login/options", json={"mfaToken": mfa_token}))
    answer = client.post(
        f"{PREFIX}/passkeys/login",
        json={"mfaToken": mfa_token, "credential": authenticator.get(options), "trustDevice": True},
    )
    assert answer.status_code == 200 and device_cookie(answer) is not None
    assert set(password_login(client)) == {"user", "token"}


def test_with_the_option_off_trust_device_is_ignored_and_devices_are_404(make_app, clock):
    app = make_app(totp=True)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    totp_secret, _ = enrol(client, token, ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    answer = second_step(
        client,
        first_step(client, "admin", ADMIN_PASSWORD),
        code=code(totp_secret, clock.now),
        trustDevice=True,
    )
    assert answer.status_code == 200 and device_cookie(answer) is None
    assert password_login(client)["mfaRequired"] is True
    off = client.get(f"{PREFIX}/devices", headers=auth(body(answer)["token"]))
    assert (off.status_code, body(off)["error"]) == (404, "feature_disabled")
    assert "trusted_devices" in body(off)["message"]


def test_the_option_needs_a_second_factor(make_app) -> None:
    with pytest.raises(ValueError, match="'trusted_devices' needs option 'totp' or 'passkeys'"):
        make_app(trusted_devices=True)


def test_deleting_a_user_forgets_their_devices(app, client, admin_token, clock) -> None:
    created = client.post(
        f"{PREFIX}/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin_token),
    )
    bob_id = body(created)["id"]
    bob = app.test_client()
    bob_secret, _ = enrol(bob, login(bob, "bob", USER_PASSWORD), USER_PASSWORD, clock.now)
    clock.advance(seconds=30)
    trusted_login(bob, clock, bob_secret, username="bob")
    assert stored_devices(app).list_for_user(bob_id, clock.now)
    deleted = client.delete(f"{PREFIX}/users/{bob_id}", headers=auth(admin_token))
    assert deleted.status_code == 200
    assert stored_devices(app).list_for_user(bob_id, clock.now) == []


def test_trusting_the_same_browser_again_replaces_its_device(make_app, clock) -> None:
    # A holder of a required permission gives the second step on a trusted browser too.
    app = make_app(**TRUSTING, require_mfa_for=["admin"])
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    totp_secret, _ = enrol(client, token, ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    trusted_login(client, clock, totp_secret)
    elsewhere = app.test_client()
    trusted_login(elsewhere, clock, totp_secret)
    answer = trusted_login(client, clock, totp_secret)
    devices = body(client.get(f"{PREFIX}/devices", headers=auth(body(answer)["token"])))["devices"]
    assert [d["current"] for d in devices] == [True, False]


def test_a_given_trusted_device_store_is_used_and_a_wrong_one_refused(
    user_store, token_store, clock, ledger, trusted_device_store
) -> None:
    app = Flask("given")
    register_endpoints(
        app,
        user_store,
        token_store,
        {"totp": True, "trusted_devices": True, "mfa_encryption_key": "k" * 32},
        trusted_device_store=trusted_device_store,
    )
    assert stored_devices(app) is trusted_device_store
    with pytest.raises(TypeError, match="trusted_device_store must be a TrustedDeviceStore"):
        register_endpoints(
            Flask("wrong"),
            user_store,
            token_store,
            {"totp": True, "trusted_devices": True, "mfa_encryption_key": "k" * 32},
            trusted_device_store=user_store,  # has `get` and `create`, not the rest
        )
