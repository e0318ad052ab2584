"""Passkeys over HTTP on every store, with the software authenticator of `soft_authenticator`:
registering, managing, logging in as a second factor and passwordless, and every refusal."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from frappyauth.core import signals
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from soft_authenticator import SoftAuthenticator

PREFIX = "/api/user"
PASSKEYS = {"passkeys": True, "passwordless": True}


@pytest.fixture
def app(make_app) -> Flask:
    return make_app(**PASSKEYS)


def register(
    client, token: str, authenticator: SoftAuthenticator, name: str = "laptop", **bend
) -> object:
    options = body(client.post(f"{PREFIX}/passkeys/register/options", json={}, headers=auth(token)))
    return client.post(
        f"{PREFIX}/passkeys/register",
        headers=auth(token),
        json={"name": name, "credential": authenticator.create(options, **bend)},
    )


@pytest.fixture
def keyed(client, admin_token):
    """The admin with a passkey."""
    authenticator = SoftAuthenticator()
    assert register(client, admin_token, authenticator).status_code == 200
    return authenticator


def mfa_token(client) -> str:
    answer = body(
        client.post(f"{PREFIX}/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    )
    assert answer["mfaRequired"] is True and answer["methods"] == ["passkey"], answer
    return answer["mfaToken"]


def passkey_login(client, authenticator: SoftAuthenticator, token: str | None = None, **bend):
    extra = {} if token is None else {"mfaToken": token}
    options = body(client.post(f"{PREFIX}/passkeys/login/options", json=extra))
    return client.post(
        f"{PREFIX}/passkeys/login", json={**extra, "credential": authenticator.get(options, **bend)}
    )


def test_with_passkeys_off_nothing_changes(make_app) -> None:
    client = make_app().test_client()
    answer = body(
        client.post(f"{PREFIX}/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    )
    assert set(answer) == {"user", "token"} and "mfa" not in answer["user"]
    assert client.post(f"{PREFIX}/passkeys/login/options", json={}).status_code == 404


@pytest.mark.parametrize("fmt", ["none", "packed"])
def test_register_list_rename_and_remove(app, client, admin_token, fmt) -> None:
    events = []
    for signal in (signals.passkey_registered, signals.passkey_removed):
        signal.connect(
            lambda sender, _n=signal.name, **kw: events.append((_n, kw["passkey_id"])),
            sender=app,
            weak=False,
        )
    authenticator = SoftAuthenticator()
    registered = register(client, admin_token, authenticator, fmt=fmt)
    assert registered.status_code == 200
    assert body(registered) == {
        "id": authenticator.id,
        "name": "laptop",
        "createdAt": "2100-01-01T12:00:00Z",
        "lastUsedAt": None,
    }
    assert body(client.get(PREFIX, headers=auth(admin_token)))["mfa"] == {
        "totp": False,
        "passkeys": 1,
    }
    renamed = client.post(
        f"{PREFIX}/passkeys/{authenticator.id}",
        json={"name": "work laptop"},
        headers=auth(admin_token),
    )
    assert body(renamed)["name"] == "work laptop"
    assert [
        p["name"]
        for p in body(client.get(f"{PREFIX}/passkeys", headers=auth(admin_token)))["passkeys"]
    ] == ["work laptop"]
    assert body(
        client.delete(f"{PREFIX}/passkeys/{authenticator.id}", headers=auth(admin_token))
    ) == {"id": authenticator.id, "deleted": True}
    assert (
        client.delete(
            f"{PREFIX}/passkeys/{authenticator.id}", headers=auth(admin_token)
        ).status_code
        == 404
    )
    assert events == [
        ("passkey-registered", authenticator.id),
        ("passkey-removed", authenticator.id),
    ]


def test_another_users_passkey_cannot_be_renamed_or_removed(client, keyed, user_token) -> None:
    assert (
        client.post(
            f"{PREFIX}/passkeys/{keyed.id}", json={"name": "mine"}, headers=auth(user_token)
        ).status_code
        == 404
    )
    assert (
        client.delete(f"{PREFIX}/passkeys/{keyed.id}", headers=auth(user_token)).status_code == 404
    )
    assert body(client.get(f"{PREFIX}/passkeys", headers=auth(user_token))) == {"passkeys": []}


def test_a_passkey_is_the_second_step_of_a_login(app, keyed) -> None:
    client = app.test_client()
    token = mfa_token(client)
    answer = passkey_login(client, keyed, token)
    assert answer.status_code == 200 and set(body(answer)) == {"user", "token"}
    assert "Authorization=" in answer.headers["Set-Cookie"]
    assert client.get(PREFIX, headers=auth(body(answer)["token"])).status_code == 200
    spent = client.post(f"{PREFIX}/passkeys/login/options", json={"mfaToken": token})
    assert (spent.status_code, body(spent)["error"]) == (401, "invalid_mfa_token")


def test_passwordless_login_needs_the_option(make_app, app, client, admin_token) -> None:
    authenticator = SoftAuthenticator()
    register(client, admin_token, authenticator)
    assert passkey_login(app.test_client(), authenticator).status_code == 200
    second_factor_only = make_app(passkeys=True).test_client()  # the same stores, passwordless off
    refused = second_factor_only.post(f"{PREFIX}/passkeys/login/options", json={})
    assert refused.status_code == 400


def refusal(response) -> tuple[int, str]:
    return response.status_code, body(response)["error"]


@pytest.mark.parametrize(
    "bend, error",
    [
        ({"origin": "https://evil.example"}, "passkey_wrong_origin"),
        ({"rp_id": "evil.example"}, "passkey_wrong_rp"),
        ({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "passkey_challenge_invalid"),
        ({"bad_signature": True}, "passkey_bad_signature"),
    ],
)
def test_login_refusals(app, keyed, bend, error) -> None:
    client = app.test_client()
    assert refusal(passkey_login(client, keyed, mfa_token(client), **bend)) == (400, error)


@pytest.mark.parametrize(
    "bend, error",
    [
        ({"origin": "https://evil.example"}, "passkey_wrong_origin"),
        ({"rp_id": "evil.example"}, "passkey_wrong_rp"),
        ({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "passkey_challenge_invalid"),
        ({"fmt": "packed", "bad_signature": True}, "passkey_bad_signature"),
    ],
)
def test_registration_refusals(client, admin_token, bend, error) -> None:
    assert refusal(register(client, admin_token, SoftAuthenticator(), **bend)) == (400, error)
    assert body(client.get(f"{PREFIX}/passkeys", headers=auth(admin_token))) == {"passkeys": []}


def test_a_challenge_is_single_use_and_expires(app, keyed, clock) -> None:
    client = app.test_client()
    options = body(client.post(f"{PREFIX}/passkeys/login/options", json={}))
    credential = keyed.get(options)
    assert (
        client.post(f"{PREFIX}/passkeys/login", json={"credential": credential}).status_code == 200
    )
    replayed = client.post(f"{PREFIX}/passkeys/login", json={"credential": credential})
    assert refusal(replayed) == (400, "passkey_challenge_invalid")
    options = body(client.post(f"{PREFIX}/passkeys/login/options", json={}))
    clock.advance(minutes=5)
    late = client.post(f"{PREFIX}/passkeys/login", json={"credential": keyed.get(options)})
    assert refusal(late) == (400, "passkey_challenge_invalid")


def test_a_challenge_is_bound_to_its_ceremony(client, admin_token, keyed) -> None:
    options = body(
        client.post(f"{PREFIX}/passkeys/register/options", json={}, headers=auth(admin_token))
    )
    login_options = body(client.post(f"{PREFIX}/passkeys/login/options", json={}))
    credential = keyed.get(
        login_options, challenge=options["challenge"]
    )  # a registration's challenge
    assert refusal(client.post(f"{PREFIX}/passkeys/login", json={"credential": credential})) == (
        400,
        "passkey_challenge_invalid",
    )


def test_a_sign_count_going_back_is_refused_and_logged(app, keyed, caplog) -> None:
    client = app.test_client()
    assert passkey_login(client, keyed).status_code == 200  # count 1
    caplog.set_level(logging.WARNING, logger="frappyauth")
    cloned = passkey_login(client, keyed, count=1)
    assert refusal(cloned) == (400, "passkey_cloned")
    assert any("sign count went backwards" in record.getMessage() for record in caplog.records)


def test_a_passkey_of_another_user_does_not_complete_this_login(
    app, client, admin_token, user_token
) -> None:
    bobs = SoftAuthenticator()
    register(client, user_token, bobs)
    register(client, admin_token, SoftAuthenticator())
    fresh = app.test_client()
    refused = passkey_login(fresh, bobs, mfa_token(fresh))
    assert (
        refusal(refused) == (400, "passkey_invalid")
        and "not one of this login" in body(refused)["message"]
    )


def test_admin_reset_and_user_deletion_remove_passkeys(
    client, admin_token, user_token, mfa_store
) -> None:
    register(client, user_token, SoftAuthenticator())
    bob = body(client.get(PREFIX, headers=auth(user_token)))["id"]
    assert body(client.delete(f"{PREFIX}/users/{bob}/mfa", headers=auth(admin_token))) == {
        "userId": bob,
        "reset": True,
    }
    assert mfa_store.list_passkeys(bob) == []
    register(client, login(client, "bob", USER_PASSWORD), SoftAuthenticator())
    client.delete(f"{PREFIX}/users/{bob}", headers=auth(admin_token))
    assert mfa_store.list_passkeys(bob) == []


def test_configured_origins_and_rp_id_are_the_only_ones_accepted(make_app) -> None:
    app = make_app(
        passkeys=True,
        passwordless=True,
        webauthn_rp_id="example.com",
        webauthn_origins=["https://app.example.com"],
    )
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    authenticator = SoftAuthenticator(origin="https://app.example.com", rp_id="example.com")
    assert register(client, token, authenticator).status_code == 200
    assert passkey_login(client, authenticator).status_code == 200
    assert refusal(passkey_login(client, authenticator, origin="http://localhost")) == (
        400,
        "passkey_wrong_origin",
    )


@pytest.mark.parametrize(
    "credential",
    [
        None,
        {},
        {"response": "x"},
        {"id": 1, "response": {"clientDataJSON": "%%"}},
        {"response": {"clientDataJSON": "e30"}},
    ],
)
def test_malformed_credentials_are_400(client, credential) -> None:
    answer = client.post(f"{PREFIX}/passkeys/login", json={"credential": credential})
    assert answer.status_code == 400


def test_a_passkey_alone_needs_user_verification_whatever_the_preference(make_app) -> None:
    """Passwordless, the passkey is the whole login: a stolen key without its PIN or biometric
    must not do."""
    app = make_app(passkeys=True, passwordless=True)  # webauthn_user_verification: "preferred"
    client = app.test_client()
    authenticator = SoftAuthenticator()
    register(client, login(client, "admin", ADMIN_PASSWORD), authenticator)
    assert (
        body(client.post(f"{PREFIX}/passkeys/login/options", json={}))["userVerification"]
        == "required"
    )
    assert refusal(passkey_login(client, authenticator, verified=False)) == (400, "passkey_invalid")
    assert passkey_login(client, authenticator).status_code == 200


def test_required_user_verification_refuses_an_unverified_assertion(make_app) -> None:
    app = make_app(passkeys=True, passwordless=True, webauthn_user_verification="required")
    client = app.test_client()
    authenticator = SoftAuthenticator()
    register(client, login(client, "admin", ADMIN_PASSWORD), authenticator)
    assert refusal(passkey_login(client, authenticator, verified=False)) == (400, "passkey_invalid")
    assert passkey_login(client, authenticator).status_code == 200


def test_holders_of_a_required_permission_may_enrol_a_passkey_and_nothing_else_first(
    make_app,
) -> None:
    app = make_app(passkeys=True, require_mfa_for=["admin"])
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    assert refusal(client.get(f"{PREFIX}/users", headers=auth(token))) == (
        403,
        "mfa_enrolment_required",
    )
    assert register(client, token, SoftAuthenticator()).status_code == 200
    assert client.get(f"{PREFIX}/users", headers=auth(token)).status_code == 200


@pytest.mark.parametrize("ceremony", ["login", "register"])
def test_the_ceremony_paths_are_not_passkey_ids(client, admin_token, ceremony: str) -> None:
    """`/passkeys/<passkey_id>` must not shadow `/passkeys/login` and `/passkeys/register`: a
    credential id is base64url of at least 16 bytes, longer than either word (issue 24 §6)."""
    allowed = client.options(f"{PREFIX}/passkeys/{ceremony}").headers["Allow"]
    assert sorted(allowed.replace(" ", "").split(",")) == ["OPTIONS", "POST"]
    removed = client.delete(f"{PREFIX}/passkeys/{ceremony}", headers=auth(admin_token))
    assert removed.status_code == 405 and removed.get_json()["error"] == "method_not_allowed"
    assert sorted(removed.headers["Allow"].replace(" ", "").split(",")) == ["OPTIONS", "POST"]


def test_a_too_short_or_non_base64url_id_is_no_passkey(client, admin_token) -> None:
    for odd in ("abc", "x" * 15, "not~base64url~at~all~~~~"):
        answer = client.delete(f"{PREFIX}/passkeys/{odd}", headers=auth(admin_token))
        assert answer.status_code == 404, odd
