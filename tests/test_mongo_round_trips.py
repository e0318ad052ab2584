"""What an authenticated request costs on MongoDB, in commands (round trips): one read, no write.

The stores run on mongomock behind a wrapper that logs every collection method called (each is one
command to a server). The HTTP tests with `StoreSpy` count store calls; these count what reaches the
database.
"""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from http_support import ADMIN_PASSWORD, USER_PASSWORD, SecretLedger, auth, body, build_app, login
from frappyauth.core.minting import hash_secret
from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore

WRITES = ("insert", "update", "delete", "replace", "find_one_and", "bulk_write", "create_index")


class CountingCollection:
    """A mongomock collection that logs `collection.method` for each command sent through it."""

    def __init__(self, collection: Any, database: CountingDatabase) -> None:
        self._collection, self.database, self.name = collection, database, collection.name

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def command(*args: Any, **kwargs: Any) -> Any:
            self.database.log.append(f"{self.name}.{name}")
            return attribute(*args, **kwargs)

        return command


class CountingDatabase:
    """A mongomock database whose collections are `CountingCollection`s."""

    def __init__(self) -> None:
        self._database = mongomock.MongoClient()["round_trips"]
        self.log: list[str] = []

    def __getitem__(self, name: str) -> CountingCollection:
        return CountingCollection(self._database[name], self)

    def get_collection(self, name: str, **options: Any) -> CountingCollection:
        return CountingCollection(self._database.get_collection(name, **options), self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)

    def writes(self) -> list[str]:
        return [entry for entry in self.log if entry.split(".")[1].startswith(WRITES)]


@pytest.fixture
def counted(clock):
    db = CountingDatabase()
    app = build_app(
        MongoUserStore(db),
        MongoSessionStore(db),
        clock,
        SecretLedger(),  # type: ignore[arg-type]
        api_keys=True,
        last_used_interval=300,
        default_permissions=["view"],
    )
    client = app.test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    admin_id = body(client.get("/api/user", headers=auth(admin)))["id"]
    client.post(
        f"/api/user/users/{admin_id}/permissions",
        json={"permissions": ["admin", "view"]},
        headers=auth(admin),
    )
    return client, db


def test_a_session_request_sends_one_command_and_writes_nothing(counted, clock) -> None:
    client, db = counted
    token = login(client, "admin", ADMIN_PASSWORD)
    db.log.clear()
    clock.advance(seconds=299)
    assert client.get("/api/things", headers=auth(token)).status_code == 200
    assert db.log == ["userTokens.aggregate"]


def test_a_key_request_sends_one_command_and_writes_only_last_used_per_interval(
    counted, clock
) -> None:
    client, db = counted
    token = login(client, "admin", ADMIN_PASSWORD)
    api_key = body(client.post("/api/user/keys", json={"name": "ci"}, headers=auth(token)))[
        "apiKey"
    ]
    db.log.clear()
    assert (
        client.get("/api/things", headers={"Authorization": f"Token {api_key}"}).status_code == 200
    )
    assert db.log == ["userApiKeys.aggregate", "userApiKeys.update_one"]  # first use: "last used"
    db.log.clear()
    clock.advance(seconds=299)
    assert (
        client.get("/api/things", headers={"Authorization": f"Token {api_key}"}).status_code == 200
    )
    assert db.log == ["userApiKeys.aggregate"]


def test_the_one_command_read_still_refuses_a_session_of_an_older_credential_version(
    counted,
) -> None:
    client, db = counted
    token = login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/api/things", headers=auth(token)).status_code == 200
    db["users"].update_one(
        {"username": "Admin"}, {"$set": {"credentialVersion": "changed"}}
    )  # another worker
    db.log.clear()
    assert client.get("/api/things", headers=auth(token)).status_code == 401
    assert db.log == ["userTokens.aggregate"]


def test_a_session_document_without_the_user_ref_still_works_with_a_second_read(counted) -> None:
    """An old worker (or a frappyauth before `userRef`) writes sessions without it during an
    upgrade."""
    client, db = counted
    token = login(client, "admin", ADMIN_PASSWORD)
    db["userTokens"].update_one({"tokenHash": hash_secret(token)}, {"$unset": {"userRef": ""}})
    db.log.clear()
    assert body(client.get("/api/things", headers=auth(token))) == {"things": [], "for": "Admin"}
    assert db.log == ["userTokens.aggregate", "users.find_one"]
    assert db.writes() == []


def test_the_user_id_decides_should_the_user_ref_ever_disagree(counted) -> None:
    """`userRef` only speeds up the read: a session names its user by `userId`, as
    frappymongouser's did."""
    client, db = counted
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    bob = login(client, "bob", USER_PASSWORD)
    admin_ref = db["users"].find_one({"username": "Admin"})["_id"]
    db["userTokens"].update_one({"tokenHash": hash_secret(bob)}, {"$set": {"userRef": admin_ref}})
    assert body(client.get("/api/things", headers=auth(bob))) == {"things": [], "for": "bob"}
