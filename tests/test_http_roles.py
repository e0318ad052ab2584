"""Roles over HTTP (option `roles`), on every store: admins manage them, users hold them beside
their own permissions, and every check (the app's `check_login_state` and `login_required`, an API
key's scopes, the last-admin rule) uses the effective set, read anew on each request."""

from __future__ import annotations

from typing import Any

import pytest

from frappyauth import check_login_state
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

SEED_USER_KEYS = {"_id", "id", "username", "permissions", "profile", "hasApiKey"}


def create_user(client, admin: str, name: str, permissions=()) -> str:
    answer = client.post(
        "/api/user/users",
        json={"username": name, "password": USER_PASSWORD, "permissions": list(permissions)},
        headers=auth(admin),
    )
    assert answer.status_code == 200, answer.get_json()
    return body(answer)["id"]


def put_role(client, admin: str, name: str, permissions) -> Any:
    return client.put(
        f"/api/user/roles/{name}", json={"permissions": list(permissions)}, headers=auth(admin)
    )


def grant(client, admin: str, user_id: str, roles) -> Any:
    return client.post(
        f"/api/user/users/{user_id}/roles", json={"roles": list(roles)}, headers=auth(admin)
    )


@pytest.fixture
def roles_app(make_app) -> Any:
    app = make_app(api_keys=True, roles=True)

    @app.route("/api/report")
    def report() -> Any:
        return {"for": check_login_state(["view", "report"], allow_api_key=True).username}

    client = app.test_client()
    return app, client, login(client, "Admin", ADMIN_PASSWORD)


def test_without_the_option_the_endpoints_are_off_and_the_user_json_is_the_seeds(make_app) -> None:
    client = make_app().test_client()
    admin = login(client, "Admin", ADMIN_PASSWORD)
    assert set(body(client.get("/api/user", headers=auth(admin)))) == SEED_USER_KEYS
    for answer in (
        client.get("/api/user/roles", headers=auth(admin)),
        put_role(client, admin, "editor", ["edit"]),
    ):
        assert answer.status_code == 404 and body(answer)["error"] == "feature_disabled"


def test_a_role_grants_its_permissions_to_the_apps_own_checks(roles_app) -> None:
    app, client, admin = roles_app
    bob_id = create_user(client, admin, "bob", ["view"])
    bob = login(client, "bob", USER_PASSWORD)
    assert client.get("/api/reports", headers=auth(bob)).status_code == 403
    assert body(put_role(client, admin, "reporter", ["report", "view"])) == {
        "name": "reporter",
        "permissions": ["report", "view"],
    }
    user = body(grant(client, admin, bob_id, ["reporter"]))
    assert (user["roles"], user["permissions"]) == (["reporter"], ["view"])
    assert user["effectivePermissions"] == ["view", "report"]
    assert client.get("/api/reports", headers=auth(bob)).status_code == 200
    assert body(client.get("/api/user/roles", headers=auth(admin))) == {
        "roles": [{"name": "reporter", "permissions": ["report", "view"]}]
    }


def test_a_change_to_a_role_counts_on_the_next_request_of_every_worker(make_app) -> None:
    first, second = make_app(roles=True).test_client(), make_app(roles=True).test_client()
    admin = login(first, "Admin", ADMIN_PASSWORD)
    bob_id = create_user(first, admin, "bob", ["view"])
    put_role(first, admin, "reporter", ["report"])
    grant(first, admin, bob_id, ["reporter"])
    bob = login(second, "bob", USER_PASSWORD)
    assert second.get("/api/reports", headers=auth(bob)).status_code == 200
    assert put_role(first, admin, "reporter", []).status_code == 200
    assert second.get("/api/reports", headers=auth(bob)).status_code == 403


def test_a_role_is_deleted_only_while_nobody_holds_it_unless_forced(roles_app) -> None:
    app, client, admin = roles_app
    bob_id = create_user(client, admin, "bob", ["view"])
    put_role(client, admin, "reporter", ["report"])
    grant(client, admin, bob_id, ["reporter"])
    refused = client.delete("/api/user/roles/reporter", headers=auth(admin))
    assert refused.status_code == 409 and body(refused)["error"] == "role_in_use"
    assert [r["name"] for r in body(client.get("/api/user/roles", headers=auth(admin)))["roles"]]
    forced = client.delete("/api/user/roles/reporter?force=true", headers=auth(admin))
    assert body(forced) == {"name": "reporter", "deleted": True}
    bob = body(client.get("/api/user/users?q=bob", headers=auth(admin)))["users"][0]
    assert bob["roles"] == [] and bob["effectivePermissions"] == ["view"]
    # Made again, the role is not silently given back to those it was taken from.
    put_role(client, admin, "reporter", ["report"])
    assert body(client.get("/api/user/users?q=bob", headers=auth(admin)))["users"][0]["roles"] == []


