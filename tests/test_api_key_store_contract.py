"""The `ApiKeyStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from conftest import LATER, NOW
from frappyauth.core.errors import ApiKeyNameTakenError
from frappyauth.core.models import ApiKey, User
from frappyauth.core.protocols import ApiKeyStore, UserStore

LIMIT = 20


def key(
    key_id: str = "k1",
    user_id: str = "u1",
    name: str | None = None,
    expires_at=None,
    created_at=NOW,
    scopes=None,
) -> ApiKey:
    return ApiKey(
        key_id=key_id,
        user_id=user_id,
        name=name or f"name-{key_id}",
        key_hash=f"hash-{key_id}",
        created_at=created_at,
        scopes=scopes,
        expires_at=expires_at,
    )


# create / get_by_hash


def test_get_by_hash_returns_the_created_key_with_every_field(api_key_store: ApiKeyStore) -> None:
    created = key(scopes=("view", "edit"), expires_at=LATER)
    assert api_key_store.create(created, LIMIT, NOW) is True
    assert api_key_store.get_by_hash("hash-k1", NOW) == created
    assert api_key_store.get_by_hash("hash-k2", NOW) is None
    assert api_key_store.get_by_hash("", NOW) is None


@pytest.mark.parametrize("scopes", [None, (), ("view",)])
def test_scopes_none_and_empty_stay_distinct(api_key_store: ApiKeyStore, scopes) -> None:
    api_key_store.create(key(scopes=scopes), LIMIT, NOW)
    assert api_key_store.get_by_hash("hash-k1", NOW).scopes == scopes


def test_an_expired_key_is_never_returned_even_before_removal(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key(expires_at=LATER), LIMIT, NOW)
    assert api_key_store.get_by_hash("hash-k1", LATER - timedelta(seconds=1)) is not None
    assert api_key_store.get_by_hash("hash-k1", LATER) is None
    assert api_key_store.list_for_user("u1", LATER) == []
    assert api_key_store.holders("name-k1", ["u1"], LATER) == set()


def test_create_refuses_past_the_limit_counting_only_live_keys(api_key_store: ApiKeyStore) -> None:
    assert api_key_store.create(key("a", expires_at=LATER), 2, NOW) is True
    assert api_key_store.create(key("b"), 2, NOW) is True
    assert api_key_store.create(key("c"), 2, NOW) is False
    assert api_key_store.get_by_hash("hash-c", NOW) is None
    assert api_key_store.create(key("d", user_id="u2"), 2, NOW) is True  # the limit is per user
    assert (
        api_key_store.create(key("c", created_at=LATER), 2, LATER) is True
    )  # "a" expired: it no longer counts
    assert [k.key_id for k in api_key_store.list_for_user("u1", LATER)] == ["c", "b"]


def test_create_refuses_a_name_the_user_holds_but_not_another_users(
    api_key_store: ApiKeyStore,
) -> None:
    api_key_store.create(key("a", name="ci"), LIMIT, NOW)
    with pytest.raises(ApiKeyNameTakenError):
        api_key_store.create(key("b", name="ci"), LIMIT, NOW)
    assert api_key_store.get_by_hash("hash-b", NOW) is None
    assert api_key_store.create(key("c", user_id="u2", name="ci"), LIMIT, NOW) is True


def test_an_expired_key_keeps_no_name(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a", name="ci", expires_at=LATER), LIMIT, NOW)
    assert api_key_store.create(key("b", name="ci"), LIMIT, LATER) is True
    assert api_key_store.get_by_hash("hash-a", NOW) is None  # removed, not merely hidden


@pytest.mark.parametrize("duplicate", [dict(key_id="other"), dict(key_hash="hash-k1")])
def test_create_refuses_a_duplicate_hash_or_id(api_key_store: ApiKeyStore, duplicate) -> None:
    api_key_store.create(key(), LIMIT, NOW)
    clash = dataclasses.replace(key("k1", user_id="u2", name="x"), **duplicate)
    with pytest.raises(ValueError):
        api_key_store.create(clash, LIMIT, NOW)
    assert api_key_store.list_for_user("u2", NOW) == []


# replace


def test_replace_swaps_the_key_of_that_name_in_one_step(api_key_store: ApiKeyStore) -> None:
    old = key("a", name="default")
    api_key_store.create(old, LIMIT, NOW)
    api_key_store.create(key("b", name="other"), LIMIT, NOW)
    new = key("c", name="default", created_at=NOW + timedelta(seconds=1))
    assert api_key_store.replace(new, NOW) == old
    assert api_key_store.get_by_hash("hash-a", NOW) is None
    assert api_key_store.get_by_hash("hash-c", NOW) == new
    assert {k.key_id for k in api_key_store.list_for_user("u1", NOW)} == {"b", "c"}


def test_replace_stores_nothing_without_a_live_key_of_that_name(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a", name="default", expires_at=LATER), LIMIT, NOW)
    assert api_key_store.replace(key("b", name="default"), LATER) is None
    assert api_key_store.replace(key("c", name="default", user_id="u2"), NOW) is None
    assert (
        api_key_store.get_by_hash("hash-b", LATER) is None
        and api_key_store.get_by_hash("hash-c", NOW) is None
    )


def test_replace_keeps_the_slot_so_the_limit_still_holds(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a", name="default"), 1, NOW)
    api_key_store.replace(key("b", name="default"), NOW)
    assert api_key_store.create(key("c"), 1, NOW) is False


def test_replace_refuses_a_duplicate_hash_and_keeps_the_old_key(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a", name="default"), LIMIT, NOW)
    api_key_store.create(key("b", user_id="u2"), LIMIT, NOW)
    with pytest.raises(ValueError):
        api_key_store.replace(dataclasses.replace(key("c", name="default"), key_hash="hash-b"), NOW)
    assert api_key_store.get_by_hash("hash-a", NOW) is not None


# list_for_user / holders


def test_list_for_user_gives_live_keys_newest_first(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("old", created_at=NOW - timedelta(hours=2)), LIMIT, NOW)
    api_key_store.create(key("new", created_at=NOW - timedelta(minutes=1)), LIMIT, NOW)
    api_key_store.create(key("mid", created_at=NOW - timedelta(hours=1)), LIMIT, NOW)
    api_key_store.create(key("gone", expires_at=LATER), LIMIT, NOW)
    api_key_store.create(key("other", user_id="u2"), LIMIT, NOW)
    assert [k.key_id for k in api_key_store.list_for_user("u1", LATER)] == ["new", "mid", "old"]
    assert api_key_store.list_for_user("nobody", NOW) == []


def test_holders_names_the_users_with_a_live_key_of_that_name(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a", user_id="u1", name="default"), LIMIT, NOW)
    api_key_store.create(key("b", user_id="u2", name="ci"), LIMIT, NOW)
    api_key_store.create(key("c", user_id="u3", name="default", expires_at=LATER), LIMIT, NOW)
    assert api_key_store.holders("default", ["u1", "u2", "u3", "u4"], NOW) == {"u1", "u3"}
    assert api_key_store.holders("default", ["u1", "u2", "u3"], LATER) == {"u1"}
    assert api_key_store.holders("default", [], NOW) == set()


# delete / delete_for_user / touch


def test_delete_revokes_only_the_owners_key(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a"), LIMIT, NOW)
    assert api_key_store.delete("u2", "a", NOW) is False
    assert api_key_store.get_by_hash("hash-a", NOW) is not None
    assert api_key_store.delete("u1", "a", NOW) is True
    assert api_key_store.get_by_hash("hash-a", NOW) is None
    assert api_key_store.delete("u1", "a", NOW) is False
    assert api_key_store.delete("u1", "missing", NOW) is False


def test_deleting_an_expired_key_says_false(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a", expires_at=LATER), LIMIT, NOW)
    assert api_key_store.delete("u1", "a", LATER) is False


def test_delete_for_user_deletes_every_key_of_that_user_and_counts_the_live_ones(
    api_key_store: ApiKeyStore,
) -> None:
    api_key_store.create(key("a"), LIMIT, NOW)
    api_key_store.create(key("b", expires_at=LATER), LIMIT, NOW)
    api_key_store.create(key("c", expires_at=LATER + timedelta(hours=1)), LIMIT, NOW)
    api_key_store.create(key("d", user_id="u2"), LIMIT, NOW)
    assert api_key_store.delete_for_user("u1", LATER) == 2
    assert (
        api_key_store.list_for_user("u1", NOW) == []
        and api_key_store.get_by_hash("hash-b", NOW) is None
    )
    assert api_key_store.get_by_hash("hash-d", NOW) is not None
    assert api_key_store.delete_for_user("u1", NOW) == 0


def test_touch_sets_last_used(api_key_store: ApiKeyStore) -> None:
    api_key_store.create(key("a"), LIMIT, NOW)
    assert api_key_store.touch("a", LATER) is True
    assert api_key_store.get_by_hash("hash-a", NOW).last_used_at == LATER
    assert api_key_store.touch("missing", LATER) is False


# get_by_hash_with_user: the per-request read


def owner(user_store: UserStore) -> User:
    return user_store.create(
        User(id="", username="owner", password_hash="h", permissions=("view",))
    )


def test_get_by_hash_with_user_returns_the_key_and_its_owner(
    api_key_store: ApiKeyStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    created = key(user_id=user.id, scopes=("view",), expires_at=LATER)
    api_key_store.create(created, LIMIT, NOW)
    assert api_key_store.get_by_hash_with_user("hash-k1", NOW, user_store) == (created, user)


def test_get_by_hash_with_user_returns_none_when_get_by_hash_does(
    api_key_store: ApiKeyStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    api_key_store.create(key(user_id=user.id, expires_at=LATER), LIMIT, NOW)
    assert api_key_store.get_by_hash_with_user("hash-k2", NOW, user_store) is None
    assert api_key_store.get_by_hash_with_user("hash-k1", LATER, user_store) is None


def test_get_by_hash_with_user_gives_no_owner_for_a_deleted_one(
    api_key_store: ApiKeyStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    api_key_store.create(key(user_id=user.id), LIMIT, NOW)
    api_key_store.create(key("k2", user_id="0123456789abcdef01234567"), LIMIT, NOW)
    user_store.delete(user.id)
    assert api_key_store.get_by_hash_with_user("hash-k1", NOW, user_store) == (
        key(user_id=user.id),
        None,
    )
    assert api_key_store.get_by_hash_with_user("hash-k2", NOW, user_store)[1] is None


def test_get_by_hash_with_user_reads_the_owner_as_it_is_now(
    api_key_store: ApiKeyStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    api_key_store.create(key(user_id=user.id), LIMIT, NOW)
    api_key_store.get_by_hash_with_user("hash-k1", NOW, user_store)
    changed = user_store.set_permissions(user.id, ())
    assert api_key_store.get_by_hash_with_user("hash-k1", NOW, user_store) == (
        key(user_id=user.id),
        changed,
    )
