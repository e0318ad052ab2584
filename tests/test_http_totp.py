"""TOTP over HTTP on every store: enrolment, the login's two steps, recovery codes, turning it
off, refusals."""

from __future__ import annotations

import pytest
from flask import Flask

from frappyauth.core import signals
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from mfa_support import PREFIX, code, enrol, first_step, second_step

TOTP = {"totp": True, "api_keys": True}


@pytest.fixture
def app(make_app) -> Flask:
    return make_app(**TOTP)


@pytest.fixture
def enrolled(client, admin_token, clock):
    """The admin with TOTP on; the clock then moves to the next step, as a person takes a while."""
    secret, codes = enrol(client, admin_token, ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    return secret, codes


def test_with_totp_off_the_login_and_the_user_are_the_seeds(make_app) -> None:
    client = make_app(api_keys=True).test_client()
    answer = body(
        client.post(f"{PREFIX}/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    )
    assert set(answer) == {"user", "token"}
    assert set(answer["user"]) == {"_id", "id", "username", "permissions", "profile", "hasApiKey"}
    assert (
        client.post(
            f"{PREFIX}/mfa/totp", json={"password": ADMIN_PASSWORD}, headers=auth(answer["token"])
        ).status_code
        == 404
    )


def test_enrolment_gives_secret_uri_and_qr_then_the_first_code_turns_it_on(
    client, admin_token, clock, mfa_store
) -> None:
    begun = body(
        client.post(
            f"{PREFIX}/mfa/totp", json={"password": ADMIN_PASSWORD}, headers=auth(admin_token)
        )
    )
    assert set(begun) == {"secret", "otpauthUri", "qrSvg"}
    assert begun["otpauthUri"].startswith(
        "otpauth://totp/frappyauth:Admin?secret=" + begun["secret"]
    )
    assert begun["qrSvg"].startswith("<svg xmlns=") and begun["qrSvg"].endswith("</svg>\n")
    assert body(client.get(PREFIX, headers=auth(admin_token)))["mfa"] == {
        "totp": False,
        "passkeys": 0,
    }
    confirmed = client.post(
        f"{PREFIX}/mfa/totp/confirm",
        json={"code": code(begun["secret"], clock.now)},
        headers=auth(admin_token),
    )
    codes = body(confirmed)["recoveryCodes"]
    assert confirmed.status_code == 200 and len(set(codes)) == 10
    assert body(client.get(PREFIX, headers=auth(admin_token)))["mfa"] == {
        "totp": True,
        "passkeys": 0,
    }
    stored = mfa_store.get_totp(body(client.get(PREFIX, headers=auth(admin_token)))["id"])
    assert begun["secret"] not in repr(stored) and not any(
        c in repr(stored) for c in codes
    )  # sealed, hashed


def test_enrolment_needs_the_right_password_and_a_right_first_code(
    client, admin_token, clock, mfa_store
) -> None:
    wrong = client.post(
        f"{PREFIX}/mfa/totp", json={"password": "not the password"}, headers=auth(admin_token)
    )
    assert (wrong.status_code, body(wrong)["error"]) == (403, "forbidden")
    assert (
        client.post(
            f"{PREFIX}/mfa/totp/confirm", json={"code": "123456"}, headers=auth(admin_token)
        ).status_code
        == 409
    )  # nothing to confirm
    secret = body(
        client.post(
            f"{PREFIX}/mfa/totp", json={"password": ADMIN_PASSWORD}, headers=auth(admin_token)
        )
    )["secret"]
    bad = client.post(
        f"{PREFIX}/mfa/totp/confirm",
        json={"code": code(secret, clock.now, 5)},
        headers=auth(admin_token),
    )
    assert (bad.status_code, body(bad)["error"]) == (403, "invalid_mfa_code")
    short = client.post(
        f"{PREFIX}/mfa/totp/confirm", json={"code": "12345"}, headers=auth(admin_token)
    )
    assert short.status_code == 400
    assert body(client.get(PREFIX, headers=auth(admin_token)))["mfa"]["totp"] is False
    assert set(
        body(client.post(f"{PREFIX}/login", json={"username": "admin", "password": ADMIN_PASSWORD}))
    ) == {"user", "token"}  # not on until confirmed


def test_enrolment_again_while_on_is_refused(client, admin_token, enrolled) -> None:
    again = client.post(
        f"{PREFIX}/mfa/totp", json={"password": ADMIN_PASSWORD}, headers=auth(admin_token)
    )
    assert (again.status_code, body(again)["error"]) == (409, "mfa_already_enabled")


def test_login_takes_two_steps_and_the_first_gives_no_session(app, enrolled, clock) -> None:
    client, (secret, _) = app.test_client(), enrolled
    first = client.post(f"{PREFIX}/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    answer = body(first)
    assert set(answer) == {"mfaRequired", "mfaToken", "methods"} and answer["mfaRequired"] is True
    assert answer["methods"] == ["totp", "recoveryCode"]
    assert "Set-Cookie" not in first.headers
    assert (
        client.get(PREFIX, headers=auth(answer["mfaToken"])).status_code == 401
    )  # not a session token
    second = second_step(client, answer["mfaToken"], code=code(secret, clock.now))
    assert second.status_code == 200 and set(body(second)) == {"user", "token"}
    assert body(second)["user"]["mfa"] == {"totp": True, "passkeys": 0}
    assert "Authorization=" in second.headers["Set-Cookie"]
    assert client.get(PREFIX, headers=auth(body(second)["token"])).status_code == 200


def test_a_code_is_accepted_once(app, enrolled, clock) -> None:
    client, (secret, _) = app.test_client(), enrolled
    right = code(secret, clock.now)
    assert (
        second_step(client, first_step(client, "admin", ADMIN_PASSWORD), code=right).status_code
        == 200
    )
    mfa_token = first_step(client, "admin", ADMIN_PASSWORD)
    replay = second_step(client, mfa_token, code=right)
    assert (replay.status_code, body(replay)["error"]) == (400, "mfa_code_used")
    clock.advance(seconds=30)
    assert (
        second_step(client, mfa_token, code=code(secret, clock.now)).status_code == 200
    )  # the token survived


@pytest.mark.parametrize("steps, status", [(-1, 200), (1, 200), (-2, 401), (2, 401)])
def test_one_step_of_drift_either_way_and_no_more(app, enrolled, clock, steps, status) -> None:
    client, (secret, _) = app.test_client(), enrolled
    clock.advance(minutes=5)  # well past the step used to confirm
    answer = second_step(
        client, first_step(client, "admin", ADMIN_PASSWORD), code=code(secret, clock.now, steps)
    )
    assert answer.status_code == status
    if status == 401:
        assert body(answer)["error"] == "invalid_mfa_code"


def test_a_recovery_code_logs_in_once_in_any_case_and_spacing(app, enrolled) -> None:
    client, (_, codes) = app.test_client(), enrolled
    typed = " " + codes[0].upper().replace("-", " ") + " "
    assert (
        second_step(
            client, first_step(client, "admin", ADMIN_PASSWORD), recoveryCode=typed
        ).status_code
        == 200
    )
    again = second_step(client, first_step(client, "admin", ADMIN_PASSWORD), recoveryCode=codes[0])
    assert (again.status_code, body(again)["error"]) == (401, "invalid_mfa_code")
    assert (
        second_step(
            client, first_step(client, "admin", ADMIN_PASSWORD), recoveryCode=codes[1]
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "factor",
    [
        {},
        {"code": "123456", "recoveryCode": "abcd"},
        {"code": "12a456"},
        {"code": 123456},
        {"recoveryCode": ""},
        {"recoveryCode": "x" * 65},
    ],
)
def test_malformed_second_steps_are_400(app, enrolled, factor) -> None:
    client = app.test_client()
    assert (
        second_step(client, first_step(client, "admin", ADMIN_PASSWORD), **factor).status_code
        == 400
    )


def test_the_mfa_token_is_single_use(app, enrolled, clock) -> None:
    client, (secret, codes) = app.test_client(), enrolled
    mfa_token = first_step(client, "admin", ADMIN_PASSWORD)
    assert second_step(client, mfa_token, code=code(secret, clock.now)).status_code == 200
    spent = second_step(client, mfa_token, recoveryCode=codes[0])
    assert (spent.status_code, body(spent)["error"]) == (401, "invalid_mfa_token")
    assert (
        second_step(
            client, first_step(client, "admin", ADMIN_PASSWORD), recoveryCode=codes[0]
        ).status_code
        == 200
    )


def test_the_mfa_token_expires_after_five_minutes(app, enrolled, clock) -> None:
    client, (secret, _) = app.test_client(), enrolled
    mfa_token = first_step(client, "admin", ADMIN_PASSWORD)
    clock.advance(minutes=5)
    late = second_step(client, mfa_token, code=code(secret, clock.now))
    unknown = second_step(client, "no such token", code=code(secret, clock.now))
    assert late.status_code == unknown.status_code == 401 and body(late) == body(unknown)


def test_an_own_password_change_voids_pending_mfa_tokens(app, enrolled, clock) -> None:
    client, (secret, _) = app.test_client(), enrolled
    pending = first_step(client, "admin", ADMIN_PASSWORD)
    session = body(
        second_step(
            client, first_step(client, "admin", ADMIN_PASSWORD), code=code(secret, clock.now)
        )
    )["token"]
    changed = client.post(
        f"{PREFIX}/password",
        headers=auth(session),
        json={"oldPassword": ADMIN_PASSWORD, "newPassword": "a brand new password"},
    )
    assert changed.status_code == 200
    clock.advance(seconds=30)
    voided = second_step(client, pending, code=code(secret, clock.now))
    assert (voided.status_code, body(voided)["error"]) == (401, "invalid_mfa_token")


def test_an_admin_password_reset_voids_pending_mfa_tokens(app, enrolled, clock) -> None:
    client, (secret, _) = app.test_client(), enrolled
    pending = first_step(client, "admin", ADMIN_PASSWORD)
    session = body(
        second_step(
            client, first_step(client, "admin", ADMIN_PASSWORD), code=code(secret, clock.now)
        )
    )["token"]
    admin_id = body(client.get(PREFIX, headers=auth(session)))["id"]
    assert (
        client.post(
            f"{PREFIX}/users",
            json={"username": "root2", "password": USER_PASSWORD, "permissions": ["admin"]},
            headers=auth(session),
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{PREFIX}/users/{admin_id}/password",
            json={"password": ADMIN_PASSWORD},
            headers=auth(login(client, "root2", USER_PASSWORD)),
        ).status_code
        == 200
    )
    clock.advance(seconds=30)
    voided = second_step(
        client, pending, code=code(secret, clock.now)
    )  # the same password: still void
    assert (voided.status_code, body(voided)["error"]) == (401, "invalid_mfa_token")


def test_wrong_codes_count_in_the_throttle_before_the_check(make_app, clock, ledger) -> None:
    app = make_app(max_failed_logins=3, **TOTP)
    client = app.test_client()
    secret, _ = enrol(client, login(client, "admin", ADMIN_PASSWORD), ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    mfa_token = first_step(client, "admin", ADMIN_PASSWORD)
    for _ in range(3):
        assert second_step(client, mfa_token, code=code(secret, clock.now, 5)).status_code == 401
    refused = second_step(
        client, mfa_token, code=code(secret, clock.now)
    )  # right, but over the limit
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    other = app.test_client()  # another address is another pair
    other.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert second_step(other, mfa_token, code=code(secret, clock.now)).status_code == 200


def test_new_recovery_codes_need_password_and_code_and_replace_the_old(
    app, client, admin_token, enrolled, clock
) -> None:
    secret, old = enrolled
    url = f"{PREFIX}/mfa/recovery-codes"
    assert (
        client.post(url, json={"password": ADMIN_PASSWORD}, headers=auth(admin_token)).status_code
        == 400
    )
    assert (
        client.post(
            url,
            json={"password": "wrong password", "code": code(secret, clock.now)},
            headers=auth(admin_token),
        ).status_code
        == 403
    )
    assert (
        client.post(
            url,
            json={"password": ADMIN_PASSWORD, "code": code(secret, clock.now, 4)},
            headers=auth(admin_token),
        ).status_code
        == 403
    )
    clock.advance(seconds=30)
    new = body(
        client.post(
            url,
            json={"password": ADMIN_PASSWORD, "code": code(secret, clock.now)},
            headers=auth(admin_token),
        )
    )["recoveryCodes"]
    assert len(set(new)) == 10 and not set(new) & set(old)
    fresh = app.test_client()
    assert (
        second_step(
            fresh, first_step(fresh, "admin", ADMIN_PASSWORD), recoveryCode=old[2]
        ).status_code
        == 401
    )
    assert (
        second_step(
            fresh, first_step(fresh, "admin", ADMIN_PASSWORD), recoveryCode=new[2]
        ).status_code
        == 200
    )


def test_turning_totp_off_needs_password_and_a_current_code(
    app, client, admin_token, enrolled, clock
) -> None:
    secret, _ = enrolled
    url = f"{PREFIX}/mfa/totp"
    assert (
        client.delete(
            url,
            json={"password": ADMIN_PASSWORD, "code": code(secret, clock.now, 3)},
            headers=auth(admin_token),
        ).status_code
        == 403
    )
    assert (
        client.delete(
            url,
            json={"password": "wrong password", "code": code(secret, clock.now)},
            headers=auth(admin_token),
        ).status_code
        == 403
    )
    off = client.delete(
        url,
        json={"password": ADMIN_PASSWORD, "code": code(secret, clock.now)},
        headers=auth(admin_token),
    )
    assert off.status_code == 200 and body(off)["mfa"] == {"totp": False, "passkeys": 0}
    assert set(
        body(
            app.test_client().post(
                f"{PREFIX}/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
        )
    ) == {"user", "token"}
    again = client.delete(
        url,
        json={"password": ADMIN_PASSWORD, "code": code(secret, clock.now, 1)},
        headers=auth(admin_token),
    )
    assert (again.status_code, body(again)["error"]) == (409, "mfa_not_enabled")


def test_an_admin_resets_a_users_second_factor(app, client, admin_token, user_token, clock) -> None:
    enrol(client, user_token, USER_PASSWORD, clock.now)
    bob = body(client.get(PREFIX, headers=auth(user_token)))["id"]
    assert client.delete(f"{PREFIX}/users/{bob}/mfa", headers=auth(user_token)).status_code == 403
    assert (
        client.delete(
            f"{PREFIX}/users/0123456789abcdef01234567/mfa", headers=auth(admin_token)
        ).status_code
        == 404
    )
    events = []
    signals.mfa_disabled.connect(lambda sender, **kw: events.append(kw), sender=app, weak=False)
    reset = client.delete(f"{PREFIX}/users/{bob}/mfa", headers=auth(admin_token))
    assert body(reset) == {"userId": bob, "reset": True}
    admin = body(client.get(PREFIX, headers=auth(admin_token)))["id"]
    assert [(e["user_id"], e["actor"], e["method"]) for e in events] == [(bob, admin, "all")]
    assert set(
        body(
            app.test_client().post(
                f"{PREFIX}/login", json={"username": "bob", "password": USER_PASSWORD}
            )
        )
    ) == {"user", "token"}


def test_signals_of_enabling_failing_and_disabling(app, client, admin_token, clock) -> None:
    events: list[tuple[str, dict]] = []
    for signal in (signals.mfa_enabled, signals.mfa_disabled, signals.mfa_challenge_failed):
        signal.connect(
            lambda sender, _name=signal.name, **kw: events.append((_name, kw)),
            sender=app,
            weak=False,
        )
    secret, _ = enrol(client, admin_token, ADMIN_PASSWORD, clock.now)
    second_step(
        client, first_step(client, "admin", ADMIN_PASSWORD), code=code(secret, clock.now, 5)
    )
    second_step(
        client, first_step(client, "admin", ADMIN_PASSWORD), code=code(secret, clock.now)
    )  # replayed
    clock.advance(seconds=30)
    client.delete(
        f"{PREFIX}/mfa/totp",
        json={"password": ADMIN_PASSWORD, "code": code(secret, clock.now)},
        headers=auth(admin_token),
    )
    assert [(name, kw.get("reason")) for name, kw in events] == [
        ("mfa-enabled", None),
        ("mfa-challenge-failed", "wrong code"),
        ("mfa-challenge-failed", "replayed code"),
        ("mfa-disabled", None),
    ]
    assert secret not in repr(events)


def test_deleting_a_user_deletes_their_totp(
    client, admin_token, user_token, clock, mfa_store
) -> None:
    enrol(client, user_token, USER_PASSWORD, clock.now)
    bob = body(client.get(PREFIX, headers=auth(user_token)))["id"]
    assert mfa_store.get_totp(bob) is not None
    assert client.delete(f"{PREFIX}/users/{bob}", headers=auth(admin_token)).status_code == 200
    assert mfa_store.get_totp(bob) is None


def test_an_api_key_cannot_enrol(client, user_token) -> None:
    api_key = body(client.post(f"{PREFIX}/keys", json={"name": "ci"}, headers=auth(user_token)))[
        "apiKey"
    ]
    assert (
        client.post(
            f"{PREFIX}/mfa/totp",
            json={"password": USER_PASSWORD},
            headers={"Authorization": f"Token {api_key}"},
        ).status_code
        == 403
    )


def test_the_users_list_shows_each_users_second_factor(
    client, admin_token, user_token, clock
) -> None:
    enrol(client, user_token, USER_PASSWORD, clock.now)
    users = body(client.get(f"{PREFIX}/users", headers=auth(admin_token)))["users"]
    assert {u["username"]: u["mfa"]["totp"] for u in users} == {"Admin": False, "bob": True}
