"""After a compromise, the paths a user relies on hold: a password change or reset voids every login
that verified the old password, however the requests interleave; the throttle counts before it
checks; a lockout cannot be aimed at an account from one address; a stolen session cannot guess
the password."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from backends import MONGO_BACKEND_PARAMS
from frappyauth.core.models import User
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from threads import run_in_threads

LOGIN = "/api/user/login"
NEW_PASSWORD = "a brand new password"


def attempt(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        LOGIN,
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@contextmanager
def paused_after_the_password_check(app) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Hold a login thread right after its password check said yes, until `release` is set;
    `reached` tells the test the login is there. The main thread is never held."""
    hasher = app.extensions["frappyauth"].services.context.hasher
    check, main = hasher.verify, threading.current_thread()
    reached, release = threading.Event(), threading.Event()

    def verify(password: str, stored_hash: str | None) -> bool:
        is_right = check(password, stored_hash)
        if is_right and threading.current_thread() is not main:
            reached.set()
            assert release.wait(10)
        return is_right

    hasher.verify = verify
    try:
        yield reached, release
    finally:
        hasher.verify = check


def login_in_flight(
    app, username: str, password: str, change: Callable[[], Any]
) -> tuple[Any, Any]:
    """Run a login that has checked `password` while `change` runs to its answer; return both
    answers."""
    answers: dict[str, Any] = {}
    with paused_after_the_password_check(app) as (reached, release):
        thread = threading.Thread(
            target=lambda: answers.update(login=attempt(app.test_client(), username, password))
        )
        thread.start()
        assert reached.wait(10)
        answers["change"] = change()
        release.set()
        thread.join(10)
    return answers["login"], answers["change"]


@pytest.fixture
def bob(client, admin_token) -> str:
    response = client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin_token),
    )
    return body(response)["id"]


def test_a_login_in_flight_during_an_admin_reset_gets_no_working_session(
    app, client, admin_token, bob
) -> None:
    def reset() -> Any:
        return client.post(
            f"/api/user/users/{bob}/password",
            json={"password": NEW_PASSWORD},
            headers=auth(admin_token),
        )

    late_login, answer = login_in_flight(app, "bob", USER_PASSWORD, reset)
    assert answer.status_code == 200 and late_login.status_code == 200
    assert client.get("/api/user", headers=auth(body(late_login)["token"])).status_code == 401
    assert body(client.get(f"/api/user/users/{bob}/sessions", headers=auth(admin_token))) == {
        "sessions": []
    }
    assert attempt(client, "bob", USER_PASSWORD).status_code == 401
    assert login(client, "bob", NEW_PASSWORD)


def test_a_login_in_flight_during_an_own_change_gets_no_working_session(
    app, client, user_token
) -> None:
    def change() -> Any:
        return client.post(
            "/api/user/password",
            headers=auth(user_token),
            json={"oldPassword": USER_PASSWORD, "newPassword": NEW_PASSWORD},
        )

    late_login, answer = login_in_flight(app, "bob", USER_PASSWORD, change)
    assert answer.status_code == 200 and late_login.status_code == 200
    assert client.get("/api/user", headers=auth(body(late_login)["token"])).status_code == 401
    assert (
        client.get("/api/user", headers=auth(user_token)).status_code == 200
    )  # the changer's own session
    assert login(client, "bob", NEW_PASSWORD)


