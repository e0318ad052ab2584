"""The stored audit trail (option `audit_trail`): every security event kept once and without a
secret, read by administrators page by page and by each user as their own activity."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from blinker import NamedSignal

from frappyauth.core import signals
from frappyauth.core.minting import hash_secret
from http_support import ADMIN_PASSWORD, USER_PASSWORD, StoreSpy, auth, body, build_app, login

AUDIT = {"audit_trail": True, "api_keys": True}
NEW_PASSWORD = "a brand new password"


def every_signal() -> list[NamedSignal]:
    return [value for value in vars(signals).values() if isinstance(value, NamedSignal)]


def scenario(client) -> dict[str, str]:
    """A day of an installation: what each security event's endpoint does once or twice."""
    admin = login(client, "admin", ADMIN_PASSWORD)
    client.post("/api/user/login", json={"username": "admin", "password": "not the password"})
    bob = body(
        client.post(
            "/api/user/users",
            json={"username": "bob", "password": USER_PASSWORD},
            headers=auth(admin),
        )
    )["id"]
    client.post(
        f"/api/user/users/{bob}/permissions", json={"permissions": ["view"]}, headers=auth(admin)
    )
    client.post(f"/api/user/users/{bob}/profile", json={"name": "Bob"}, headers=auth(admin))
    session = login(client, "bob", USER_PASSWORD)
    key = body(client.post("/api/user/keys", json={"name": "ci"}, headers=auth(session)))
    client.delete(f"/api/user/keys/{key['id']}", headers=auth(session))
    client.post(
        "/api/user/password",
        json={"oldPassword": USER_PASSWORD, "newPassword": NEW_PASSWORD},
        headers=auth(session),
    )
    client.post(
        f"/api/user/users/{bob}/password", json={"password": USER_PASSWORD}, headers=auth(admin)
    )
    client.post(f"/api/user/users/{bob}/unlock", headers=auth(admin))
    client.delete("/api/user/logout", headers=auth(admin))
    return {"bob": bob}


def accounts_scenario(client) -> dict[str, str]:
    """Roles, suspension, a linked identity and a deletion: the account events of the options that
    turn them on."""
    from frappyauth.core.identity_providers import ProviderAccount
    from frappyauth.core.models import Actor

    ids = scenario(client)
    admin = login(client, "admin", ADMIN_PASSWORD)
    client.put("/api/user/roles/editor", json={"permissions": ["edit"]}, headers=auth(admin))
    client.post(
        f"/api/user/users/{ids['bob']}/roles", json={"roles": ["editor"]}, headers=auth(admin)
    )
    client.post(f"/api/user/users/{ids['bob']}/suspend", json={}, headers=auth(admin))
    client.post(f"/api/user/users/{ids['bob']}/unsuspend", json={}, headers=auth(admin))
    federation = client.application.extensions["frappyauth"].services.federation
    account = ProviderAccount("idp", "https://idp.example", "42", None, False, None, {})
    federation.link(ids["bob"], account, "127.0.0.1")
    (linked,) = federation.identities_of(ids["bob"])
    bob = client.application.extensions["frappyauth"].services.accounts.get(ids["bob"])
    federation.unlink(bob, linked.identity_id, Actor("admin"), by_admin=True)
    client.delete(f"/api/user/users/{ids['bob']}", headers=auth(admin))
    return ids


ACCOUNT_OPTIONS = {
    "roles": True,
    "suspension": True,
    "identity_providers": {
        "idp": {"issuer": "https://idp.example", "client_id": "c", "client_secret": "s"}
    },
}


@pytest.mark.parametrize(
    ("options", "play", "kinds"),
    [({}, scenario, 10), (ACCOUNT_OPTIONS, accounts_scenario, 18)],
    ids=["sessions-keys-passwords", "roles-suspension-identities-deletion"],
)
def test_every_security_event_is_kept_exactly_once_and_without_a_secret(
    make_app, audit_store, user_store, ledger, options, play, kinds
) -> None:
    app = make_app(**AUDIT, **options)
    since = app.extensions["frappyauth"].services.context.clock() - timedelta(days=1)
    seeded = len(audit_store.page(None, None, None, since, 100))  # the admin's creation
    sent: list[tuple[str, str | None]] = []
    receivers = []
    for signal in every_signal():

        def record(sender, user_id, _name=signal.name, **_):
            sent.append((_name, user_id))

        signal.connect(record, sender=app)
        receivers.append((signal, record))
    try:
        play(app.test_client())
    finally:
        for signal, record in receivers:
            signal.disconnect(record, sender=app)
    kept = audit_store.page(None, None, None, since, 100)[: -seeded or None]
    assert sorted((entry.event, entry.user_id) for entry in kept) == sorted(sent)
    assert len({event for event, _ in sent}) >= kinds  # the scenario touched that many kinds
    text = json.dumps([entry.details for entry in kept] + [[e.event, e.actor_id] for e in kept])
    hashes = {user.password_hash for user in user_store.list_page(0, 100)[0]}
    secrets = ledger.passwords | ledger.minted | {hash_secret(s) for s in ledger.minted} | hashes
    assert [secret for secret in secrets if secret and secret in text] == []


