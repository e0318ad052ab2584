"""A user id in another form (MongoDB's ObjectId takes upper-case hex) finds the user; everything
after the lookup (writes, session deletion, signals, answers) uses the stored id, so nothing is
left behind."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from backends import MONGO_BACKEND_PARAMS
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

pytestmark = pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)


def sessions_of(database: Any, user_id: str) -> int:
    return database["userTokens"].count_documents({"userId": user_id})


def bob_logged_out(s: dict[str, Any]) -> None:
    assert s["client"].get("/api/user", headers=auth(s["bob_token"])).status_code == 401
    assert sessions_of(s["database"], s["bob"]) == 0


def bob_deleted(s: dict[str, Any]) -> None:
    bob_logged_out(s)
    assert s["user_store"].get(s["bob"]) is None


def bob_holds_view_and_edit(s: dict[str, Any]) -> None:
    assert s["user_store"].get(s["bob"]).permissions == ("view", "edit")


def bob_profile_set(s: dict[str, Any]) -> None:
    assert s["user_store"].get(s["bob"]).profile == {"x": 1}


def bob_unlocked(s: dict[str, Any]) -> None:
    response = s["client"].post(
        "/api/user/login",
        json={"username": "bob", "password": USER_PASSWORD},
        environ_base=ELSEWHERE,
    )
    assert response.status_code == 200


def bob_key_listed(s: dict[str, Any]) -> None:
    assert [key["id"] for key in body(s["response"])["keys"]] == [s["bob_key_id"]]


def bob_keys_revoked(s: dict[str, Any]) -> None:
    assert (
        s["client"]
        .get("/api/things", headers={"Authorization": f"Token {s['bob_key']}"})
        .status_code
        == 401
    )
    assert s["database"]["userApiKeys"].count_documents({"userId": s["bob"]}) == 0


def bob_renamed(s: dict[str, Any]) -> None:
    assert s["user_store"].get(s["bob"]).username == "robert"
    assert s["client"].get("/api/user", headers=auth(s["bob_token"])).status_code == 200


def bob_session_listed(s: dict[str, Any]) -> None:
    assert len(body(s["response"])["sessions"]) == 1


# Every /users/<user_id>... route: method, path after the id, payload, what must hold afterwards.
ROUTES: dict[tuple[str, str], tuple[Any, Callable[[dict[str, Any]], None]]] = {
    ("POST", "/permissions"): ({"permissions": ["view", "edit"]}, bob_holds_view_and_edit),
    ("POST", "/profile"): ({"x": 1}, bob_profile_set),
    ("POST", "/password"): ({"password": "a brand new password"}, bob_logged_out),
    ("DELETE", ""): (None, bob_deleted),
    ("GET", "/sessions"): (None, bob_session_listed),
    ("DELETE", "/sessions"): (None, bob_logged_out),
    ("POST", "/unlock"): (None, bob_unlocked),
    ("GET", "/keys"): (None, bob_key_listed),
    ("DELETE", "/keys"): (None, bob_keys_revoked),
    ("DELETE", "/keys/<key_id>"): (None, bob_keys_revoked),
    ("POST", "/username"): ({"username": "robert"}, bob_renamed),
}
ELSEWHERE = {"REMOTE_ADDR": "10.0.0.9"}


@pytest.fixture
def scene(make_app, database, user_store, caplog) -> dict[str, Any]:
    client = make_app(api_keys=True, max_failed_logins=2).test_client()
    admin_token = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin_token),
    )
    bob = user_store.get_by_username("bob").id
    assert bob != bob.upper()
    answers = [
        client.post(
            "/api/user/login",
            json={"username": "bob", "password": "wrong password"},
            environ_base=ELSEWHERE,
        ).status_code
        for _ in range(3)
    ]
    assert answers[-1] == 429  # bob is locked out at another address, for the unlock route
    bob_token = login(client, "bob", USER_PASSWORD)
    key = body(client.post("/api/user/keys", json={"name": "ci"}, headers=auth(bob_token)))
    return {
        "client": client,
        "admin_token": admin_token,
        "bob": bob,
        "bob_token": bob_token,
        "database": database,
        "user_store": user_store,
        "bob_key": key["apiKey"],
        "bob_key_id": key["id"],
    }


def test_the_table_names_every_route_with_a_user_id(scene) -> None:
    prefix = "/api/user/users/<user_id>"
    routes = {
        (method, rule.rule[len(prefix) :])
        for rule in scene["client"].application.url_map.iter_rules()
        if rule.rule.startswith(prefix)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(ROUTES), "add the new /users/<user_id> route to ROUTES"


@pytest.mark.parametrize("route", ROUTES, ids=" ".join)
def test_every_user_route_with_the_upper_case_id_acts_on_the_stored_user(
    scene, caplog, route
) -> None:
    method, suffix = route
    payload, holds = ROUTES[route]
    upper = scene["bob"].upper()
    path = f"/api/user/users/{upper}{suffix}".replace("<key_id>", scene["bob_key_id"])
    response = scene["client"].open(
        path, method=method, json=payload, headers=auth(scene["admin_token"])
    )
    assert response.status_code == 200, body(response)
    answer = body(response)
    user_ids = {answer.get("userId"), answer["id"] if "username" in answer else None} - {None}
    assert user_ids <= {scene["bob"]}
    assert upper not in response.get_data(as_text=True) and upper not in caplog.text
    holds({**scene, "response": response})


def test_a_user_edits_their_own_profile_through_the_upper_case_id(make_app, user_store) -> None:
    client = make_app(allow_own_profile_edit=True).test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users", json={"username": "bob", "password": USER_PASSWORD}, headers=auth(admin)
    )
    bob = user_store.get_by_username("bob").id
    response = client.post(
        f"/api/user/users/{bob.upper()}/profile",
        json={"x": 1},
        headers=auth(login(client, "bob", USER_PASSWORD)),
    )
    assert response.status_code == 200 and user_store.get(bob).profile == {"x": 1}
