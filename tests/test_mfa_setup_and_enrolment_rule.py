"""Registering with second factors (keys, the extra, option rules), `require_mfa_for`, and races
on codes."""

from __future__ import annotations

import sys
import threading

import pytest
from flask import Flask

from backends import MONGO_BACKEND_PARAMS
from conftest import NOW
from frappyauth import register_endpoints
from frappyauth.core.totp_codec import TotpCodec
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryMfaStore,
    MemorySessionStore,
    MemoryUserStore,
)
from http_support import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    Clock,
    SecretLedger,
    auth,
    body,
    build_app,
    login,
)
from mfa_support import PREFIX, code, enrol, first_step, second_step


def test_totp_without_a_key_is_refused_at_registration() -> None:
    with pytest.raises(ValueError, match="mfa_encryption_key"):
        register_endpoints(Flask("x"), MemoryUserStore(), options_override={"totp": True})
    app = Flask("x")
    app.secret_key = "short"
    with pytest.raises(ValueError, match="mfa_encryption_key"):
        register_endpoints(app, MemoryUserStore(), options_override={"totp": True})


def test_totp_with_the_apps_secret_key_works() -> None:
    app = Flask("x")
    app.secret_key = "the app's long random secret key"
    register_endpoints(app, MemoryUserStore(), options_override={"totp": True})
    assert (
        app.test_client()
        .post(f"{PREFIX}/login/mfa", json={"mfaToken": "x", "code": "123456"})
        .status_code
        == 401
    )


@pytest.mark.parametrize(
    "options, name",
    [
        ({"require_mfa_for": ["admin"]}, "require_mfa_for"),
        ({"totp": True, "mfa_encryption_key": "short"}, "mfa_encryption_key"),
        ({"totp": True, "totp_issuer": "a:b"}, "totp_issuer"),
        ({"totp": "yes"}, "totp"),
        ({"totp": True, "require_mfa_for": "admin"}, "require_mfa_for"),
    ],
)
def test_bad_mfa_options_are_refused_naming_them(options, name) -> None:
    with pytest.raises(ValueError, match=name):
        register_endpoints(Flask("x"), MemoryUserStore(), options_override=options)


