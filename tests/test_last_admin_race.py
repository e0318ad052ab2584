"""Two admins removing each other at the same instant must still leave an admin.

The losing interleaving is forced: each thread's first count of admins waits until the other thread
has counted too, so both see two admins before either writes.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from conftest import NOW
from http_support import ADMIN_PASSWORD, Clock, SecretLedger, auth, body, build_app, login
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemorySessionStore,
    MemoryUserStore,
)


class CountRendezvous:
    """A user store whose first admin count in each thread waits for the other thread's."""

    def __init__(self, store: MemoryUserStore) -> None:
        self._store, self._barrier, self._waited = store, threading.Barrier(2), set()
        self.armed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def count_holders(self, permission: str | None, roles: Any, active_only: bool) -> int:
        # The last-admin rule counts active admins, through roles too (`authorization`).
        result = self._store.count_holders(permission, roles, active_only)
        if self.armed and permission == "admin" and threading.get_ident() not in self._waited:
            self._waited.add(threading.get_ident())
            self._barrier.wait(timeout=5)
        return result


def demote(client, token: str, user_id: str):
    return client.post(
        f"/api/user/users/{user_id}/permissions", json={"permissions": []}, headers=auth(token)
    )


def delete(client, token: str, user_id: str):
    return client.delete(f"/api/user/users/{user_id}", headers=auth(token))


@pytest.mark.parametrize("remove", [demote, delete])
def test_two_admins_removing_each_other_at_once_leave_an_admin(remove) -> None:
    users = CountRendezvous(MemoryUserStore())
    app = build_app(
        users,
        MemorySessionStore(),
        Clock(NOW),
        SecretLedger(),
        api_key_store=MemoryApiKeyStore(),
        attempt_store=MemoryAttemptStore(),
    )
    client = app.test_client()
    first = login(client, "admin", ADMIN_PASSWORD)
    second_id = body(
        client.post(
            "/api/user/users",
            json={"username": "second", "password": ADMIN_PASSWORD, "permissions": ["admin"]},
            headers=auth(first),
        )
    )["id"]
    first_id, second = users.get_by_username("admin").id, login(client, "second", ADMIN_PASSWORD)
    statuses: list[int] = []

    def act(token: str, target: str) -> None:
        statuses.append(remove(app.test_client(), token, target).status_code)

    threads = [
        threading.Thread(target=act, args=pair) for pair in [(first, second_id), (second, first_id)]
    ]
    users.armed = True
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    users.armed = False
    assert users.count("admin") >= 1, statuses
    assert 409 in statuses, statuses
