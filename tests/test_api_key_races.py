"""24 threads at once against the key limits, on the memory store (mongomock is not thread-safe, so
concurrency is tested there; the Mongo store's bound is proved by the form of its writes in
test_mongo_api_keys.py)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from conftest import NOW
from frappyauth.core.models import ApiKey
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

THREADS = 24


@pytest.fixture
def bob():
    keys = MemoryApiKeyStore()
    app = build_app(
        MemoryUserStore(),
        MemorySessionStore(),
        Clock(NOW),
        SecretLedger(),
        api_key_store=keys,
        api_keys=True,
        api_keys_per_user=5,
    )
    client = app.test_client()
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    token = login(client, "bob", USER_PASSWORD)
    return app, token, body(client.get("/api/user", headers=auth(token)))["id"], keys


def answers(app, token: str, requests: list[tuple[str, dict | None]]) -> list[tuple[int, dict]]:
    results: list[tuple[int, dict]] = []

    def send(path: str, payload: dict | None) -> None:
        response = app.test_client().post(path, json=payload, headers=auth(token))
        results.append((response.status_code, body(response)))

    run_in_threads(send, requests)
    return results


def test_24_threads_creating_keys_get_exactly_the_limit(bob) -> None:
    app, token, bob_id, keys = bob
    results = answers(app, token, [("/api/user/keys", {"name": f"k{n}"}) for n in range(THREADS)])
    assert Counter(status for status, _ in results) == {200: 5, 409: THREADS - 5}
    assert {answer["error"] for status, answer in results if status == 409} == {"too_many_api_keys"}
    assert len(keys.list_for_user(bob_id, NOW)) == 5


def test_24_threads_creating_one_name_get_one_key(bob) -> None:
    app, token, bob_id, keys = bob
    results = answers(app, token, [("/api/user/keys", {"name": "ci"}) for _ in range(THREADS)])
    assert Counter(status for status, _ in results) == {200: 1, 409: THREADS - 1}
    assert [key.name for key in keys.list_for_user(bob_id, NOW)] == ["ci"]


def test_24_concurrent_rotations_leave_exactly_one_working_default_key(bob) -> None:
    app, token, bob_id, keys = bob
    results = answers(app, token, [("/api/user/key", None) for _ in range(THREADS)])
    assert {status for status, _ in results} == {200}
    client = app.test_client()
    working = [
        answer["apiKey"]
        for _, answer in results
        if client.get(
            "/api/things", headers={"Authorization": f"Token {answer['apiKey']}"}
        ).status_code
        == 200
    ]
    assert len(working) == 1
    assert [key.name for key in keys.list_for_user(bob_id, NOW)] == ["default"]


def test_a_create_paused_between_its_count_and_its_insert_cannot_be_overtaken(monkeypatch) -> None:
    """Forces the interleaving a count-then-insert store loses: A has looked at bob's keys and is
    paused; B creates meanwhile. The store must make B wait for A (one lock around count and
    insert), or the user ends with more keys than the limit. A's pause ends when B finished, or
    after 0.2 s if B is (rightly) held."""
    store = MemoryApiKeyStore()
    store.create(ApiKey("k0", "bob", "k0", "h0", NOW), 2, NOW)
    looked, overtaken = threading.Event(), threading.Event()
    expired = ApiKey.expired

    def pausing(key: ApiKey, now) -> bool:
        if threading.current_thread().name == "A" and not looked.is_set():
            looked.set()
            overtaken.wait(timeout=0.2)
        return expired(key, now)

    monkeypatch.setattr(ApiKey, "expired", pausing)
    results: dict[str, bool] = {}
    a = threading.Thread(
        name="A",
        target=lambda: results.update(A=store.create(ApiKey("k1", "bob", "k1", "h1", NOW), 2, NOW)),
    )
    b = threading.Thread(
        name="B",
        target=lambda: (
            results.update(B=store.create(ApiKey("k2", "bob", "k2", "h2", NOW), 2, NOW)),
            overtaken.set(),
        ),
    )
    a.start()
    assert looked.wait(timeout=5)
    b.start()
    a.join(), b.join()
    assert sorted(results.values()) == [False, True]
    assert len(store.list_for_user("bob", NOW)) == 2
