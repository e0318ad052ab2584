"""A legacy `password` field that is not a string (issue 24 §6): a wrong password, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from bson import Binary

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from frappyauth.core.passwords import PasswordHasher
from test_mongo_legacy import OLD_PASSWORD, http_app, old_user

ODD_PASSWORDS = [12345, ["x"], b"old secret", Binary(b"old secret"), {"md5": "x"}, 1.5, True]


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def db(request: pytest.FixtureRequest) -> Any:
    with BACKENDS[request.param].database() as database:
        yield database


@pytest.mark.parametrize("stored", ODD_PASSWORDS, ids=repr)
def test_a_login_against_an_odd_stored_password_is_a_401(db: Any, stored: Any) -> None:
    app = http_app(db)
    db["users"].insert_one(old_user("odd", password=stored))
    for password in (OLD_PASSWORD, "12345", "x"):
        answer = app.test_client().post(
            "/api/user/login", json={"username": "odd", "password": password}
        )
        assert answer.status_code == 401, answer.get_json()
        assert answer.get_json()["error"] == "invalid_credentials"


@pytest.mark.parametrize("stored", ODD_PASSWORDS, ids=repr)
def test_an_odd_stored_hash_costs_one_check_like_a_wrong_password(
    stored: Any, bcrypt_checks: list[int]
) -> None:
    hasher = PasswordHasher(4)
    assert hasher.verify(OLD_PASSWORD, stored) is False
    assert len(bcrypt_checks) == 1  # the dummy check: the same time as any wrong password