def test_an_authenticated_request_writes_nothing_and_a_login_writes_once(
    user_store, token_store, audit_store, attempt_store, api_key_store, clock, ledger
) -> None:
    spy = StoreSpy(audit_store)
    app = build_app(
        user_store,
        token_store,
        clock,
        ledger,
        audit_store=spy,
        attempt_store=attempt_store,
        api_key_store=api_key_store,
        **AUDIT,
    )
    client = app.test_client()
    spy.calls.clear()
    token = login(client, "admin", ADMIN_PASSWORD)
    assert spy.calls == ["append"]
    for _ in range(3):
        assert client.get("/api/user", headers=auth(token)).status_code == 200
    assert spy.calls == ["append"]


def test_the_trail_is_for_administrators_newest_first_page_by_page(make_app) -> None:
    client = make_app(**AUDIT).test_client()
    ids = scenario(client)
    admin = login(client, "admin", ADMIN_PASSWORD)
    whole = body(client.get("/api/user/audit?limit=100", headers=auth(admin)))["entries"]
    first = body(client.get("/api/user/audit?limit=3", headers=auth(admin)))
    second = body(
        client.get(f"/api/user/audit?limit=3&before={first['next']}", headers=auth(admin))
    )
    assert (
        first["entries"] + second["entries"] == whole[:6] and whole[0]["event"] == "login-succeeded"
    )
    of_bob = body(client.get(f"/api/user/audit?user={ids['bob']}&limit=100", headers=auth(admin)))
    assert {entry["userId"] for entry in of_bob["entries"]} == {ids["bob"]}
    failed = body(client.get("/api/user/audit?type=login-failed", headers=auth(admin)))["entries"]
    assert [entry["outcome"] for entry in failed] == ["failure"]
    bob = login(client, "bob", USER_PASSWORD)
    assert client.get("/api/user/audit", headers=auth(bob)).status_code == 403
    for query in (
        "limit=0",
        "limit=101",
        "limit=x",
        "before=yesterday",
        "before=2026-01-01T00:00:00",
    ):
        assert client.get(f"/api/user/audit?{query}", headers=auth(admin)).status_code == 400, query


def test_ones_activity_is_ones_own_and_names_others_only_by_role(make_app) -> None:
    client = make_app(**AUDIT).test_client()
    ids = scenario(client)
    bob = login(client, "bob", USER_PASSWORD)
    entries = body(client.get("/api/user/activity", headers=auth(bob)))["entries"]
    assert entries and {entry["userId"] for entry in entries} == {ids["bob"]}
    by_admin = [e for e in entries if e["event"] == "permissions-changed"]
    assert (
        by_admin and by_admin[0]["actorId"] == "administrator" and by_admin[0]["remoteAddr"] is None
    )
    own = [e for e in entries if e["event"] == "login-succeeded"]
    assert own[0]["actorId"] == ids["bob"] and own[0]["remoteAddr"] == "127.0.0.1"


def test_a_failed_audit_write_is_logged_loudly_and_the_request_goes_on(
    user_store, token_store, audit_store, attempt_store, api_key_store, clock, ledger, caplog
) -> None:
    spy = StoreSpy(audit_store)
    app = build_app(
        user_store,
        token_store,
        clock,
        ledger,
        audit_store=spy,
        attempt_store=attempt_store,
        api_key_store=api_key_store,
        **AUDIT,
    )
    spy.failing = {"append"}
    with caplog.at_level(logging.ERROR, logger="frappyauth"):
        assert login(app.test_client(), "admin", ADMIN_PASSWORD)
    assert any(
        "audit trail could not keep login-succeeded" in r.getMessage() for r in caplog.records
    )


def test_the_command_line_exports_the_trail_as_json_lines(make_app) -> None:
    app = make_app(**AUDIT)
    scenario(app.test_client())
    result = app.test_cli_runner().invoke(args=["frappyauth", "audit", "--user", "bob", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines and all(line["userId"] == lines[0]["userId"] for line in lines)
    since = app.test_cli_runner().invoke(args=["frappyauth", "audit", "--since", "1d"])
    assert since.exit_code == 0 and "login-succeeded" in since.output
    assert (
        app.test_cli_runner().invoke(args=["frappyauth", "audit", "--since", "soon"]).exit_code != 0
    )


def test_the_trail_is_off_by_default(make_app) -> None:
    client = make_app().test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    answer = client.get("/api/user/audit", headers=auth(admin))
    assert answer.status_code == 404 and "'audit_trail' is off" in body(answer)["message"]
    assert client.application.extensions["frappyauth"].services.audit is None
