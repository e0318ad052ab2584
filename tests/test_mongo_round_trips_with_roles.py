"""With roles and suspension on, an authenticated request on MongoDB still costs one command: the
roles join the aggregation that reads the session (or key) and its user, and the suspension is a
field of the user it already reads."""

from __future__ import annotations

from http_support import ADMIN_PASSWORD, USER_PASSWORD, SecretLedger, auth, body, build_app, login
from test_mongo_round_trips import CountingDatabase
from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore


def test_a_request_of_a_role_holder_sends_one_command_and_sees_a_role_change_at_once(
    clock,
) -> None:
    db = CountingDatabase()
    app = build_app(
        MongoUserStore(db),
        MongoSessionStore(db),
        clock,
        SecretLedger(),  # type: ignore[arg-type]
        api_keys=True,
        roles=True,
        suspension=True,
        last_used_interval=300,
    )
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    bob_id = body(
        client.post(
            "/api/user/users",
            json={"username": "bob", "password": USER_PASSWORD},
            headers=auth(admin),
        )
    )["id"]
    client.put("/api/user/roles/viewer", json={"permissions": ["view"]}, headers=auth(admin))
    client.post(f"/api/user/users/{bob_id}/roles", json={"roles": ["viewer"]}, headers=auth(admin))
    bob = login(client, "bob", USER_PASSWORD)
    api_key = body(client.post("/api/user/keys", json={"name": "ci"}, headers=auth(bob)))["apiKey"]
    key = {"Authorization": f"Token {api_key}"}
    assert client.get("/api/things", headers=key).status_code == 200  # first use: "last used"
    db.log.clear()
    assert client.get("/api/things", headers=auth(bob)).status_code == 200
    assert client.get("/api/things", headers=key).status_code == 200
    assert db.log == ["userTokens.aggregate", "userApiKeys.aggregate"]
    db["userRoles"].update_one({"_id": "viewer"}, {"$set": {"permissions": []}})  # another worker
    db.log.clear()
    assert client.get("/api/things", headers=auth(bob)).status_code == 403
    assert client.get("/api/things", headers=key).status_code == 403
    assert db.log == ["userTokens.aggregate", "userApiKeys.aggregate"]
    db["users"].update_one({"username": "bob"}, {"$set": {"suspendedAt": clock()}})  # suspended
    assert client.get("/api/things", headers=auth(bob)).status_code == 401
    assert client.get("/api/things", headers=key).status_code == 401