@pytest.mark.parametrize(
    "request_, status, code",
    [
        (
            lambda c, a, u: c.delete("/api/user/roles/nobody", headers=auth(a)),
            404,
            "role_not_found",
        ),
        (lambda c, a, u: c.delete("/api/user/roles/x?force=yes", headers=auth(a)), 400, None),
        (lambda c, a, u: put_role(c, a, "-bad", ["x"]), 400, None),
        (lambda c, a, u: put_role(c, a, "x" * 65, ["x"]), 400, None),
        (lambda c, a, u: c.put("/api/user/roles/x", json={}, headers=auth(a)), 400, None),
        (lambda c, a, u: grant(c, a, u, ["nobody"]), 400, "unknown_role"),
        (lambda c, a, u: grant(c, a, "0123456789abcdef01234567", []), 404, "user_not_found"),
        (lambda c, a, u: grant(c, a, u, "reporter"), 400, None),
    ],
)
def test_each_refusal_answers_its_error_and_changes_nothing(
    roles_app, request_, status, code
) -> None:
    app, client, admin = roles_app
    bob_id = create_user(client, admin, "bob", ["view"])
    put_role(client, admin, "reporter", ["report"])
    answer = request_(client, admin, bob_id)
    assert answer.status_code == status, body(answer)
    if code is not None:
        assert body(answer)["error"] == code
    assert body(client.get("/api/user/roles", headers=auth(admin))) == {
        "roles": [{"name": "reporter", "permissions": ["report"]}]
    }
    assert body(client.get("/api/user/users?q=bob", headers=auth(admin)))["users"][0]["roles"] == []


def test_only_an_admin_session_manages_roles(roles_app) -> None:
    app, client, admin = roles_app
    bob_id = create_user(client, admin, "bob", ["view"])
    bob = login(client, "bob", USER_PASSWORD)
    assert client.get("/api/user/roles", headers=auth(bob)).status_code == 403
    assert put_role(client, bob, "mine", ["admin"]).status_code == 403
    assert grant(client, bob, bob_id, []).status_code == 403
    assert app.test_client().get("/api/user/roles").status_code == 401  # no cookie either


def test_the_last_admin_rule_counts_admins_through_roles(roles_app) -> None:
    app, client, admin = roles_app
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    bob_id = create_user(client, admin, "bob")
    put_role(client, admin, "admins", ["admin"])
    grant(client, admin, bob_id, ["admins"])
    bob = login(client, "bob", USER_PASSWORD)
    assert client.get("/api/user/roles", headers=auth(bob)).status_code == 200  # admin by role
    demoted = client.post(
        f"/api/user/users/{admin_id}/permissions", json={"permissions": []}, headers=auth(bob)
    )
    assert demoted.status_code == 200  # bob is still an admin, through the role
    for refused in (
        put_role(client, bob, "admins", ["view"]),
        client.delete("/api/user/roles/admins?force=true", headers=auth(bob)),
        grant(client, bob, bob_id, []),
        client.delete(f"/api/user/users/{bob_id}", headers=auth(bob)),
    ):
        assert refused.status_code == 409 and body(refused)["error"] == "last_admin"
    assert client.get("/api/user/roles", headers=auth(bob)).status_code == 200


def test_api_key_scopes_narrow_the_effective_set(roles_app) -> None:
    app, client, admin = roles_app
    bob_id = create_user(client, admin, "bob", ["view"])
    put_role(client, admin, "reporter", ["report"])
    grant(client, admin, bob_id, ["reporter"])
    bob = login(client, "bob", USER_PASSWORD)

    def key(name: str, scopes) -> str:
        made = client.post(
            "/api/user/keys", json={"name": name, "scopes": scopes}, headers=auth(bob)
        )
        assert made.status_code == 200, body(made)
        return body(made)["apiKey"]

    narrow, wide, whole = key("narrow", ["view"]), key("wide", ["view", "report"]), key("all", None)
    for api_key, status in ((narrow, 403), (wide, 200), (whole, 200)):
        answer = client.get("/api/report", headers={"Authorization": f"Token {api_key}"})
        assert answer.status_code == status, (api_key, body(answer))
    shown = body(client.get("/api/user", headers={"Authorization": f"Token {narrow}"}))
    assert shown["effectivePermissions"] == ["view"]
    put_role(client, admin, "reporter", [])  # taking it from the role takes it from every key
    assert client.get("/api/report", headers={"Authorization": f"Token {wide}"}).status_code == 403
    refused = client.post(
        "/api/user/keys", json={"name": "x", "scopes": ["report"]}, headers=auth(bob)
    )
    assert refused.status_code == 400


def test_an_admin_both_directly_and_through_a_role_may_drop_the_direct_one(roles_app) -> None:
    app, client, admin = roles_app
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    put_role(client, admin, "admins", ["admin"])
    grant(client, admin, admin_id, ["admins"])
    dropped = client.post(
        f"/api/user/users/{admin_id}/permissions", json={"permissions": []}, headers=auth(admin)
    )
    assert dropped.status_code == 200, body(dropped)
    assert body(dropped)["effectivePermissions"] == ["admin"]
    refused = grant(client, admin, admin_id, [])
    assert refused.status_code == 409 and body(refused)["error"] == "last_admin"
