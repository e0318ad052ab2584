"""The login throttle (shared through the store) and login timing that does not reveal usernames."""

from __future__ import annotations

import statistics
import time

import pytest

from frappyauth.core.models import User
from http_support import ADMIN_PASSWORD, body

LOGIN = "/api/user/login"


def attempt(client, username: str, password: str):
    return client.post(LOGIN, json={"username": username, "password": password})


@pytest.fixture
def throttled(make_app):
    return make_app(max_failed_logins=3, lockout_seconds=60).test_client()


def test_after_the_limit_every_attempt_gets_429_until_the_lockout_passes(throttled, clock) -> None:
    assert [attempt(throttled, "admin", "wrong password!").status_code for _ in range(3)] == [
        401
    ] * 3
    refused = attempt(throttled, "admin", ADMIN_PASSWORD)  # even the right password
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert body(refused)["error"] == "too_many_attempts"
    clock.advance(seconds=59)
    assert attempt(throttled, "admin", ADMIN_PASSWORD).headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert attempt(throttled, "admin", ADMIN_PASSWORD).status_code == 200


def test_a_success_resets_the_count(throttled) -> None:
    for _ in range(2):
        attempt(throttled, "admin", "wrong password!")
    assert attempt(throttled, "admin", ADMIN_PASSWORD).status_code == 200
    assert [attempt(throttled, "admin", "wrong password!").status_code for _ in range(3)] == [
        401
    ] * 3
    assert attempt(throttled, "admin", ADMIN_PASSWORD).status_code == 429


def test_unknown_usernames_are_answered_exactly_like_known_ones(throttled) -> None:
    def answers(username: str) -> list[tuple[int, object, str | None]]:
        replies = [attempt(throttled, username, "wrong password!") for _ in range(5)]
        return [(r.status_code, body(r), r.headers.get("Retry-After")) for r in replies]

    assert answers("nobody") == answers("admin")


def test_the_throttle_ignores_case_and_spares_other_users(throttled, make_app) -> None:
    for name in ["Admin", "ADMIN", "admin"]:
        attempt(throttled, name, "wrong password!")
    assert attempt(throttled, "aDmIn", ADMIN_PASSWORD).status_code == 429
    assert attempt(throttled, "someone", "wrong password!").status_code == 401


def test_every_app_on_the_store_sees_the_throttle(throttled, make_app) -> None:
    for _ in range(3):
        attempt(throttled, "admin", "wrong password!")
    other_worker = make_app(max_failed_logins=3, lockout_seconds=60).test_client()
    assert attempt(other_worker, "admin", ADMIN_PASSWORD).status_code == 429


@pytest.mark.parametrize(
    "username, password",
    [
        ("nobody", "wrong password!"),
        ("admin", "wrong password!"),
        ("admin", ADMIN_PASSWORD),
        ("legacy", "wrong password!"),
        ("legacy", "old secret"),
    ],
)
def test_every_login_costs_exactly_one_bcrypt_check(
    app, user_store, bcrypt_checks, username, password
) -> None:
    user_store.create(
        User(id="", username="legacy", password_hash="5f4dcc3b5aa765d61d8327deb882cf99")
    )
    app.test_client().post(LOGIN, json={"username": username, "password": password})
    assert len(bcrypt_checks) == 1


def median_wrong_login_times(client, rounds: int) -> tuple[float, float]:
    """Median time of a wrong password for the known "admin" and for an unknown name, sampled
    interleaved.

    CPU time of this thread (where the test client runs the request, bcrypt included), not wall
    time: the work is what differs between the two, and on a shared machine time spent
    descheduled would drown it."""
    timings: dict[str, list[float]] = {"admin": [], "nobody": []}
    for _ in range(rounds):
        for username, samples in timings.items():
            start = time.thread_time()
            assert attempt(client, username, "wrong password!").status_code == 401
            samples.append(time.thread_time() - start)
    known, unknown = (statistics.median(samples) for samples in timings.values())
    return known, unknown


def test_unknown_and_known_usernames_take_the_same_time(make_app) -> None:
    known, unknown = median_wrong_login_times(
        make_app(bcrypt_cost=8, max_failed_logins=1000).test_client(), 15
    )
    assert abs(known - unknown) / known < 0.20, (known, unknown)


def test_a_hash_cheaper_than_the_configured_cost_answers_no_faster_than_an_unknown_name(
    make_app,
) -> None:
    """The admin was created with a hash at cost 4; the app now asks for 9. A wrong password for a
    known name must take as long as one for an unknown name, or names are enumerable after
    `bcrypt_cost` rises."""
    make_app()  # seeds the admin at cost 4
    client = make_app(
        bcrypt_cost=9, max_failed_logins=1000, max_failed_logins_per_address=1000
    ).test_client()
    known, unknown = median_wrong_login_times(client, 20)
    assert abs(known - unknown) / unknown < 0.20, (known, unknown)
