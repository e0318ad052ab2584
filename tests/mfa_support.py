"""Helpers for second-factor tests: enrolling a user over HTTP, and the codes of an authenticator
app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyotp
from flask.testing import FlaskClient

from http_support import auth

PREFIX = "/api/user"


def code(secret: str, at: datetime, steps: int = 0) -> str:
    """The code an authenticator app shows at `at`, or `steps` time steps later (negative:
    earlier)."""
    return pyotp.TOTP(secret).at(at + timedelta(seconds=30 * steps))


def enrol(client: FlaskClient, token: str, password: str, now: datetime) -> tuple[str, list[str]]:
    """Turn TOTP on for the token's user; return the secret and the recovery codes."""
    begun = client.post(f"{PREFIX}/mfa/totp", json={"password": password}, headers=auth(token))
    assert begun.status_code == 200, begun.get_json()
    secret = begun.get_json()["secret"]
    confirmed = client.post(
        f"{PREFIX}/mfa/totp/confirm", json={"code": code(secret, now)}, headers=auth(token)
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    return secret, confirmed.get_json()["recoveryCodes"]


def first_step(client: FlaskClient, username: str, password: str) -> str:
    """Log in with the password of a user with TOTP on; return the mfaToken."""
    response = client.post(f"{PREFIX}/login", json={"username": username, "password": password})
    assert response.status_code == 200 and response.get_json()["mfaRequired"] is True, (
        response.get_json()
    )
    return response.get_json()["mfaToken"]


def second_step(client: FlaskClient, mfa_token: str, **factor: str) -> Any:
    return client.post(f"{PREFIX}/login/mfa", json={"mfaToken": mfa_token, **factor})
