"""API keys as their holder sees them: several named keys, scopes, expiry, limits, frappyflaskauth's
`/key`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from conftest import NOW
from frappyauth import check_login_state, current_user, login_required
from frappyauth.core.minting import hash_secret
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

KEY_FORMAT = re.compile(r"fak_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


def key_auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Token {api_key}"}


def new_key(client, token: str, **fields: Any):
    return client.post("/api/user/keys", json={"name": "ci", **fields}, headers=auth(token))


@pytest.fixture
def keyed(make_app) -> Any:
    """An app with key-friendly routes of its own; bob holds `view` and `report`."""

    def build(**options: Any) -> tuple[Flask, Any, str, str]:
        app = make_app(api_keys=True, **options)

        @app.route("/api/report")
        def report() -> Any:
            return {"for": check_login_state(["view", "report"], allow_api_key=True).username}

        @app.route("/api/whoami")
        @login_required(allow_api_key=True)
        def whoami() -> Any:
            return {"permissions": list(current_user().permissions)}

        client = app.test_client()
        admin = login(client, "admin", ADMIN_PASSWORD)
        response = client.post(
            "/api/user/users",
            json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view", "report"]},
            headers=auth(admin),
        )
        return app, client, admin, login(client, "bob", USER_PASSWORD), body(response)["id"]

    return build


def test_a_user_holds_several_named_keys_listed_without_secrets(keyed, api_key_store) -> None:
    _, client, _, bob, _ = keyed()
    made = [body(new_key(client, bob, name=name)) for name in ("ci", "deploy")]
    for key in made:
        assert KEY_FORMAT.fullmatch(key["apiKey"]).group(1) == key["id"]
        assert client.get("/api/things", headers=key_auth(key["apiKey"])).status_code == 200
    listed = body(client.get("/api/user/keys", headers=auth(bob)))["keys"]
    assert sorted(key["name"] for key in listed) == ["ci", "deploy"]
    assert listed[0] == {
        "id": listed[0]["id"],
        "name": listed[0]["name"],
        "scopes": None,
        "createdAt": "2100-01-01T12:00:00Z",
        "lastUsedAt": "2100-01-01T12:00:00Z",
        "expiresAt": None,
    }
    stored = api_key_store.get_by_hash(
        hash_secret(made[0]["apiKey"]), NOW
    )  # only the SHA-256 is kept
    assert stored.key_id == made[0]["id"] and made[0]["apiKey"] not in repr(stored)


def test_a_key_acts_with_its_scopes_that_the_owner_holds(keyed) -> None:
    _, client, admin, bob, bob_id = keyed()
    viewer = body(new_key(client, bob, name="viewer", scopes=["view"]))["apiKey"]
    full = body(new_key(client, bob, name="full"))["apiKey"]
    empty = body(new_key(client, bob, name="empty", scopes=[]))["apiKey"]
    assert client.get("/api/things", headers=key_auth(viewer)).status_code == 200
    refused = client.get("/api/report", headers=key_auth(viewer))
    assert (
        refused.status_code == 403 and "scopes do not include 'report'" in body(refused)["message"]
    )
    assert client.get("/api/report", headers=key_auth(full)).status_code == 200
    assert body(client.get("/api/whoami", headers=key_auth(viewer)))["permissions"] == ["view"]
    assert body(client.get("/api/whoami", headers=key_auth(empty)))["permissions"] == []
    # The narrowed user is the key's alone: the stored owner keeps every permission.
    assert set(body(client.get("/api/user", headers=auth(bob)))["permissions"]) == {
        "view",
        "report",
    }
    assert client.get("/api/things", headers=key_auth(empty)).status_code == 403
    # Taking a permission from the owner takes it from every key at once.
    client.post(
        f"/api/user/users/{bob_id}/permissions",
        json={"permissions": ["report"]},
        headers=auth(admin),
    )
    for api_key in (viewer, full):
        refused = client.get("/api/things", headers=key_auth(api_key))
        assert (
            refused.status_code == 403 and "needs the permission 'view'" in body(refused)["message"]
        )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"scopes": ["admin"]}, "'admin'"),
        ({"scopes": ["view", "nonsense"]}, "'nonsense'"),
        ({"scopes": "view"}, "scopes"),
        ({"expiresIn": 0}, "expiresIn"),
        ({"expiresIn": -60}, "expiresIn"),
        ({"expiresIn": True}, "expiresIn"),
        ({"expiresIn": 10**12}, "expiresIn"),
        ({"expiresAt": "2099-12-31T00:00:00Z"}, "future"),
        ({"expiresAt": "2101-01-01T00:00:00"}, "offset"),
        ({"expiresAt": "soon"}, "expiresAt"),
        ({"expiresAt": "0001-01-01T00:00:00+05:00"}, "expiresAt"),
        ({"expiresIn": 60, "expiresAt": "2101-01-01T00:00:00Z"}, "not both"),
        ({"name": "x" * 101}, "100"),
        ({"name": ""}, "name"),
        ({"name": " ci"}, "spaces"),
        ({"name": 5}, "name"),
    ],
)
def test_bad_key_requests_are_400_naming_the_problem_and_write_nothing(
    keyed, fields, message
) -> None:
    _, client, _, bob, _ = keyed()
    response = new_key(client, bob, **fields)
    assert response.status_code == 400 and message in body(response)["message"]
    assert body(client.get("/api/user/keys", headers=auth(bob)))["keys"] == []


def test_a_name_of_100_characters_is_fine_and_names_are_unique_per_user(keyed) -> None:
    _, client, admin, bob, _ = keyed()
    assert new_key(client, bob, name="x" * 100).status_code == 200
    assert new_key(client, bob).status_code == 200
    again = new_key(client, bob)
    assert again.status_code == 409 and body(again)["error"] == "api_key_name_taken"
    assert new_key(client, admin).status_code == 200  # another user's "ci"


def test_keys_expire(keyed, clock) -> None:
    _, client, _, bob, _ = keyed()
    short = body(new_key(client, bob, name="short", expiresIn=60))
    assert (
        new_key(client, bob, name="now", expiresAt="2100-01-01T13:00:00+01:00").status_code == 400
    )  # 12:00Z
    dated = body(new_key(client, bob, name="dated", expiresAt="2100-01-01T13:30:00+01:00"))
    assert (
        short["expiresAt"] == "2100-01-01T12:01:00Z"
        and dated["expiresAt"] == "2100-01-01T12:30:00Z"
    )
    clock.advance(seconds=59)
    assert client.get("/api/things", headers=key_auth(short["apiKey"])).status_code == 200
    clock.advance(seconds=1)
    assert client.get("/api/things", headers=key_auth(short["apiKey"])).status_code == 401
    assert client.get("/api/things", headers=key_auth(dated["apiKey"])).status_code == 200
    clock.advance(minutes=30)
    assert client.get("/api/things", headers=key_auth(dated["apiKey"])).status_code == 401
    assert body(client.get("/api/user/keys", headers=auth(bob)))["keys"] == []


def test_the_lifetime_cap_bounds_every_key(keyed) -> None:
    _, client, _, bob, _ = keyed(api_key_max_lifetime=3600)
    assert (
        body(new_key(client, bob))["expiresAt"] == "2100-01-01T13:00:00Z"
    )  # no expiry asked: the cap
    assert new_key(client, bob, name="b", expiresIn=3600).status_code == 200
    too_long = new_key(client, bob, name="c", expiresIn=3601)
    assert too_long.status_code == 400 and "3600 seconds" in body(too_long)["message"]
    assert new_key(client, bob, name="d", expiresAt="2100-01-01T13:00:01Z").status_code == 400


def test_more_keys_than_allowed_is_409_until_one_is_revoked(keyed) -> None:
    _, client, _, bob, _ = keyed(api_keys_per_user=2)
    first = body(new_key(client, bob, name="a"))["id"]
    assert new_key(client, bob, name="b").status_code == 200
    third = new_key(client, bob, name="c")
    assert third.status_code == 409 and body(third)["error"] == "too_many_api_keys"
    assert client.post("/api/user/key", headers=auth(bob)).status_code == 409
    assert client.delete(f"/api/user/keys/{first}", headers=auth(bob)).get_json() == {
        "id": first,
        "revoked": True,
    }
    assert new_key(client, bob, name="c").status_code == 200


def test_a_user_revokes_only_their_own_keys(keyed) -> None:
    _, client, admin, bob, _ = keyed()
    admins = body(new_key(client, admin))
    mine = body(new_key(client, bob))
    response = client.delete(f"/api/user/keys/{admins['id']}", headers=auth(bob))
    assert response.status_code == 404 and body(response)["error"] == "api_key_not_found"
    assert (
        client.get("/api/things", headers=key_auth(admins["apiKey"])).status_code == 403
    )  # alive: no `view`
    assert body(client.get("/api/user", headers=key_auth(admins["apiKey"])))["username"] == "Admin"
    assert client.delete(f"/api/user/keys/{mine['id']}", headers=auth(bob)).status_code == 200
    assert client.get("/api/things", headers=key_auth(mine["apiKey"])).status_code == 401
    assert client.delete(f"/api/user/keys/{mine['id']}", headers=auth(bob)).status_code == 404


def test_who_am_i_answers_a_keys_owner_with_the_keys_rights(keyed) -> None:
    _, client, admin, bob, bob_id = keyed()
    viewer = body(new_key(client, bob, name="viewer", scopes=["view"]))["apiKey"]
    whole = body(new_key(client, bob, name="whole"))["apiKey"]
    for api_key, permissions in [(viewer, ["view"]), (whole, ["view", "report"])]:
        for headers in [key_auth(api_key), {"Authorization": f"Bearer {api_key}"}]:
            answer = client.get("/api/user", headers=headers)
            assert answer.status_code == 200, body(answer)
            assert (body(answer)["id"], body(answer)["username"]) == (bob_id, "bob")
            assert body(answer)["permissions"] == permissions
    # Taking a permission from the owner takes it from the key's answer at once.
    client.post(
        f"/api/user/users/{bob_id}/permissions",
        json={"permissions": ["report"]},
        headers=auth(admin),
    )
    assert body(client.get("/api/user", headers=key_auth(viewer)))["permissions"] == []
    assert body(client.get("/api/user", headers=auth(bob)))["permissions"] == ["report"]


def test_a_key_cannot_manage_keys(keyed) -> None:
    _, client, _, bob, _ = keyed()
    key = body(new_key(client, bob))
    for method, path in [
        ("GET", "/api/user/keys"),
        ("POST", "/api/user/keys"),
        ("POST", "/api/user/key"),
        ("DELETE", f"/api/user/keys/{key['id']}"),
        ("DELETE", "/api/user/key"),
    ]:
        response = client.open(
            path, method=method, json={"name": "more"}, headers=key_auth(key["apiKey"])
        )
        assert response.status_code == 403, (method, path)


def test_frappyflaskauths_key_endpoints_manage_only_the_default_key(keyed) -> None:
    _, client, _, bob, _ = keyed()
    ci = body(new_key(client, bob))["apiKey"]
    assert (
        body(client.get("/api/user", headers=auth(bob)))["hasApiKey"] is False
    )  # `ci` is not `/key`'s key
    first = body(client.post("/api/user/key", headers=auth(bob)))["apiKey"]
    assert body(client.get("/api/user", headers=auth(bob)))["hasApiKey"] is True
    second = body(client.post("/api/user/key", headers=auth(bob)))["apiKey"]
    assert [
        client.get("/api/things", headers=key_auth(k)).status_code for k in (ci, first, second)
    ] == [200, 401, 200]
    assert sorted(
        k["name"] for k in body(client.get("/api/user/keys", headers=auth(bob)))["keys"]
    ) == ["ci", "default"]
    assert body(client.delete("/api/user/key", headers=auth(bob))) == {"apiKey": None}
    assert [client.get("/api/things", headers=key_auth(k)).status_code for k in (ci, second)] == [
        200,
        401,
    ]
    assert body(client.get("/api/user", headers=auth(bob)))["hasApiKey"] is False
    users = body(
        client.get("/api/user/users", headers=auth(login(client, "admin", ADMIN_PASSWORD)))
    )["users"]
    assert [user["hasApiKey"] for user in users] == [False, False]


def test_last_used_is_written_once_per_interval(keyed, clock) -> None:
    _, client, _, bob, _ = keyed()
    key = body(new_key(client, bob))

    def listed() -> Any:
        return body(client.get("/api/user/keys", headers=auth(bob)))["keys"][0]["lastUsedAt"]

    assert listed() is None
    clock.advance(seconds=10)
    client.get("/api/things", headers=key_auth(key["apiKey"]))
    assert listed() == "2100-01-01T12:00:10Z"
    clock.advance(seconds=299)
    client.get("/api/things", headers=key_auth(key["apiKey"]))
    assert listed() == "2100-01-01T12:00:10Z"
    clock.advance(seconds=1)
    client.get("/api/things", headers=key_auth(key["apiKey"]))
    assert listed() == "2100-01-01T12:05:10Z"


def test_legacy_keys_on_the_user_record_keep_working_until_rotated(keyed, user_store) -> None:
    _, client, _, bob, bob_id = keyed()
    user_store.set_api_key_hash(
        bob_id, hash_secret("0123456789abcdef0123456789abcdef")
    )  # frappyflaskauth's
    legacy = key_auth("0123456789abcdef0123456789abcdef")
    assert client.get("/api/things", headers=legacy).status_code == 200
    assert body(client.get("/api/user", headers=auth(bob)))["hasApiKey"] is True
    fresh = body(client.post("/api/user/key", headers=auth(bob)))["apiKey"]
    assert client.get("/api/things", headers=legacy).status_code == 401
    assert client.get("/api/things", headers=key_auth(fresh)).status_code == 200
    assert user_store.get(bob_id).api_key_hash is None


def test_a_prefixed_key_is_never_looked_up_on_the_user_records(keyed, user_store) -> None:
    _, client, _, _, bob_id = keyed()
    forged = "fak_0123456789abcdef_" + "x" * 43
    user_store.set_api_key_hash(bob_id, hash_secret(forged))
    assert client.get("/api/things", headers=key_auth(forged)).status_code == 401


def test_every_refused_key_gets_the_same_answer(keyed, clock) -> None:
    """Unknown, malformed, revoked, expired, deleted owner: one status and body, nothing to
    enumerate."""
    _, client, admin, bob, bob_id = keyed()
    revoked = body(new_key(client, bob, name="revoked"))
    client.delete(f"/api/user/keys/{revoked['id']}", headers=auth(bob))
    expired = body(new_key(client, bob, name="expired", expiresIn=1))
    orphan = body(new_key(client, bob, name="orphan"))["apiKey"]
    clock.advance(seconds=1)
    client.delete(f"/api/user/users/{bob_id}", headers=auth(admin))
    answers = {
        (response.status_code, response.get_data(as_text=True))
        for api_key in [
            "fak_0123456789abcdef_" + "x" * 43,
            "nonsense",
            revoked["apiKey"],
            expired["apiKey"],
            orphan,
            revoked["apiKey"][:-1],
        ]
        for response in [client.get("/api/things", headers=key_auth(api_key))]
    }
    assert answers == {(401, '{"error":"unauthenticated","message":"The API key is invalid."}\n')}


def test_a_key_is_not_a_session_token_nor_the_other_way_round(keyed) -> None:
    """`Bearer <key>` (what most HTTP clients send) is a key: accepted where keys are, refused as a
    key where they are not, and never a session."""
    _, client, _, bob, _ = keyed()
    api_key = body(new_key(client, bob))["apiKey"]
    for headers in [
        {"Authorization": api_key},
        {"Authorization": f"Bearer {api_key}"},
        {"Authorization": f"bearer  {api_key} "},
    ]:
        assert body(client.get("/api/report", headers=headers)) == {"for": "bob"}
        refused = client.get("/api/user/sessions", headers=headers)
        assert refused.status_code == 403
        assert body(refused)["message"] == "API keys are not accepted here."
    assert client.get("/api/things", headers=key_auth(bob)).status_code == 401
    # A session token stays a session token, in every form.
    assert client.get("/api/user/sessions", headers=auth(bob)).status_code == 200


def test_a_bearer_key_that_is_not_valid_is_answered_as_a_key(keyed) -> None:
    _, client, _, bob, _ = keyed()
    revoked = body(new_key(client, bob))
    client.delete(f"/api/user/keys/{revoked['id']}", headers=auth(bob))
    answer = client.get("/api/report", headers={"Authorization": f"Bearer {revoked['apiKey']}"})
    assert (answer.status_code, body(answer)["message"]) == (401, "The API key is invalid.")


def test_the_stores_never_hold_the_key_itself(keyed, database, api_key_store, user_store) -> None:
    _, client, _, bob, _ = keyed()
    api_key = body(new_key(client, bob))["apiKey"]
    secret = api_key.split("_", 2)[2]  # fak_<id>_<secret>; the secret itself may hold "_"
    if database is None:  # memory: everything the stores hold
        documents = [repr(vars(api_key_store)), repr(vars(user_store))]
    else:  # Mongo: every document of every collection
        documents = [
            repr(d) for name in database.list_collection_names() for d in database[name].find()
        ]
    assert not [d for d in documents if secret in d or api_key in d]
    assert any(hash_secret(api_key) in d for d in documents)
