"""8 threads x 1,000 mixed operations against one app on the memory store (mongomock is not
thread-safe and its `$inc` is not atomic, so concurrency is tested here and on a real MongoDB).
Every answer must be the expected one, and the final state must reconcile with what the threads
report: no lost user, no orphan session, no session of a deleted user, one `default` API key."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from conftest import NOW
from frappyauth.core.models import username_key
from frappyauth.core.minting import hash_secret
from http_support import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    Clock,
    SecretLedger,
    auth,
    body,
    build_app,
    login,
)
from frappyauth.stores.memory import MemoryApiKeyStore, MemorySessionStore, MemoryUserStore
from threads import run_in_threads

pytestmark = pytest.mark.slow

THREADS, OPERATIONS = 8, 1000


@dataclass
class Worker:
    """One thread's view: the users it created and still has, and the sessions it holds."""

    number: int
    client: object
    admin: str
    users: dict[str, str] = field(default_factory=dict)  # username -> id
    sessions: dict[str, list[str]] = field(default_factory=dict)  # username -> tokens
    deleted: list[str] = field(default_factory=list)  # ids
    shared_sessions: list[str] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    created: int = 0

    def expect(self, response, status: int, what: str):
        if response.status_code != status:
            self.failures.append(
                f"{what}: {response.status_code} {response.get_data(as_text=True)[:200]}"
            )
        return response

    def step(self, rng: random.Random) -> None:
        action = rng.choice(
            [
                "create",
                "create",
                "login",
                "login",
                "logout",
                "delete",
                "permissions",
                "key",
                "read",
                "shared login",
                "shared logout",
            ]
        )
        name = rng.choice(sorted(self.users)) if self.users else None
        if action == "create" or name is None:
            self.create()
        elif action == "login":
            response = self.client.post(
                "/api/user/login", json={"username": name, "password": USER_PASSWORD}
            )
            self.sessions[name].append(body(self.expect(response, 200, "login"))["token"])
        elif action == "logout" and self.sessions[name]:
            self.expect(
                self.client.delete("/api/user/logout", headers=auth(self.sessions[name].pop())),
                200,
                "logout",
            )
        elif action == "delete":
            user_id = self.users.pop(name)
            self.expect(
                self.client.delete(f"/api/user/users/{user_id}", headers=auth(self.admin)),
                200,
                "delete",
            )
            self.deleted.append(user_id)
            for token in self.sessions.pop(name):
                self.expect(
                    self.client.get("/api/user", headers=auth(token)), 401, "deleted user's session"
                )
        elif action == "permissions":
            permissions = rng.sample(["view", "edit", "report"], rng.randint(0, 3))
            self.expect(
                self.client.post(
                    f"/api/user/users/{self.users[name]}/permissions",
                    json={"permissions": permissions},
                    headers=auth(self.admin),
                ),
                200,
                "perms",
            )
        elif action == "key":
            token = login(self.client, "shared", USER_PASSWORD)
            response = self.expect(
                self.client.post("/api/user/key", headers=auth(token)), 200, "key"
            )
            self.api_keys.append(body(response)["apiKey"])
            self.shared_sessions.append(token)
        elif action == "read" and self.sessions[name]:
            response = self.expect(
                self.client.get("/api/user", headers=auth(self.sessions[name][-1])), 200, "read"
            )
            if body(response)["username"] != name:
                self.failures.append("read answered another user")
        elif action == "shared login":
            self.shared_sessions.append(login(self.client, "shared", USER_PASSWORD))
        elif action == "shared logout" and self.shared_sessions:
            response = self.client.delete(
                "/api/user/logout", headers=auth(self.shared_sessions.pop())
            )
            self.expect(response, 200, "shared logout")

    def create(self) -> None:
        self.created += 1
        name = f"w{self.number}-{self.created}"
        response = self.expect(
            self.client.post(
                "/api/user/users",
                json={"username": name, "password": USER_PASSWORD},
                headers=auth(self.admin),
            ),
            200,
            "create",
        )
        self.users[name], self.sessions[name] = body(response)["id"], []


@pytest.fixture
def loaded_app():
    users, tokens, keys = MemoryUserStore(), MemorySessionStore(), MemoryApiKeyStore()
    app = build_app(
        users,
        tokens,
        Clock(NOW),
        SecretLedger(),
        api_key_store=keys,
        api_keys=True,
        max_failed_logins=1_000_000,
        anonymous_rate_limit=1_000_000,  # thousands of logins from one test address
    )
    client = app.test_client()
    client.post(
        "/api/user/users",
        json={"username": "shared", "password": USER_PASSWORD},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    return app, users, tokens, keys


def test_mixed_operations_from_eight_threads_reconcile(loaded_app) -> None:
    app, users, tokens, api_keys = loaded_app
    workers = [
        Worker(n, app.test_client(), login(app.test_client(), "admin", ADMIN_PASSWORD))
        for n in range(THREADS)
    ]
    errors: list[BaseException] = []

    def run(worker: Worker) -> None:
        rng = random.Random(worker.number)
        try:
            for _ in range(OPERATIONS):
                worker.step(rng)
        except BaseException as error:  # noqa: BLE001 -- reported below, with the thread's failures
            errors.append(error)

    run_in_threads(run, [(worker,) for worker in workers], switch_interval=1e-4)

    assert [f for w in workers for f in w.failures] == [] and errors == []
    alive = {name: user_id for worker in workers for name, user_id in worker.users.items()}
    assert users.count() == 2 + len(alive)  # admin, shared and every user a thread still holds
    for name, user_id in alive.items():
        assert users.get_by_username(username_key(name)).id == user_id
    for worker in workers:
        for user_id in worker.deleted:
            assert users.get(user_id) is None and tokens.list_for_user(user_id, NOW) == []
        for name, held in worker.sessions.items():
            stored = {
                session.token_hash for session in tokens.list_for_user(worker.users[name], NOW)
            }
            assert stored == {hash_secret(token) for token in held}
    shared = users.get_by_username("shared")
    held_shared = {hash_secret(t) for worker in workers for t in worker.shared_sessions}
    assert {s.token_hash for s in tokens.list_for_user(shared.id, NOW)} == held_shared
    keys = [key for worker in workers for key in worker.api_keys]
    stored = api_keys.list_for_user(
        shared.id, NOW
    )  # concurrent rotations leave one `default` key, the last
    assert [key.name for key in stored] == ["default"]
    assert sum(hash_secret(key) == stored[0].key_hash for key in keys) == 1
