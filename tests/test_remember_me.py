"""Option `remember_me`: a sign-in chooses a persistent session cookie or one that ends with the
browser session, through the second factor too; without the option the cookie is the seed's."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask

from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth
from mfa_support import PREFIX, code, enrol, first_step, second_step

DAY = 24 * 60 * 60
REMEMBER = {"remember_me": True, "remember_lifetime": 30 * DAY}


def log_in(client: Any, **extra: Any) -> Any:
    return client.post(
        f"{PREFIX}/login", json={"username": "admin", "password": ADMIN_PASSWORD, **extra}
    )


def cookie_of(response: Any) -> str:
    assert response.status_code == 200, response.get_json()
    return response.headers["Set-Cookie"]


def seed_cookie(header: str, token: str) -> str:
    """The seed's cookie for `token`: `token_expiration` (86,400 s) as Max-Age and Expires."""
    expires = re.search(r"Expires=([^;]+);", header)
    assert expires is not None
    moment = parsedate_to_datetime(expires.group(1))
    assert abs(moment - (datetime.now(timezone.utc) + timedelta(days=1))) < timedelta(seconds=60)
    return (
        f"Authorization={token}; Expires={expires.group(1)}; Max-Age=86400; HttpOnly; Path=/; "
        "SameSite=Lax"
    )


@pytest.mark.parametrize("extra", [{}, {"remember": True}, {"remember": False}, {"remember": 3}])
def test_without_the_option_the_cookie_is_the_seeds_whatever_the_body_says(make_app, extra) -> None:
    response = log_in(make_app().test_client(), **extra)
    header = cookie_of(response)
    assert header == seed_cookie(header, response.get_json()["token"])


def test_remember_false_sets_a_cookie_that_ends_with_the_browser_session(make_app, clock) -> None:
    client = make_app(**REMEMBER).test_client()
    for extra in ({"remember": False}, {}):
        response = log_in(client, **extra)
        token = response.get_json()["token"]
        assert cookie_of(response) == (
            f"Authorization={token}; HttpOnly; Path=/; SameSite=Lax"  # no Max-Age, no Expires
        )
    clock.advance(seconds=DAY + 1)  # the session itself lasts token_expiration, as before
    assert client.get(PREFIX, headers=auth(token)).status_code == 401


def test_remember_true_sets_a_persistent_cookie_and_a_session_as_long(make_app, clock) -> None:
    client = make_app(**REMEMBER).test_client()
    response = log_in(client, remember=True)
    header, token = cookie_of(response), response.get_json()["token"]
    assert "Max-Age=2592000" in header and "Expires=" in header and "HttpOnly" in header
    clock.advance(days=29)  # past token_expiration, within remember_lifetime
    assert client.get(PREFIX, headers=auth(token)).status_code == 200
    clock.advance(days=1, seconds=1)
    assert client.get(PREFIX, headers=auth(token)).status_code == 401


@pytest.mark.parametrize("value", [1, "yes", None, []])
def test_a_remember_that_is_not_a_boolean_is_400_and_signs_nobody_in(make_app, value) -> None:
    response = log_in(make_app(**REMEMBER).test_client(), remember=value)
    assert response.status_code == 400 and "Set-Cookie" not in response.headers


# through the second factor


@pytest.fixture
def mfa_app(make_app: Any, clock: Any) -> tuple[Flask, str]:
    app = make_app(totp=True, **REMEMBER)
    client = app.test_client()
    admin = log_in(client).get_json()["token"]
    created = client.post(
        f"{PREFIX}/users",
        json={"username": "bob", "password": USER_PASSWORD},
        headers=auth(admin),
    )
    assert created.status_code == 200
    token = client.post(
        f"{PREFIX}/login", json={"username": "bob", "password": USER_PASSWORD}
    ).get_json()["token"]
    secret, _ = enrol(client, token, USER_PASSWORD, clock.now)
    return app, secret


@pytest.mark.parametrize(
    ("remember", "max_age"), [(True, "Max-Age=2592000"), (False, None), (None, None)]
)
def test_the_second_step_sets_the_cookie_it_is_asked_for(mfa_app, clock, remember, max_age) -> None:
    app, secret = mfa_app
    client = app.test_client()
    pending = client.post(
        f"{PREFIX}/login", json={"username": "bob", "password": USER_PASSWORD, "remember": True}
    )
    assert pending.get_json()["mfaRequired"] is True and "Set-Cookie" not in pending.headers
    clock.advance(seconds=30)  # the enrolment used this step's code
    extra = {} if remember is None else {"remember": remember}
    answer = second_step(
        client, pending.get_json()["mfaToken"], code=code(secret, clock.now), **extra
    )
    header = cookie_of(answer)
    if max_age is None:
        assert "Max-Age" not in header and "Expires" not in header
    else:
        assert max_age in header


def test_a_bad_remember_in_the_second_step_is_400_and_keeps_the_pending_sign_in(
    mfa_app, clock
) -> None:
    app, secret = mfa_app
    client = app.test_client()
    mfa_token = first_step(client, "bob", USER_PASSWORD)
    clock.advance(seconds=30)
    refused = second_step(client, mfa_token, code=code(secret, clock.now), remember="always")
    assert refused.status_code == 400 and "Set-Cookie" not in refused.headers
    answer = second_step(client, mfa_token, code=code(secret, clock.now), remember=True)
    assert "Max-Age=2592000" in cookie_of(answer)


@pytest.mark.parametrize(("remember", "persistent"), [(True, True), (False, False)])
def test_a_passwordless_passkey_sign_in_sets_the_cookie_it_is_asked_for(
    make_app, remember, persistent
) -> None:
    from soft_authenticator import SoftAuthenticator

    client = make_app(passkeys=True, passwordless=True, **REMEMBER).test_client()
    token = log_in(client).get_json()["token"]
    authenticator = SoftAuthenticator()
    options = client.post(
        f"{PREFIX}/passkeys/register/options", json={}, headers=auth(token)
    ).get_json()
    registered = client.post(
        f"{PREFIX}/passkeys/register",
        json={"name": "laptop", "credential": authenticator.create(options)},
        headers=auth(token),
    )
    assert registered.status_code == 200
    options = client.post(f"{PREFIX}/passkeys/login/options", json={}).get_json()
    answer = client.post(
        f"{PREFIX}/passkeys/login",
        json={"credential": authenticator.get(options), "remember": remember},
    )
    assert ("Max-Age=2592000" in cookie_of(answer)) is persistent