@pytest.mark.parametrize(
    "legacy_hash", [hashlib.md5(USER_PASSWORD.encode()).hexdigest(), "bcrypt-at-cost-4"]
)
def test_a_hash_upgrade_in_flight_cannot_overwrite_a_reset(
    make_app, user_store, admin_token, legacy_hash
) -> None:
    """The stored hash needs upgrading (legacy MD5, or a cost since raised); a reset lands between
    the login's check and its upgrade write: the reset's password must be the one that works."""
    app = make_app(
        bcrypt_cost=5
    )  # the admin's and the "bcrypt" user's hashes are at cost 4: both need upgrading
    if legacy_hash == "bcrypt-at-cost-4":
        legacy_hash = (
            make_app().extensions["frappyauth"].services.context.hasher.hash(USER_PASSWORD)
        )
    client, admin = app.test_client(), login(app.test_client(), "admin", ADMIN_PASSWORD)
    carol = user_store.create(User(id="", username="carol", password_hash=legacy_hash))

    def reset() -> Any:
        return client.post(
            f"/api/user/users/{carol.id}/password",
            json={"password": NEW_PASSWORD},
            headers=auth(admin),
        )

    late_login, answer = login_in_flight(app, "carol", USER_PASSWORD, reset)
    assert answer.status_code == 200
    assert attempt(client, "carol", USER_PASSWORD).status_code == 401
    assert login(client, "carol", NEW_PASSWORD)


def test_the_throttle_counts_before_it_checks(backend, make_app) -> None:
    """50 wrong logins at once against a limit of 10: at most 10 reach the password check."""
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: the parallel case runs on the memory store")
    app = make_app(max_failed_logins=10)
    hasher = app.extensions["frappyauth"].services.context.hasher
    check, state = hasher.verify, threading.Condition()
    seen = {"checking": 0, "refused": 0}
    release = threading.Event()

    def held_check(password: str, stored_hash: str | None) -> bool:
        with state:
            seen["checking"] += 1
            state.notify_all()
        assert release.wait(
            10
        )  # no check finishes (so nothing is recorded after it) until all arrived
        return check(password, stored_hash)

    def one_login(password: str) -> None:
        status = attempt(app.test_client(), "admin", password).status_code
        with state:
            results.append(status)
            seen["refused"] += status == 429
            state.notify_all()

    hasher.verify = held_check
    passwords = ["wrong password!"] * 49 + [ADMIN_PASSWORD]
    results: list[int] = []
    workers = threading.Thread(target=run_in_threads, args=(one_login, [(p,) for p in passwords]))
    workers.start()
    with state:
        assert state.wait_for(lambda: seen["checking"] + seen["refused"] == 50, timeout=30)
    release.set()
    workers.join(30)
    assert seen["checking"] <= 10 and results.count(429) >= 40


def test_wrong_old_passwords_count_in_the_throttle(make_app, bcrypt_checks) -> None:
    app = make_app(max_failed_logins=3)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)

    def change(old: str) -> Any:
        return client.post(
            "/api/user/password",
            headers=auth(token),
            json={"oldPassword": old, "newPassword": NEW_PASSWORD},
        )

    assert [change("a wrong guess!").status_code for _ in range(3)] == [403] * 3
    bcrypt_checks.clear()
    refused = change(ADMIN_PASSWORD)  # even the right one, now
    assert refused.status_code == 429 and refused.headers["Retry-After"] and bcrypt_checks == []
    assert (
        attempt(client, "admin", ADMIN_PASSWORD).status_code == 429
    )  # the same account and address


def test_a_locked_pair_spares_the_owner_elsewhere(make_app) -> None:
    client = make_app(max_failed_logins=3).test_client()
    for name in ["admin", "ADMIN", "ａｄｍｉｎ", "Admin"]:
        attempt(client, name, "wrong password!", address="203.0.113.9")
    assert attempt(client, "admin", ADMIN_PASSWORD, address="203.0.113.9").status_code == 429
    assert attempt(client, "admin", ADMIN_PASSWORD, address="198.51.100.7").status_code == 200


def test_hammering_a_locked_pair_does_not_use_up_the_accounts_ceiling(make_app) -> None:
    client = make_app(max_failed_logins=3, max_failed_logins_per_username=6).test_client()
    for _ in range(50):
        attempt(client, "admin", "wrong password!", address="203.0.113.9")
    assert attempt(client, "admin", ADMIN_PASSWORD, address="198.51.100.7").status_code == 200


