"""What the attack pass on the second factor and the mail flows found: code guesses that a right
password reset, a refused (unenrolled) user seen by a later `current_user`, passkeys planted by a
stolen session, and credentials created while a reset computed its hash."""

from __future__ import annotations

from typing import Any

from frappyauth import current_user
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from mfa_support import PREFIX, code, enrol, first_step, second_step
from soft_authenticator import SoftAuthenticator
from test_http_passkeys import passkey_login, register


def test_a_right_password_does_not_reset_the_count_of_guessed_codes(make_app, clock) -> None:
    client = make_app(totp=True, max_failed_logins=3).test_client()
    secret, _ = enrol(client, login(client, "admin", ADMIN_PASSWORD), ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    answers = []
    for _ in range(3):  # each round: the right password, then two wrong codes
        mfa_token = first_step(client, "admin", ADMIN_PASSWORD)
        answers += [second_step(client, mfa_token, code="000000").status_code for _ in range(2)]
    assert answers[:3] == [401, 401, 401] and set(answers[3:]) == {429}
    assert (
        second_step(
            client, first_step(client, "admin", ADMIN_PASSWORD), code=code(secret, clock.now)
        ).status_code
        == 429
    )


def test_a_user_refused_for_missing_enrolment_is_nobody_to_later_reads(make_app) -> None:
    app = make_app(totp=True, require_mfa_for=["admin"])
    seen: dict[str, Any] = {}

    @app.before_request
    def audit() -> None:
        seen["first"] = current_user()  # an app hook reads the user first: refused, so nobody

    @app.route("/api/admin-only")
    def admin_only() -> Any:
        return {"who": current_user.username if current_user else None}

    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    assert body(client.get("/api/admin-only", headers=auth(admin))) == {"who": None}
    assert seen["first"] is None


def test_an_older_session_cannot_add_or_remove_a_passkey(make_app, clock) -> None:
    client = make_app(passkeys=True, passwordless=True).test_client()
    stolen = login(client, "admin", ADMIN_PASSWORD)
    authenticator = SoftAuthenticator()
    assert register(client, stolen, authenticator).status_code == 200  # within minutes of the login
    clock.advance(minutes=11)
    refused = client.post(f"{PREFIX}/passkeys/register/options", json={}, headers=auth(stolen))
    assert refused.status_code == 403 and body(refused)["error"] == "recent_login_required"
    assert (
        client.delete(f"{PREFIX}/passkeys/{authenticator.id}", headers=auth(stolen)).status_code
        == 403
    )


def test_with_passwordless_a_reset_ends_every_passkey_and_without_it_keeps_them(
    make_app, clock
) -> None:
    for passwordless, kept in ((True, 0), (False, 1)):
        app = make_app(passkeys=True, passwordless=passwordless)
        client = app.test_client()
        admin = login(client, "admin", ADMIN_PASSWORD)
        client.post(
            f"{PREFIX}/users",
            json={"username": f"bob{kept}", "password": USER_PASSWORD},
            headers=auth(admin),
        )
        thief = login(client, f"bob{kept}", USER_PASSWORD)
        bob_id = body(client.get(PREFIX, headers=auth(thief)))["id"]
        planted = SoftAuthenticator()
        assert register(client, thief, planted).status_code == 200
        assert (
            client.post(
                f"{PREFIX}/users/{bob_id}/password",
                json={"password": "a brand new password"},
                headers=auth(admin),
            ).status_code
            == 200
        )
        assert len(app.extensions["frappyauth"].services.stores.mfa.list_passkeys(bob_id)) == kept
        if passwordless:
            assert passkey_login(client, planted).status_code == 400


def test_a_key_created_while_a_reset_computes_its_hash_is_revoked(make_app) -> None:
    app = make_app(api_keys=True)
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    bob_id = body(
        client.post(
            f"{PREFIX}/users",
            json={"username": "bob", "password": USER_PASSWORD},
            headers=auth(admin),
        )
    )["id"]
    services = app.extensions["frappyauth"].services
    hasher, compute = services.context.hasher, services.context.hasher.hash
    planted: list[str] = []

    def hash_while_the_thief_acts(
        password: str,
    ) -> str:  # the stolen session is still valid until the write
        hashed = compute(password)
        planted.append(services.api_keys.create(services.stores.users.get(bob_id), "planted")[1])
        return hashed

    hasher.hash = hash_while_the_thief_acts
    try:
        assert (
            client.post(
                f"{PREFIX}/users/{bob_id}/password",
                json={"password": "a brand new password"},
                headers=auth(admin),
            ).status_code
            == 200
        )
    finally:
        hasher.hash = compute
    assert (
        planted
        and client.get("/api/things", headers={"Authorization": f"Token {planted[0]}"}).status_code
        == 401
    )


def test_a_key_scoped_past_the_required_permission_is_refused_too(make_app) -> None:
    """The enrolment rule concerns the key's owner: an unenrolled admin's key scoped to `view` is
    refused."""
    before = make_app(api_keys=True)  # the same stores, before the rule was switched on
    client = before.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    admin_id = body(client.get(PREFIX, headers=auth(admin)))["id"]
    client.post(
        f"{PREFIX}/users/{admin_id}/permissions",
        json={"permissions": ["admin", "view"]},
        headers=auth(admin),
    )
    key = body(
        client.post(f"{PREFIX}/keys", json={"name": "ci", "scopes": ["view"]}, headers=auth(admin))
    )["apiKey"]
    ruled = make_app(api_keys=True, totp=True, require_mfa_for=["admin"]).test_client()
    refused = ruled.get("/api/things", headers={"Authorization": f"Token {key}"})
    assert refused.status_code == 403 and body(refused)["error"] == "mfa_enrolment_required"
