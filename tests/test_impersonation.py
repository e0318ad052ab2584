"""Audited impersonation (option `impersonation`): who may start it, what its session may do, how
long it lasts, and that every request it makes is kept with both ids, on every store."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frappyauth.core.options import build_options
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login
from mfa_support import code, enrol, first_step, second_step

PREFIX = "/api/user"
ON = {
    "impersonation": True,
    "audit_trail": True,
    "totp": True,
    "passkeys": True,
    "api_keys": True,
    "email_change": True,
}
SUPPORT_PASSWORD = "support password 5678"
REASON = "ticket 4711: cannot find the export button"


@dataclasses.dataclass
class World:
    """An app with an administrator, a support user holding `impersonate` (with TOTP), and bob."""

    app: Flask
    client: FlaskClient
    clock: Any
    admin: str  # the administrator's session token
    support_id: str
    support_secret: str
    bob_id: str

    def support_session(self) -> str:
        """A fresh sign-in of the support user with the second factor; returns its token."""
        self.clock.advance(seconds=31)  # a TOTP code counts once: the next sign-in needs the next
        pending = first_step(self.client, "support", SUPPORT_PASSWORD)
        answer = second_step(self.client, pending, code=code(self.support_secret, self.clock.now))
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["token"]

    def impersonate(self, user_id: str, token: str, reason: str = REASON) -> Any:
        return self.client.post(
            f"{PREFIX}/users/{user_id}/impersonate", json={"reason": reason}, headers=auth(token)
        )

    def as_bob(self) -> str:
        """An impersonation session of bob, started by the support user."""
        answer = self.impersonate(self.bob_id, self.support_session())
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["token"]

    def audit(self, **query: str) -> list[dict[str, Any]]:
        text = "&".join(f"{name}={value}" for name, value in {"limit": "100", **query}.items())
        return body(self.client.get(f"{PREFIX}/audit?{text}", headers=auth(self.admin)))["entries"]


def create_user(client: FlaskClient, admin: str, username: str, password: str, *perms: str) -> str:
    answer = client.post(
        f"{PREFIX}/users",
        json={"username": username, "password": password, "permissions": list(perms)},
        headers=auth(admin),
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["id"]


@pytest.fixture
def world(make_mail_app: Any, clock: Any) -> World:
    app = make_mail_app(**ON)
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    support_id = create_user(client, admin, "support", SUPPORT_PASSWORD, "impersonate", "view")
    bob_id = create_user(client, admin, "bob", USER_PASSWORD, "view")
    secret, _ = enrol(
        client, login(client, "support", SUPPORT_PASSWORD), SUPPORT_PASSWORD, clock.now
    )
    return World(app, client, clock, admin, support_id, secret, bob_id)


def test_the_session_is_the_targets_marked_with_the_impersonator_for_30_minutes(
    world: World,
) -> None:
    answer = world.impersonate(world.bob_id, world.support_session())
    started = body(answer)
    assert answer.status_code == 200
    assert started["user"]["id"] == world.bob_id and started["impersonatorId"] == world.support_id
    token = started["token"]
    assert body(world.client.get(PREFIX, headers=auth(token)))["username"] == "bob"
    state = body(world.client.get(f"{PREFIX}/impersonation", headers=auth(token)))
    assert state["impersonating"] is True and state["impersonatorId"] == world.support_id
    assert body(world.client.get("/api/things", headers=auth(token)))["for"] == "bob"
    world.clock.advance(minutes=29, seconds=59)
    assert world.client.get(PREFIX, headers=auth(token)).status_code == 200
    world.clock.advance(seconds=1)
    assert world.client.get(PREFIX, headers=auth(token)).status_code == 401


def test_a_session_of_ones_own_is_no_impersonation(world: World) -> None:
    own = body(world.client.get(f"{PREFIX}/impersonation", headers=auth(world.admin)))
    assert own == {"impersonating": False}
    answer = world.client.delete(f"{PREFIX}/impersonation", headers=auth(world.admin))
    assert answer.status_code == 409 and body(answer)["error"] == "not_impersonating"


# One refusal per forbidden action: (method, path, body); `{bob}` and `{support}` are user ids.
FORBIDDEN = {
    "password change": (
        "POST",
        "/password",
        {"oldPassword": USER_PASSWORD, "newPassword": "x" * 20},
    ),
    "address change": ("POST", "/email", {"password": USER_PASSWORD, "email": "new@example.org"}),
    "TOTP enrolment": ("POST", "/mfa/totp", {"password": USER_PASSWORD}),
    "TOTP disabling": ("DELETE", "/mfa/totp", {"password": USER_PASSWORD, "code": "123456"}),
    "recovery codes": ("POST", "/mfa/recovery-codes", {"password": USER_PASSWORD, "code": "1"}),
    "passkey registration": ("POST", "/passkeys/register/options", {}),
    "passkey renaming": ("POST", "/passkeys/" + "p" * 16, {"name": "mine"}),
    "passkey deletion": ("DELETE", "/passkeys/" + "p" * 16, None),
    "key creation": ("POST", "/keys", {"name": "ci"}),
    "key deletion": ("DELETE", "/keys/0123456789abcdef", None),
    "legacy key creation": ("POST", "/key", None),
    "legacy key deletion": ("DELETE", "/key", None),
    "ending the user's sessions": ("DELETE", "/sessions", None),
    "impersonating again": ("POST", "/users/{support}/impersonate", {"reason": REASON}),
    "an admin endpoint": ("GET", "/users", None),
    "the audit trail": ("GET", "/audit", None),
    "an admin change": ("POST", "/users/{bob}/permissions", {"permissions": ["admin"]}),
}


@pytest.mark.parametrize("action", FORBIDDEN)
def test_an_impersonation_session_is_refused(world: World, action: str) -> None:
    method, path, payload = FORBIDDEN[action]
    token = world.as_bob()
    before = world.client.get(PREFIX, headers=auth(token)).get_json()
    answer = world.client.open(
        PREFIX + path.format(bob=world.bob_id, support=world.support_id),
        method=method,
        json=payload,
        headers=auth(token),
    )
    assert answer.status_code == 403 and body(answer)["error"] == "impersonation_forbidden"
    assert world.client.get(PREFIX, headers=auth(token)).get_json() == before  # nothing changed
    refused = world.audit(type="impersonated-request")[1]  # before it: the read that follows
    assert refused["outcome"] == "failure" and refused["details"]["method"] == method
    assert refused["userId"] == world.bob_id and refused["impersonatorId"] == world.support_id


def test_an_administrator_cannot_be_impersonated_nor_oneself(world: World) -> None:
    token = world.support_session()
    admin_id = body(world.client.get(PREFIX, headers=auth(world.admin)))["id"]
    for target in (admin_id, world.support_id):
        answer = world.impersonate(target, token)
        assert answer.status_code == 403 and body(answer)["error"] == "impersonation_forbidden"


def test_a_user_made_administrator_meanwhile_is_no_longer_acted_for(world: World) -> None:
    token = world.as_bob()
    world.client.post(
        f"{PREFIX}/users/{world.bob_id}/permissions",
        json={"permissions": ["admin"]},
        headers=auth(world.admin),
    )
    answer = world.client.get(PREFIX, headers=auth(token))
    assert answer.status_code == 403 and body(answer)["error"] == "impersonation_forbidden"


def test_a_second_factor_from_the_last_10_minutes_is_needed(world: World) -> None:
    token = world.support_session()
    world.clock.advance(minutes=10, seconds=1)
    late = world.impersonate(world.bob_id, token)
    assert late.status_code == 403 and body(late)["error"] == "recent_second_factor_required"
    # A password-only session, however young, has no second factor.
    create_user(world.client, world.admin, "helper", SUPPORT_PASSWORD, "impersonate")
    password_only = world.impersonate(world.bob_id, login(world.client, "helper", SUPPORT_PASSWORD))
    assert body(password_only)["error"] == "recent_second_factor_required"
    assert world.audit(type="impersonation-started") == []


def test_the_admin_permission_does_not_imply_impersonation(world: World, clock: Any) -> None:
    secret, _ = enrol(world.client, world.admin, ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=31)
    pending = first_step(world.client, "admin", ADMIN_PASSWORD)
    admin = second_step(world.client, pending, code=code(secret, clock.now)).get_json()["token"]
    answer = world.impersonate(world.bob_id, admin)
    assert answer.status_code == 403 and body(answer)["error"] == "forbidden"
    assert "impersonate" in body(answer)["message"]


def test_a_reason_is_required_and_the_user_must_exist(world: World) -> None:
    token = world.support_session()
    assert world.impersonate(world.bob_id, token, reason="  ").status_code == 400
    missing = world.impersonate("0123456789abcdef01234567", token)
    assert missing.status_code == 404 and body(missing)["error"] == "user_not_found"


def test_it_is_off_unless_asked_for(make_app: Any) -> None:
    client = make_app(audit_trail=True, totp=True).test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    for method, path in (("POST", "/users/x/impersonate"), ("DELETE", "/impersonation")):
        answer = client.open(
            PREFIX + path, method=method, json={"reason": REASON}, headers=auth(admin)
        )
        assert answer.status_code == 404 and body(answer)["error"] == "feature_disabled"
        assert "'impersonation'" in body(answer)["message"]


def test_a_session_left_from_before_the_option_was_turned_off_is_nobody(
    world: World, make_mail_app: Any
) -> None:
    token = world.as_bob()
    off = make_mail_app(**{**ON, "impersonation": False}).test_client()  # the same stores
    assert off.get(PREFIX, headers=auth(token)).status_code == 401
    assert world.client.get(PREFIX, headers=auth(token)).status_code == 200


@pytest.mark.parametrize(
    "options, complaint",
    [
        ({"impersonation": True, "totp": True, "mfa_encryption_key": "k" * 32}, "audit_trail"),
        ({"impersonation": True, "audit_trail": True}, "totp"),
        (
            {**ON, "email_change": False, "impersonation_permission": "admin"},
            "user_admin_permission",
        ),
    ],
)
def test_options_that_would_weaken_it_are_refused(options: dict, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        build_options(options)


def test_every_request_is_audited_with_both_ids(world: World) -> None:
    token = world.as_bob()
    world.client.get(PREFIX, headers=auth(token))
    world.client.get("/api/things", headers=auth(token))
    world.client.delete(f"{PREFIX}/impersonation", headers=auth(token))
    assert world.client.get(PREFIX, headers=auth(token)).status_code == 401  # ended
    entries = world.audit(user=world.bob_id)
    events = [entry["event"] for entry in entries]
    assert events == [
        "impersonation-ended",
        "impersonated-request",  # the DELETE itself
        "impersonated-request",
        "impersonated-request",
        "impersonation-started",
        "user-created",
    ]
    paths = [entry["details"].get("path") for entry in entries[1:4]]
    assert paths == [f"{PREFIX}/impersonation", "/api/things", PREFIX]
    for entry in entries[:5]:
        assert entry["impersonatorId"] == world.support_id and entry["userId"] == world.bob_id
    assert entries[4]["actorId"] == world.support_id
    assert entries[4]["details"]["reason"] == REASON


def test_the_target_sees_it_in_their_activity_without_who_or_where(world: World) -> None:
    token = world.as_bob()
    world.client.get("/api/things", headers=auth(token))
    world.client.delete(f"{PREFIX}/impersonation", headers=auth(token))
    bob = login(world.client, "bob", USER_PASSWORD)
    entries = body(world.client.get(f"{PREFIX}/activity", headers=auth(bob)))["entries"]
    seen = [entry for entry in entries if entry["event"].startswith("imperson")]
    assert [entry["event"] for entry in seen] == [
        "impersonation-ended",
        "impersonated-request",
        "impersonated-request",
        "impersonation-started",
    ]
    for entry in seen:
        assert entry["impersonatorId"] == "administrator" and entry["remoteAddr"] is None
        assert world.support_id not in str(entry)
    assert seen[-1]["details"]["reason"] == REASON


def test_ending_it_leaves_the_impersonators_own_session_alone(world: World) -> None:
    support = world.support_session()
    token = body(world.impersonate(world.bob_id, support))["token"]
    assert world.client.delete(f"{PREFIX}/impersonation", headers=auth(token)).status_code == 200
    assert world.client.get(PREFIX, headers=auth(support)).status_code == 200
    assert world.client.get(PREFIX, headers=auth(token)).status_code == 401


def test_the_impersonation_session_expires_with_the_clock_even_when_sessions_last_shorter(
    make_mail_app: Any, clock: Any
) -> None:
    """`token_expiration` shorter than 30 minutes wins: impersonation never outlasts a session."""
    app = make_mail_app(**ON, token_expiration=600)
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    create_user(client, admin, "support", SUPPORT_PASSWORD, "impersonate")
    bob = create_user(client, admin, "bob", USER_PASSWORD, "view")
    secret, _ = enrol(
        client, login(client, "support", SUPPORT_PASSWORD), SUPPORT_PASSWORD, clock.now
    )
    clock.advance(seconds=31)
    pending = first_step(client, "support", SUPPORT_PASSWORD)
    support = second_step(client, pending, code=code(secret, clock.now)).get_json()["token"]
    answer = client.post(
        f"{PREFIX}/users/{bob}/impersonate", json={"reason": REASON}, headers=auth(support)
    )
    token = body(answer)["token"]
    clock.advance(seconds=600)
    assert client.get(PREFIX, headers=auth(token)).status_code == 401


def test_the_target_sees_the_session_without_where_from_and_can_end_it(world: World) -> None:
    token = world.as_bob()
    bob = login(world.client, "bob", USER_PASSWORD)
    sessions = body(world.client.get(f"{PREFIX}/sessions", headers=auth(bob)))["sessions"]
    marked = [session for session in sessions if session.get("impersonated")]
    assert len(marked) == 1 and len(sessions) == 2
    assert marked[0]["remoteAddr"] is None and marked[0]["userAgent"] is None
    ended = world.client.delete(f"{PREFIX}/sessions/{marked[0]['id']}", headers=auth(bob))
    assert ended.status_code == 200
    assert world.client.get(PREFIX, headers=auth(token)).status_code == 401
