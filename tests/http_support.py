"""Building test apps, and the ledger that proves no secret leaks into a response body."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from frappyauth import (
    check_login_state,
    current_user,
    initial_user_check,
    login_required,
    register_endpoints,
)
from frappyauth.core.errors import StoreUnavailableError
from frappyauth.core.protocols import ApiKeyStore, AttemptStore, MfaStore, SessionStore, UserStore
from frappyauth.core.minting import hash_secret
from frappyauth.core.passwords import NO_PASSWORD

ADMIN_PASSWORD = "admin password 1234"
USER_PASSWORD = "plain user password"
PASSWORD_FIELDS = ("password", "oldPassword", "newPassword")
MFA_KEY = "a test key that seals TOTP secrets, 32+ characters"
SHOWN_ONCE = (
    "token",
    "apiKey",
    "mfaToken",
    "secret",
    "recoveryCodes",
)  # secrets an answer may show: its own


class Clock:
    """An injected clock: tests move time instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class SecretLedger:
    """Every secret a test used, and every response body it received."""

    passwords: set[str] = field(default_factory=set)
    minted: set[str] = field(default_factory=set)  # tokens and API keys handed out
    # (request, body, the secrets it may show: those it created)
    responses: list[tuple[str, str, str | frozenset[str]]] = field(default_factory=list)

    def record(self, description: str, request_json: Any, body: str, response_json: Any) -> None:
        if isinstance(request_json, dict):
            self.passwords.update(
                v for k, v in request_json.items() if k in PASSWORD_FIELDS and isinstance(v, str)
            )
        allowed: set[str] = set()
        if isinstance(response_json, dict):
            for name in SHOWN_ONCE:
                value = response_json.get(name)
                allowed.update(
                    v
                    for v in (value if isinstance(value, list) else [value])
                    if isinstance(v, str) and v
                )
            self.minted.update(allowed)
        self.responses.append((description, body, frozenset(allowed)))

    def leaks(self, user_store: UserStore) -> list[str]:
        users = user_store.list_page(0, 10_000)[0]
        # An account without a password stores the marker `NO_PASSWORD`, which hides nothing.
        hashes = {user.password_hash for user in users} - {NO_PASSWORD}
        secrets = self.passwords | self.minted | {hash_secret(s) for s in self.minted} | hashes
        return [
            f"{description} shows a secret"
            for description, body, allowed in self.responses
            for secret in secrets - (allowed if isinstance(allowed, frozenset) else {allowed})
            if secret and secret in body
        ]


def recording_client(ledger: SecretLedger) -> type[FlaskClient]:
    class RecordingClient(FlaskClient):
        def open(self, *args: Any, **kwargs: Any) -> Any:
            response = super().open(*args, **kwargs)
            body = response.get_data(as_text=True)
            request_json = kwargs.get("json")
            response_json = response.get_json(silent=True)
            ledger.record(
                f"{kwargs.get('method', 'GET')} {args[0] if args else ''}",
                request_json,
                body,
                response_json,
            )
            return response

    return RecordingClient


def build_app(
    user_store: UserStore,
    token_store: SessionStore | None,
    clock: Clock,
    ledger: SecretLedger,
    api_key_store: ApiKeyStore | None = None,
    mailer: Any = None,
    mail_token_store: Any = None,
    template_folder: str | None = None,
    mfa_store: MfaStore | None = None,
    attempt_store: AttemptStore | None = None,
    audit_store: Any = None,
    identity_store: Any = None,
    device_store: Any = None,
    **options: Any,
) -> Flask:
    """A test app with the endpoints, a seeded admin and two protected routes of its own. With
    `totp` on, TOTP secrets are sealed with `MFA_KEY` unless the options say otherwise."""
    app = Flask("frappyauth_test", template_folder=template_folder)
    app.test_client_class = recording_client(ledger)
    if options.get("identity_providers") or options.get("email_sign_in"):
        app.secret_key = "the test app's secret key, which signs provider flows"
    if options.get("totp"):
        options = {"mfa_encryption_key": MFA_KEY, **options}
    register_endpoints(
        app,
        user_store,
        token_store,
        {"bcrypt_cost": 4, **options},
        api_key_store=api_key_store,
        clock=clock,
        mailer=mailer,
        mail_token_store=mail_token_store,
        mfa_store=mfa_store,
        attempt_store=attempt_store,
        audit_store=audit_store,
        identity_store=identity_store,
        device_store=device_store,
    )

    @app.route("/api/things")
    def things() -> Any:
        return {"things": [], "for": check_login_state("view", allow_api_key=True).username}

    @app.route("/api/reports", methods=["GET", "POST"])
    @login_required(["view", "report"])
    def reports() -> Any:
        return {"reports": [], "for": current_user().username}

    initial_user_check(app, "Admin", ADMIN_PASSWORD)
    return app


def login(client: FlaskClient, username: str, password: str) -> str:
    response = client.post("/api/user/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": token}


def body(response: Any) -> Any:
    return json.loads(response.get_data(as_text=True))


STORE_WRITES = frozenset(
    {
        "create",
        "set_permissions",
        "set_profile",
        "set_password_hash",
        "set_api_key_hash",
        "delete",
        "delete_for_user",
        "delete_by_id",
        "increment",
        "decrement",
        "delete_for_subject",
        "upgrade_password_hash",
        "set_credential_version",
        "touch",
        "purge_expired",
    }
)


class StoreSpy:
    """Wraps a store: records every call's method name, and makes the methods in `failing` (every
    method with '*') raise `StoreUnavailableError` as an unreachable database would."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.calls: list[str] = []
        self.failing: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if "*" in self.failing or name in self.failing:
                raise StoreUnavailableError(retry_after=7)
            return method(*args, **kwargs)

        return call

    def writes(self) -> list[str]:
        return [name for name in self.calls if name in STORE_WRITES]

    def reads(self) -> list[str]:
        return [name for name in self.calls if name not in STORE_WRITES]