def test_the_per_username_ceiling_stops_guessing_from_many_addresses(make_app) -> None:
    client = make_app(max_failed_logins=3, max_failed_logins_per_username=5).test_client()
    answers = [
        attempt(client, "admin", "wrong password!", address=f"203.0.113.{i}").status_code
        for i in range(6)
    ]
    assert answers == [401] * 5 + [429]
    assert attempt(client, "admin", ADMIN_PASSWORD, address="198.51.100.7").status_code == 429
    assert attempt(client, "someone", "wrong password!", address="198.51.100.7").status_code == 401


def test_the_per_username_ceiling_defaults_to_ten_times_the_limit(make_app) -> None:
    client = make_app(max_failed_logins=2).test_client()
    answers = [
        attempt(client, "admin", "wrong password!", address=f"203.0.113.{i // 2}").status_code
        for i in range(21)
    ]
    assert answers[:20] == [401] * 20 and answers[20] == 429


def test_the_per_address_ceiling_stops_spraying_across_usernames(make_app, bcrypt_checks) -> None:
    client = make_app(max_failed_logins_per_address=4).test_client()
    assert [attempt(client, f"user{i}", "wrong password!").status_code for i in range(4)] == [
        401
    ] * 4
    bcrypt_checks.clear()
    assert attempt(client, "admin", ADMIN_PASSWORD).status_code == 429 and bcrypt_checks == []
    assert attempt(client, "admin", ADMIN_PASSWORD, address="198.51.100.7").status_code == 200


def test_successes_do_not_use_up_the_address_ceiling(make_app) -> None:
    client = make_app(max_failed_logins_per_address=3).test_client()
    assert all(attempt(client, "admin", ADMIN_PASSWORD).status_code == 200 for _ in range(10))


def test_an_admin_unlocks_an_account_by_endpoint(make_app, admin_token) -> None:
    client = make_app(max_failed_logins=2).test_client()
    for _ in range(2):
        attempt(client, "bob", "wrong password!", address="203.0.113.9")
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    bob_id = body(client.get("/api/user/users", headers=auth(admin_token)))["users"][1]["id"]
    assert attempt(client, "bob", USER_PASSWORD, address="203.0.113.9").status_code == 429
    answer = client.post(f"/api/user/users/{bob_id}/unlock", headers=auth(admin_token))
    assert answer.status_code == 200 and body(answer) == {"userId": bob_id, "unlocked": True}
    assert attempt(client, "bob", USER_PASSWORD, address="203.0.113.9").status_code == 200
    assert (
        client.post(
            "/api/user/users/0123456789abcdef01234567/unlock", headers=auth(admin_token)
        ).status_code
        == 404
    )


def test_unlock_needs_an_admin(client, user_token, admin_token) -> None:
    admin_id = body(client.get("/api/user", headers=auth(admin_token)))["id"]
    assert (
        client.post(f"/api/user/users/{admin_id}/unlock", headers=auth(user_token)).status_code
        == 403
    )


def test_an_admin_reset_clears_the_throttle(make_app, admin_token, bob) -> None:
    client = make_app(max_failed_logins=2).test_client()
    for _ in range(2):
        attempt(client, "bob", "wrong password!", address="203.0.113.9")
    client.post(
        f"/api/user/users/{bob}/password",
        json={"password": NEW_PASSWORD},
        headers=auth(admin_token),
    )
    assert attempt(client, "bob", NEW_PASSWORD, address="203.0.113.9").status_code == 200


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_the_cli_unlocks_an_account(make_app) -> None:
    app = make_app(max_failed_logins=2)
    client = app.test_client()
    for _ in range(2):
        attempt(client, "admin", "wrong password!")
    assert attempt(client, "admin", ADMIN_PASSWORD).status_code == 429
    result = app.test_cli_runner().invoke(args=["frappyauth", "unlock", "ADMIN"])
    assert result.exit_code == 0 and "Unlocked 'Admin'" in result.output
    assert attempt(client, "admin", ADMIN_PASSWORD).status_code == 200
    assert app.test_cli_runner().invoke(args=["frappyauth", "unlock", "nobody"]).exit_code != 0


