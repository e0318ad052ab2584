"""The `DeviceStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backends import Backend
from conftest import NOW
from frappyauth.core.device_models import SeenDevice
from frappyauth.core.protocols import DeviceStore
from threads import run_in_threads

LATER = NOW + timedelta(days=3)


# see


def test_see_returns_none_for_a_new_device_and_then_when_it_was_last_seen(
    device_store: DeviceStore,
) -> None:
    assert device_store.see("u1", "f1", NOW) is None
    assert device_store.see("u1", "f1", LATER) == NOW
    assert device_store.see("u1", "f1", LATER + timedelta(minutes=1)) == LATER


def test_see_keeps_devices_apart_by_user_and_by_fingerprint(device_store: DeviceStore) -> None:
    device_store.see("u1", "f1", NOW)
    assert device_store.see("u2", "f1", NOW) is None
    assert device_store.see("u1", "f2", NOW) is None


def test_see_never_moves_last_seen_backwards(device_store: DeviceStore) -> None:
    device_store.see("u1", "f1", LATER)
    assert device_store.see("u1", "f1", NOW) == LATER
    assert device_store.list_for_user("u1") == [SeenDevice("u1", "f1", LATER)]


def test_concurrent_first_sightings_give_none_to_exactly_one(
    backend: Backend, device_store: DeviceStore
) -> None:
    if not backend.thread_safe:
        pytest.skip(
            "mongomock is not thread-safe: concurrency is tested on the memory store and real "
            "MongoDB"
        )
    results: list[datetime | None] = []
    run_in_threads(lambda: results.append(device_store.see("u1", "f1", NOW)), [()] * 24)
    assert results.count(None) == 1
    assert device_store.list_for_user("u1") == [SeenDevice("u1", "f1", NOW)]


# list_for_user


def test_list_for_user_gives_the_users_devices_latest_first_then_by_fingerprint(
    device_store: DeviceStore,
) -> None:
    device_store.see("u1", "f2", NOW)
    device_store.see("u1", "f3", LATER)
    device_store.see("u1", "f1", NOW)
    device_store.see("u2", "f4", LATER)
    assert device_store.list_for_user("u1") == [
        SeenDevice("u1", "f3", LATER),
        SeenDevice("u1", "f1", NOW),
        SeenDevice("u1", "f2", NOW),
    ]
    assert device_store.list_for_user("nobody") == []


# delete_for_user


def test_delete_for_user_deletes_every_device_of_the_user_only(device_store: DeviceStore) -> None:
    device_store.see("u1", "f1", NOW)
    device_store.see("u1", "f2", NOW)
    device_store.see("u2", "f1", NOW)
    assert device_store.delete_for_user("u1") == 2
    assert device_store.list_for_user("u1") == []
    assert device_store.see("u1", "f1", LATER) is None
    assert device_store.list_for_user("u2") == [SeenDevice("u2", "f1", NOW)]
    assert device_store.delete_for_user("nobody") == 0
