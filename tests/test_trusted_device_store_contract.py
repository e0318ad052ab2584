"""The `TrustedDeviceStore` contract, sentence by sentence, against every store in
`backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from conftest import LATER, NOW
from frappyauth.core.device_models import TrustedDevice
from frappyauth.core.protocols import TrustedDeviceStore


def device(number: int = 1, user_id: str = "u1", created_at=NOW, expires_at=LATER) -> TrustedDevice:
    return TrustedDevice(
        device_id=f"d{number}",
        secret_hash=f"{number}" * 64,
        user_id=user_id,
        user_agent="Firefox on Linux",
        created_at=created_at,
        last_used_at=created_at,
        expires_at=expires_at,
    )


# create / get


def test_get_returns_the_created_device(trusted_device_store: TrustedDeviceStore) -> None:
    trusted_device_store.create(device())
    assert trusted_device_store.get("1" * 64, NOW) == device()


@pytest.mark.parametrize("clash", ["secret_hash", "device_id"])
def test_create_refuses_a_second_device_with_the_same_hash_or_id(
    trusted_device_store: TrustedDeviceStore, clash: str
) -> None:
    trusted_device_store.create(device())
    other = dataclasses.replace(device(2, "u2"), **{clash: getattr(device(), clash)})
    with pytest.raises(ValueError):
        trusted_device_store.create(other)
    assert trusted_device_store.list_for_user("u2", NOW) == []
    assert trusted_device_store.get("1" * 64, NOW) == device()


@pytest.mark.parametrize("secret_hash", ["2" * 64, "", "1" * 63, None])
def test_get_returns_none_for_an_unknown_hash(
    trusted_device_store: TrustedDeviceStore, secret_hash
) -> None:
    trusted_device_store.create(device())
    assert trusted_device_store.get(secret_hash, NOW) is None


def test_get_returns_none_for_an_expired_device(trusted_device_store: TrustedDeviceStore) -> None:
    trusted_device_store.create(device())
    assert trusted_device_store.get("1" * 64, LATER - timedelta(seconds=1)) == device()
    assert trusted_device_store.get("1" * 64, LATER) is None


# list_for_user


def test_list_for_user_gives_the_users_unexpired_devices_newest_first(
    trusted_device_store: TrustedDeviceStore,
) -> None:
    older = device(1)
    newer = device(2, created_at=NOW + timedelta(minutes=1))
    short = device(3, created_at=NOW + timedelta(minutes=2), expires_at=NOW + timedelta(minutes=5))
    for made in (older, newer, short, device(4, "u2")):
        trusted_device_store.create(made)
    assert trusted_device_store.list_for_user("u1", NOW) == [short, newer, older]
    assert trusted_device_store.list_for_user("u1", NOW + timedelta(minutes=5)) == [newer, older]
    assert trusted_device_store.list_for_user("nobody", NOW) == []


# touch


def test_touch_sets_last_used_and_says_whether_there_was_a_device(
    trusted_device_store: TrustedDeviceStore,
) -> None:
    trusted_device_store.create(device())
    later = NOW + timedelta(minutes=3)
    assert trusted_device_store.touch("1" * 64, later) is True
    assert trusted_device_store.get("1" * 64, NOW) == dataclasses.replace(
        device(), last_used_at=later
    )
    assert trusted_device_store.touch("2" * 64, later) is False


# delete / delete_for_user / purge_expired


def test_delete_removes_only_the_users_own_device(trusted_device_store: TrustedDeviceStore) -> None:
    trusted_device_store.create(device())
    assert trusted_device_store.delete("u2", "d1") is False
    assert trusted_device_store.get("1" * 64, NOW) == device()
    assert trusted_device_store.delete("u1", "d1") is True
    assert trusted_device_store.get("1" * 64, NOW) is None
    assert trusted_device_store.delete("u1", "d1") is False


def test_delete_for_user_removes_every_device_of_the_user_and_counts_them(
    trusted_device_store: TrustedDeviceStore,
) -> None:
    for made in (device(1), device(2), device(3, "u2")):
        trusted_device_store.create(made)
    assert trusted_device_store.delete_for_user("u1") == 2
    assert trusted_device_store.list_for_user("u1", NOW) == []
    assert trusted_device_store.list_for_user("u2", NOW) == [device(3, "u2")]
    assert trusted_device_store.delete_for_user("u1") == 0


def test_purge_expired_removes_what_expired_and_counts_it(
    trusted_device_store: TrustedDeviceStore,
) -> None:
    short = device(1, expires_at=NOW + timedelta(minutes=5))
    trusted_device_store.create(short)
    trusted_device_store.create(device(2))
    assert trusted_device_store.purge_expired(NOW + timedelta(minutes=5)) == 1
    assert trusted_device_store.list_for_user("u1", NOW) == [device(2)]


def test_a_returned_device_cannot_change_what_is_stored(
    trusted_device_store: TrustedDeviceStore,
) -> None:
    trusted_device_store.create(device())
    found = trusted_device_store.get("1" * 64, NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.user_id = "u2"  # type: ignore[misc]
