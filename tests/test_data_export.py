"""`GET /me/export` (GDPR articles 15 and 20): everything stored about the caller, as JSON, and no
secret, token or hash in it."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from conftest import NOW
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from mfa_support import enrol
from soft_authenticator import SoftAuthenticator

PREFIX = "/api/user"
EVERYTHING = {"api_keys": True, "totp": True, "passkeys": True, "audit_trail": True}


def new_user(client, admin_token: str, name: str = "bob", **extra) -> str:
    created = client.post(
        f"{PREFIX}/users",
        json={"username": name, "password": USER_PASSWORD, "permissions": ["view"], **extra},
        headers=auth(admin_token),
    )
    assert created.status_code == 200, created.get_json()
    return body(created)["id"]


def add_passkey(client, token: str) -> None:
    options = body(client.post(f"{PREFIX}/passkeys/register/options", json={}, headers=auth(token)))
    registered = client.post(
        f"{PREFIX}/passkeys/register",
        headers=auth(token),
        json={"name": "laptop", "credential": SoftAuthenticator().create(options)},
    )
    assert registered.status_code == 200, registered.get_json()


def stored_hashes(stores, user_id: str) -> set[str]:
    """Every hash and sealed secret the stores hold of the user: none may show in an export."""
    user = stores.users.get(user_id)
    found = {user.password_hash, user.api_key_hash or ""}
    found |= {s.token_hash for s in stores.sessions.list_for_user(user_id, NOW)}
    found |= {k.key_hash for k in stores.api_keys.list_for_user(user_id, NOW)}
    enrolment = stores.mfa.get_totp(user_id)
    if enrolment is not None:
        found |= {enrolment.secret, *enrolment.recovery_code_hashes}
    return found - {""}


@pytest.fixture
def app(make_app):
    return make_app(**EVERYTHING)


def test_the_export_holds_profile_keys_sessions_second_factors_and_activity_and_no_secret(
    app, client, admin_token, clock, ledger
) -> None:
    bob = new_user(client, admin_token, email="bob@example.org", profile={"city": "Graz"})
    token = login(client, "bob", USER_PASSWORD)
    login(app.test_client(), "bob", USER_PASSWORD)  # a second session
    key = body(client.post(f"{PREFIX}/keys", json={"name": "ci"}, headers=auth(token)))
    add_passkey(client, token)
    enrol(client, token, USER_PASSWORD, clock.now)

    response = client.get(f"{PREFIX}/me/export", headers=auth(token))

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = body(response)
    assert exported["user"]["id"] == bob and exported["user"]["username"] == "bob"
    assert exported["user"]["email"] == "bob@example.org"
    assert exported["user"]["profile"] == {"city": "Graz"}
    assert exported["user"]["permissions"] == ["view"]
    assert len(exported["sessions"]) == 2
    assert [s["current"] for s in exported["sessions"]].count(True) == 1
    assert [k["id"] for k in exported["apiKeys"]] == [key["id"]]
    assert exported["secondFactors"]["totp"] == {
        "enrolledAt": "2100-01-01T12:00:00Z",
        "confirmed": True,
        "recoveryCodesLeft": 10,
    }
    assert [p["name"] for p in exported["secondFactors"]["passkeys"]] == ["laptop"]
    events = [entry["event"] for entry in exported["activity"]]
    assert {"user-created", "login-succeeded", "api-key-created", "mfa-enabled"} <= set(events)
    assert all(entry["userId"] == bob for entry in exported["activity"])
    stores = app.extensions["frappyauth"].services.stores
    text = response.get_data(as_text=True)
    assert [h for h in stored_hashes(stores, bob) if h in text] == []
    # and the ledger (every password, token, key, code and TOTP secret this test saw) at teardown


def test_other_actors_are_named_by_role_only(client, admin_token) -> None:
    bob = new_user(client, admin_token)
    client.post(f"{PREFIX}/users/{bob}/profile", json={"a": 1}, headers=auth(admin_token))
    token = login(client, "bob", USER_PASSWORD)
    activity = body(client.get(f"{PREFIX}/me/export", headers=auth(token)))["activity"]
    admin_id = body(client.get(PREFIX, headers=auth(admin_token)))["id"]
    changed = [entry for entry in activity if entry["event"] == "profile-changed"]
    assert [entry["actorId"] for entry in changed] == ["administrator"]
    assert admin_id not in str(activity)


def test_activity_is_exported_whole_past_one_page(client, admin_token) -> None:
    token = login(client, "admin", ADMIN_PASSWORD)
    for _ in range(105):
        login(client, "admin", ADMIN_PASSWORD)
    activity = body(client.get(f"{PREFIX}/me/export", headers=auth(token)))["activity"]
    assert [entry["event"] for entry in activity].count("login-succeeded") == 107


def test_without_the_options_the_sections_are_empty(make_app) -> None:
    client = make_app().test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    exported = body(client.get(f"{PREFIX}/me/export", headers=auth(token)))
    assert exported["activity"] is None
    assert exported["secondFactors"] == {"totp": None, "passkeys": []}
    assert exported["identities"] == [] and exported["devices"] == [] and exported["apiKeys"] == []


def test_api_keys_and_anonymous_callers_get_no_export(app, client, admin_token) -> None:
    key = body(client.post(f"{PREFIX}/keys", json={"name": "ci"}, headers=auth(admin_token)))
    by_key = client.get(f"{PREFIX}/me/export", headers={"Authorization": f"Token {key['apiKey']}"})
    assert by_key.status_code == 403
    assert app.test_client().get(f"{PREFIX}/me/export").status_code == 401


@dataclasses.dataclass(frozen=True)
class LinkedIdentity:  # the shape of provider sign-in's record
    identity_id: str
    user_id: str
    provider: str
    subject: str
    email: str | None
    created_at: datetime


class Identities:
    def __init__(self, records: list[LinkedIdentity]) -> None:
        self.records = records

    def list_for_user(self, user_id: str) -> list[LinkedIdentity]:
        return [record for record in self.records if record.user_id == user_id]

    def delete_for_user(self, user_id: str) -> int:
        before = len(self.records)
        self.records[:] = [r for r in self.records if r.user_id != user_id]
        return before - len(self.records)


def test_linked_identities_are_exported_where_provider_sign_in_keeps_them(
    app, client, admin_token
) -> None:
    admin_id = body(client.get(PREFIX, headers=auth(admin_token)))["id"]
    records = [
        LinkedIdentity("i1", admin_id, "google", "1234", "a@example.org", NOW),
        LinkedIdentity("i2", "someone else", "google", "5678", None, NOW),
    ]
    stores = app.extensions["frappyauth"].services.stores
    object.__setattr__(stores, "identities", Identities(records))  # until Stores has the field
    exported = body(client.get(f"{PREFIX}/me/export", headers=auth(admin_token)))
    assert exported["identities"] == [
        {
            "identityId": "i1",
            "userId": admin_id,
            "provider": "google",
            "subject": "1234",
            "email": "a@example.org",
            "createdAt": "2100-01-01T12:00:00Z",
        }
    ]