def test_totp_without_the_mfa_extra_says_what_to_install(monkeypatch) -> None:
    for module in ("frappyauth.core.totp", "frappyauth.core.totp_codec"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setitem(
        sys.modules, "pyotp", None
    )  # as if not installed: importing it raises ImportError
    with pytest.raises(RuntimeError, match=r"frappyauth\[mfa\]"):
        register_endpoints(
            Flask("x"),
            MemoryUserStore(),
            options_override={"totp": True, "mfa_encryption_key": "k" * 32},
        )


def test_a_secret_sealed_with_another_key_does_not_open() -> None:
    sealed = TotpCodec("k" * 32, "x").seal("JBSWY3DPEHPK3PXP")
    assert TotpCodec("k" * 32, "x").open(sealed) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(RuntimeError, match="changed"):
        TotpCodec("j" * 32, "x").open(sealed)


def test_holders_of_a_required_permission_reach_only_enrolment_until_they_enrol(
    make_app, clock
) -> None:
    app = make_app(totp=True, require_mfa_for=["admin"])
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    refused = client.get(f"{PREFIX}/users", headers=auth(admin))
    assert (refused.status_code, body(refused)["error"]) == (403, "mfa_enrolment_required")
    assert (
        client.get("/api/things", headers=auth(admin)).status_code == 403
    )  # the app's own routes too
    assert client.get(PREFIX, headers=auth(admin)).status_code == 200  # who am I, for the console
    enrol(client, admin, ADMIN_PASSWORD, clock.now)
    assert (
        client.get(f"{PREFIX}/users", headers=auth(admin)).status_code == 200
    )  # the same session, now enrolled
    assert (
        client.post(
            f"{PREFIX}/users",
            json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
            headers=auth(admin),
        ).status_code
        == 200
    )
    bob = login(client, "bob", USER_PASSWORD)  # no required permission: nothing to enrol in
    assert client.get("/api/things", headers=auth(bob)).status_code == 200
    assert client.delete(f"{PREFIX}/logout", headers=auth(admin)).status_code == 200


def test_of_24_concurrent_second_steps_with_one_code_exactly_one_gets_a_session() -> None:
    clock, mfa_store = Clock(NOW), MemoryMfaStore()
    app = build_app(
        MemoryUserStore(),
        MemorySessionStore(),
        clock,
        SecretLedger(),
        api_key_store=MemoryApiKeyStore(),
        mfa_store=mfa_store,
        totp=True,
        max_failed_logins=100,
    )  # the race, not the throttle
    client = app.test_client()
    secret, _ = enrol(client, login(client, "admin", ADMIN_PASSWORD), ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    tokens = [
        first_step(client, "admin", ADMIN_PASSWORD) for _ in range(24)
    ]  # one login each, one code
    start, statuses = threading.Barrier(24), []

    def race(mfa_token: str) -> None:
        start.wait()
        statuses.append(
            second_step(app.test_client(), mfa_token, code=code(secret, clock.now)).status_code
        )

    threads = [threading.Thread(target=race, args=(mfa_token,)) for mfa_token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 23


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_the_cli_resets_a_lost_second_factor_the_last_admins_way_back(make_app, clock) -> None:
    app = make_app(totp=True)
    client = app.test_client()
    enrol(client, login(client, "admin", ADMIN_PASSWORD), ADMIN_PASSWORD, clock.now)
    first_step(client, "admin", ADMIN_PASSWORD)  # phone lost: no way past this step
    result = app.test_cli_runner().invoke(args=["frappyauth", "reset-mfa", "ADMIN"])
    assert result.exit_code == 0 and "Removed the second factors of 'Admin'" in result.output
    assert login(client, "admin", ADMIN_PASSWORD)  # one step again
    off = (
        make_app(api_keys=True).test_cli_runner().invoke(args=["frappyauth", "reset-mfa", "admin"])
    )
    assert off.exit_code == 1 and "option 'totp'" in off.output


def test_a_second_factor_is_no_way_around_address_verification(
    make_app, make_mail_app, user_store, clock
) -> None:
    from frappyauth.core.models import User
    from soft_authenticator import SoftAuthenticator

    carol = user_store.create(
        User(
            id="",
            username="carol",
            password_hash=make_app()
            .extensions["frappyauth"]
            .services.context.hasher.hash(USER_PASSWORD),
            email="c@example.org",
            email_key="c@example.org",
        )
    )
    before = make_app(
        totp=True, passkeys=True
    )  # verification not yet required: carol enrols both factors
    client = before.test_client()
    session = login(client, "carol", USER_PASSWORD)
    secret, _ = enrol(client, session, USER_PASSWORD, clock.now)
    authenticator = SoftAuthenticator()
    options = body(
        client.post(f"{PREFIX}/passkeys/register/options", json={}, headers=auth(session))
    )
    client.post(
        f"{PREFIX}/passkeys/register",
        json={"name": "key", "credential": authenticator.create(options)},
        headers=auth(session),
    )
    clock.advance(seconds=30)
    pending_code = first_step(client, "carol", USER_PASSWORD)
    pending_passkey = first_step(client, "carol", USER_PASSWORD)
    after = make_mail_app(
        totp=True, passkeys=True, email_verification="required"
    ).test_client()  # now required
    refused = after.post(f"{PREFIX}/login", json={"username": "carol", "password": USER_PASSWORD})
    assert (refused.status_code, body(refused)["error"]) == (
        403,
        "email_not_verified",
    )  # before any mfaToken
    by_code = second_step(
        after, pending_code, code=code(secret, clock.now)
    )  # logins begun before the change
    assert (by_code.status_code, body(by_code)["error"]) == (403, "email_not_verified")
    options = body(
        after.post(f"{PREFIX}/passkeys/login/options", json={"mfaToken": pending_passkey})
    )
    by_passkey = after.post(
        f"{PREFIX}/passkeys/login",
        json={"mfaToken": pending_passkey, "credential": authenticator.get(options)},
    )
    assert (by_passkey.status_code, body(by_passkey)["error"]) == (403, "email_not_verified")
    assert user_store.get(carol.id) is not None
