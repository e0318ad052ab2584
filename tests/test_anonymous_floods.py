"""Request floods from one address on the endpoints anyone may call (issue 24 §5, first finding).

Every endpoint that the OpenAPI document lets anyone call without credentials and that can write
something (a session, a counter, a challenge, a token, a mail) is counted per client network by one
rule, `Endpoint.counts_anonymous_requests`; over `anonymous_rate_limit` in a `lockout_seconds`
window the next request gets 429 with `Retry-After`, before the view runs. And the in-process MFA
store keeps its challenges bounded and drops expired ones without looking at the others.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from flask import Flask

from conftest import NOW
from frappyauth.core.mailer import LoggingMailer
from frappyauth.core.mfa_models import MfaChallenge, PasskeyChallenge
from frappyauth.core.options import build_options
from frappyauth.stores.memory import MemoryMfaStore
from frappyauth.web.flows import ALL_ENDPOINTS
from frappyauth.web.openapi import openapi_document

PREFIX = "/api/user"
LIMIT = 3
EVERY_FLOW = {
    "api_keys": True,
    "totp": True,
    "passkeys": True,
    "passwordless": True,
    "console": True,
    "registration": True,
    "email_verification": "optional",
    "password_reset": True,
    "email_change": True,
    "frontend_url": "https://app.example/{action}?token={token}",
    "mail_rate_limit": 1_000_000,
    "max_failed_logins": 1_000_000,
    "max_failed_logins_per_address": 1_000_000,
}
# What anyone may call and what it writes: sessions and throttle counters (the sign-ins), challenges
# (passkey options), accounts, tokens and mail (the mail flows).
ANONYMOUS_WRITES = {
    ("POST", "/login"),
    ("POST", "/login/mfa"),
    ("POST", "/passkeys/login/options"),
    ("POST", "/passkeys/login"),
    ("POST", "/register"),
    ("POST", "/verify-email"),
    ("POST", "/verify-email/resend"),
    ("POST", "/password-reset"),
    ("POST", "/password-reset/confirm"),
    ("POST", "/email/confirm"),
}


def anonymous_writes_documented() -> set[tuple[str, str]]:
    """Every non-GET operation of the document (all flows on) that some caller may send without
    credentials."""
    paths = openapi_document(build_options(EVERY_FLOW), ALL_ENDPOINTS)["paths"]
    return {
        (method.upper(), path.removeprefix(PREFIX))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method != "get" and any(not requirement for requirement in operation["security"] or [{}])
    }


def test_the_anonymous_writes_are_the_ones_listed_here() -> None:
    assert anonymous_writes_documented() == ANONYMOUS_WRITES


def test_every_anonymous_write_documents_its_429() -> None:
    paths = openapi_document(build_options(EVERY_FLOW), ALL_ENDPOINTS)["paths"]
    for method, path in ANONYMOUS_WRITES:
        assert "429" in paths[PREFIX + path][method.lower()]["responses"], (method, path)


@pytest.fixture
def flood_app(make_app) -> Flask:
    return make_app(mailer=LoggingMailer(io.StringIO()), anonymous_rate_limit=LIMIT, **EVERY_FLOW)


@pytest.mark.parametrize("method, path", sorted(ANONYMOUS_WRITES))
def test_an_anonymous_write_is_limited_per_address(
    flood_app: Flask, method: str, path: str
) -> None:
    flooder = flood_app.test_client()
    flooder.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for _ in range(LIMIT):
        assert flooder.open(PREFIX + path, method=method, json={}).status_code != 429
    refused = flooder.open(PREFIX + path, method=method, json={})
    assert refused.status_code == 429, refused.get_json()
    assert refused.get_json()["error"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) >= 1
    bystander = flood_app.test_client()
    bystander.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    assert bystander.open(PREFIX + path, method=method, json={}).status_code != 429


def test_the_passkey_options_flood_stores_no_more_challenges(flood_app: Flask, mfa_store) -> None:
    flooder = flood_app.test_client()
    flooder.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    answers = [flooder.post(f"{PREFIX}/passkeys/login/options", json={}) for _ in range(2 * LIMIT)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429] * LIMIT
    # Each refused request stored nothing: the challenges issued are still the first LIMIT.
    challenges = [a.get_json()["challenge"] for a in answers[:LIMIT]]
    assert len(set(challenges)) == LIMIT


def test_the_limit_is_an_option_with_a_default() -> None:
    assert build_options({}).anonymous_rate_limit >= 100
    with pytest.raises(ValueError, match="anonymous_rate_limit"):
        build_options({"anonymous_rate_limit": 0})


# The in-process MFA store: expiry without a scan, and a cap.


class CountedMoment(datetime):
    """A datetime that counts its comparisons: how many stored challenges a call looked at."""

    comparisons = 0

    def __lt__(self, other):  # type: ignore[override]
        CountedMoment.comparisons += 1
        return super().__lt__(other)

    def __le__(self, other):  # type: ignore[override]
        CountedMoment.comparisons += 1
        return super().__le__(other)

    def __gt__(self, other):  # type: ignore[override]
        CountedMoment.comparisons += 1
        return super().__gt__(other)

    def __ge__(self, other):  # type: ignore[override]
        CountedMoment.comparisons += 1
        return super().__ge__(other)


def moment(seconds: float) -> CountedMoment:
    at = NOW + timedelta(seconds=seconds)
    return CountedMoment(*at.timetuple()[:6], tzinfo=at.tzinfo)


def passkey_challenge(number: int, expires_at: datetime) -> PasskeyChallenge:
    return PasskeyChallenge(f"c{number}", "login", None, expires_at)


def login_challenge(number: int, expires_at: datetime) -> MfaChallenge:
    return MfaChallenge(f"t{number}", "u1", "v1", expires_at)


@pytest.mark.parametrize(
    "create, new",
    [("create_passkey_challenge", passkey_challenge), ("create_challenge", login_challenge)],
)
def test_storing_a_challenge_does_not_look_at_every_stored_one(create: str, new) -> None:
    store = MemoryMfaStore()
    store.get_challenge("none", NOW)  # the store has seen a `now`: expiry runs on each create
    for number in range(5000):
        getattr(store, create)(new(number, moment(300 + number)))
    CountedMoment.comparisons = 0
    getattr(store, create)(new(5000, moment(300)))
    assert CountedMoment.comparisons < 100  # a scan compares 5,000 times


def test_expired_passkey_challenges_are_dropped_from_the_front() -> None:
    store = MemoryMfaStore()
    for number in range(10):
        store.create_passkey_challenge(passkey_challenge(number, NOW + timedelta(seconds=number)))
    store.take_passkey_challenge("absent", NOW + timedelta(seconds=5))  # the store sees `now`
    store.create_passkey_challenge(passkey_challenge(10, NOW + timedelta(minutes=5)))
    assert store.challenge_count() == 5  # c6 ... c10; c0 ... c5 expired by then


def test_stored_challenges_are_capped_the_oldest_evicted_first() -> None:
    store = MemoryMfaStore(max_challenges=3)
    later = NOW + timedelta(minutes=5)
    for number in range(5):
        store.create_passkey_challenge(passkey_challenge(number, later))
        store.create_challenge(login_challenge(number, later))
    assert store.challenge_count() == 6  # three of each kind
    assert store.take_passkey_challenge("c1", NOW) is None  # evicted
    assert store.take_passkey_challenge("c2", NOW) is not None
    assert store.get_challenge("t1", NOW) is None
    assert store.get_challenge("t4", NOW) is not None
