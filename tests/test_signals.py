"""Every security signal fires exactly once for its action, carrying who, by whom, from where —
no secret."""

from __future__ import annotations

from typing import Any

import pytest
from blinker import NamedSignal

from frappyauth.core import signals
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

SIGNALS = {
    name: signal for name, signal in vars(signals).items() if isinstance(signal, NamedSignal)
}


@pytest.fixture
def received(app):
    events: list[tuple[str, Any, dict[str, Any]]] = []
    receivers = {
        name: (lambda sender, _name=name, **kwargs: events.append((_name, sender, kwargs)))
        for name in SIGNALS
    }
    for name, receiver in receivers.items():
        SIGNALS[name].connect(receiver, sender=app, weak=False)
    yield events
    for name, receiver in receivers.items():
        SIGNALS[name].disconnect(receiver)  # from every sender: blinker keeps it otherwise


@pytest.fixture
def scene(app, client, admin_token, user_token):
    bob = body(client.get("/api/user", headers=auth(user_token)))["id"]
    admin = body(client.get("/api/user", headers=auth(admin_token)))["id"]
    return {
        "client": client,
        "admin_token": admin_token,
        "bob_token": user_token,
        "bob": bob,
        "admin": admin,
    }


def wrong_login(s):
    s["client"].post("/api/user/login", json={"username": "bob", "password": "not bobs password"})


def unknown_login(s):
    s["client"].post(
        "/api/user/login", json={"username": "nobody", "password": "not anyones password"}
    )


def end_one_session(s):
    sid = body(s["client"].get("/api/user/sessions", headers=auth(s["bob_token"])))["sessions"][0][
        "id"
    ]
    s["client"].delete(f"/api/user/sessions/{sid}", headers=auth(s["bob_token"]))


ACTIONS = {
    "login_succeeded": (lambda s: login(s["client"], "bob", USER_PASSWORD), "bob", "bob"),
    "login_failed": (wrong_login, "bob", None),
    "login_failed for an unknown user": (unknown_login, None, None),
    "logged_out": (
        lambda s: s["client"].delete("/api/user/logout", headers=auth(s["bob_token"])),
        "bob",
        "bob",
    ),
    "session_revoked": (end_one_session, "bob", "bob"),
    "session_revoked everywhere": (
        lambda s: s["client"].delete("/api/user/sessions", headers=auth(s["bob_token"])),
        "bob",
        "bob",
    ),
    "password_changed": (
        lambda s: s["client"].post(
            "/api/user/password",
            headers=auth(s["bob_token"]),
            json={"oldPassword": USER_PASSWORD, "newPassword": "bobs new password"},
        ),
        "bob",
        "bob",
    ),
    "password_changed by an admin": (
        lambda s: s["client"].post(
            f"/api/user/users/{s['bob']}/password",
            json={"password": "bobs new password"},
            headers=auth(s["admin_token"]),
        ),
        "bob",
        "admin",
    ),
    "user_deleted": (
        lambda s: s["client"].delete(f"/api/user/users/{s['bob']}", headers=auth(s["admin_token"])),
        "bob",
        "admin",
    ),
    "permissions_changed": (
        lambda s: s["client"].post(
            f"/api/user/users/{s['bob']}/permissions",
            json={"permissions": []},
            headers=auth(s["admin_token"]),
        ),
        "bob",
        "admin",
    ),
    "profile_changed": (
        lambda s: s["client"].post(
            f"/api/user/users/{s['bob']}/profile", json={"x": 1}, headers=auth(s["admin_token"])
        ),
        "bob",
        "admin",
    ),
    "api_key_created": (
        lambda s: s["client"].post("/api/user/key", headers=auth(s["bob_token"])),
        "bob",
        "bob",
    ),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_fires_its_signal_exactly_once(scene, received, app, action) -> None:
    perform, user, actor = ACTIONS[action]
    received.clear()
    perform(scene)
    signal_name = action.split(" ")[0]
    assert [name for name, _, _ in received] == [signal_name]
    _, sender, payload = received[0]
    assert sender is app
    assert payload["user_id"] == (scene[user] if user else None)
    assert payload["actor"] == (scene[actor] if actor else None)
    assert payload["remote_addr"] == "127.0.0.1"
    secrets = [
        scene["bob_token"],
        scene["admin_token"],
        USER_PASSWORD,
        ADMIN_PASSWORD,
        "bobs new password",
    ]
    assert [secret for secret in secrets if secret in repr(payload)] == []


def test_user_created_fires_once_with_the_new_users_id(scene, received) -> None:
    received.clear()
    created = body(
        scene["client"].post(
            "/api/user/users",
            json={"username": "carol", "password": USER_PASSWORD},
            headers=auth(scene["admin_token"]),
        )
    )["id"]
    assert [(name, payload["user_id"], payload["actor"]) for name, _, payload in received] == [
        ("user_created", created, scene["admin"])
    ]


def test_api_key_revoked_fires_once(scene, received) -> None:
    scene["client"].post("/api/user/key", headers=auth(scene["bob_token"]))
    received.clear()
    scene["client"].delete("/api/user/key", headers=auth(scene["bob_token"]))
    assert [(name, payload["user_id"], payload["actor"]) for name, _, payload in received] == [
        ("api_key_revoked", scene["bob"], scene["bob"])
    ]


def test_a_throttled_login_fires_login_throttled(make_app) -> None:
    app = make_app(max_failed_logins=1)
    client = app.test_client()
    events: list[str] = []
    with signals.login_throttled.connected_to(
        lambda sender, **kw: events.append("throttled"), sender=app
    ):
        for _ in range(3):
            client.post(
                "/api/user/login", json={"username": "admin", "password": "not the password"}
            )
    assert events == ["throttled", "throttled"]
    assert (
        list(signals.login_throttled.receivers_for(app)) == []
    )  # nothing left connected for later tests
