"""A username or an address is capped before anything normalises, counts or looks it up (issue 24
§5, second finding).

NFKC turns U+FDFA into 18 characters: 21,000 of them in a 63 KB request once became a 378,000-
character throttle key. Every endpoint that takes a name or an address answers 400 for one over the
cap, and no store is handed a key made from it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask

from frappyauth.core.mailer import LoggingMailer
from frappyauth.core.usernames import MAX_USERNAME_LENGTH, capped_username_key
from frappyauth.core.errors import BadRequestError
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, build_app, login

PREFIX = "/api/user"
EXPANDING = "\ufdfa" * 20_000  # 60 KB of UTF-8; 360,000 characters after NFKC
LONG_ADDRESS = "a" * 64 + "@" + "\ufdfa" * 20_000 + ".example"
LONGEST_KEY = 600  # a capped name or address with any prefix the throttle adds


class KeyRecorder:
    """Wraps a store and keeps the longest text any call was given."""

    def __init__(self, store: Any) -> None:
        self._store, self.longest = store, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            texts = [v for v in (*args, *kwargs.values()) if isinstance(v, str)]
            self.longest = max([self.longest, *map(len, texts)])
            return method(*args, **kwargs)

        return call


@pytest.fixture
def recorded(
    user_store, token_store, attempt_store, api_key_store, mail_token_store, clock, ledger
) -> tuple[Flask, KeyRecorder, KeyRecorder]:
    users, attempts = KeyRecorder(user_store), KeyRecorder(attempt_store)
    app = build_app(
        users,
        token_store,
        clock,
        ledger,
        mailer=LoggingMailer(io.StringIO()),
        attempt_store=attempts,
        api_key_store=api_key_store,
        mail_token_store=mail_token_store,
        registration=True,
        email_verification="optional",
        password_reset=True,
        email_change=True,
        frontend_url="https://app.example/{action}?token={token}",
    )
    return app, users, attempts


def admin_headers(app: Flask) -> dict[str, str]:
    return auth(login(app.test_client(), "admin", ADMIN_PASSWORD))


CASES = {
    "login": ("POST", "/login", {"username": EXPANDING, "password": "x"}),
    "reset by username": ("POST", "/password-reset", {"username": EXPANDING}),
    "reset by address": ("POST", "/password-reset", {"email": LONG_ADDRESS}),
    "register, name": (
        "POST",
        "/register",
        {"username": EXPANDING, "password": USER_PASSWORD, "email": "a@example.org"},
    ),
    "register, address": (
        "POST",
        "/register",
        {"username": "newcomer", "password": USER_PASSWORD, "email": LONG_ADDRESS},
    ),
    "resend": ("POST", "/verify-email/resend", {"email": LONG_ADDRESS}),
    "address change": ("POST", "/email", {"password": ADMIN_PASSWORD, "email": LONG_ADDRESS}),
    "admin create, name": ("POST", "/users", {"username": EXPANDING, "password": USER_PASSWORD}),
    "admin create, address": (
        "POST",
        "/users",
        {"username": "newcomer", "password": USER_PASSWORD, "email": LONG_ADDRESS},
    ),
    "search": ("GET", "/users?q=" + EXPANDING, None),
}
SIGNED_IN = {"address change", "admin create, name", "admin create, address", "search"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_name_or_address_over_the_cap_is_a_400_and_never_reaches_a_store(
    recorded: tuple[Flask, KeyRecorder, KeyRecorder], case: str
) -> None:
    app, users, attempts = recorded
    method, path, body = CASES[case]
    headers = admin_headers(app) if case in SIGNED_IN else {}
    users.longest = attempts.longest = 0
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    answer = app.test_client().open(
        PREFIX + path, method=method, data=data, content_type="application/json", headers=headers
    )
    assert answer.status_code == 400, answer.get_json()
    assert users.longest <= LONGEST_KEY and attempts.longest <= LONGEST_KEY


def test_the_admin_create_without_mail_flows_caps_the_address_it_keeps(make_app) -> None:
    app = make_app()
    answer = app.test_client().post(
        f"{PREFIX}/users",
        json={"username": "newcomer", "password": USER_PASSWORD, "email": "x" * 300},
        headers=admin_headers(app),
    )
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_email"


def test_the_one_helper_caps_before_it_normalises() -> None:
    assert capped_username_key("Ann") == "ann"
    assert len(capped_username_key("\ufdfa" * 8)) == 8 * 18  # within the cap after NFKC too
    for too_long in (EXPANDING, "\ufdfa" * 9, "a" * (MAX_USERNAME_LENGTH + 1)):
        with pytest.raises(BadRequestError):
            capped_username_key(too_long)