def test_a_huge_username_is_refused_before_it_is_counted(make_app, attempt_store, clock) -> None:
    """U+FDFA expands 18-fold under NFKC: 21,000 of them would make a counter key of 378,000
    characters."""
    client = make_app(max_body_bytes=1_000_000).test_client()
    response = attempt(client, "\ufdfa" * 21_000, "wrong password!")
    assert response.status_code == 400 and body(response)["error"] == "bad_request"
    assert (
        attempt_store.get("addr:127.0.0.1", clock()) is None
    )  # nothing counted, so nothing stored
    assert (
        attempt(client, "\ufdfa" * 9, "wrong password!").status_code == 400
    )  # 9 raw, 162 normalised
    assert attempt(client, "a" * 150, "wrong password!").status_code == 401


def test_an_admin_reset_wins_over_an_own_change_in_flight(app, client, admin_token, bob) -> None:
    """The attacker knows the old password and holds a session; the admin recovers the account
    meanwhile."""
    attacker = login(client, "bob", USER_PASSWORD)
    answers: dict[str, Any] = {}
    with paused_after_the_password_check(app) as (
        reached,
        release,
    ):  # after the old password's check
        change = threading.Thread(
            target=lambda: answers.update(
                change=app.test_client().post(
                    "/api/user/password",
                    headers=auth(attacker),
                    json={"oldPassword": USER_PASSWORD, "newPassword": "the attacker's password"},
                )
            )
        )
        change.start()
        assert reached.wait(10)
        reset = client.post(
            f"/api/user/users/{bob}/password",
            json={"password": NEW_PASSWORD},
            headers=auth(admin_token),
        )
        release.set()
        change.join(10)
    assert reset.status_code == 200
    assert (
        answers["change"].status_code == 409
        and body(answers["change"])["error"] == "password_changed"
    )
    assert attempt(client, "bob", "the attacker's password").status_code == 401
    assert login(client, "bob", NEW_PASSWORD)


def test_one_address_cannot_fill_the_store_with_counters(make_app, attempt_store, clock) -> None:
    """The address ceiling is counted first: past it, no pair or username counter is created."""
    client = make_app(max_failed_logins_per_address=3).test_client()
    for i in range(10):
        attempt(client, f"name{i}", "wrong password!")
    created = [
        i for i in range(10) if attempt_store.get(f"pair:name{i}|127.0.0.1", clock()) is not None
    ]
    assert created == [0, 1, 2]


def test_unlocking_an_account_keeps_the_sprayers_address_counter(
    make_app, admin_token, user_store, clock
) -> None:
    client = make_app(max_failed_logins_per_address=3).test_client()
    for name in ["admin", "x1", "x2"]:
        attempt(client, name, "wrong password!", address="203.0.113.9")
    admin_id = body(client.get("/api/user", headers=auth(admin_token)))["id"]
    assert (
        client.post(f"/api/user/users/{admin_id}/unlock", headers=auth(admin_token)).status_code
        == 200
    )
    assert attempt(client, "x3", "wrong password!", address="203.0.113.9").status_code == 429


def test_an_ipv6_client_counts_by_its_64_network(make_app) -> None:
    client = make_app(max_failed_logins=3).test_client()
    for i in range(3):
        attempt(client, "admin", "wrong password!", address=f"2001:db8:1:2::{i + 1}")
    assert attempt(client, "admin", ADMIN_PASSWORD, address="2001:db8:1:2::99").status_code == 429
    assert attempt(client, "admin", ADMIN_PASSWORD, address="2001:db8:1:3::1").status_code == 200
