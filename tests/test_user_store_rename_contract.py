"""The `UserStore` contract of `rename` and `get_by_reserved_name`, sentence by sentence, against
every store in `backends.BACKENDS`; and the races of a rename, forced."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from conftest import NOW
from frappyauth.core.errors import DuplicateUsernameError
from frappyauth.core.models import User, username_key
from frappyauth.core.protocols import UserStore
from frappyauth.core.usernames import name_keys
from frappyauth.stores.memory import MemoryUserStore

UNTIL = NOW + timedelta(days=30)
MISSING_IDS = ["0123456789abcdef01234567", "not-an-id", ""]


def new_user(username: str) -> User:
    return User(id="", username=username, password_hash="$2b$04$hash", permissions=("view",))


def make(store: UserStore, *names: str) -> list[User]:
    return [store.create(new_user(name)) for name in names]


def test_rename_gives_the_user_the_name_and_returns_it(user_store: UserStore) -> None:
    [alice] = make(user_store, "alice")
    user_store.set_api_key_hash(alice.id, "k" * 64)
    renamed = user_store.rename(alice.id, "Alicia", UNTIL, NOW)
    assert renamed is not None and renamed.username == "Alicia" and renamed.id == alice.id
    assert user_store.get(alice.id) == renamed
    assert user_store.get_by_username(username_key("ALICIA")) == renamed
    assert user_store.get_by_username("alice") is None
    assert user_store.get_by_api_key_hash("k" * 64) == renamed  # the rest stays as it was
    assert (renamed.password_hash, renamed.permissions) == (alice.password_hash, ("view",))


@pytest.mark.parametrize("missing_id", MISSING_IDS)
def test_rename_of_a_missing_user_returns_none(user_store: UserStore, missing_id: str) -> None:
    assert user_store.rename(missing_id, "anyone", UNTIL, NOW) is None
    assert user_store.get_by_username("anyone") is None


@pytest.mark.parametrize("taken", ["bob", "BOB", "ｂｏｂ", "b\u043eb", "bоb"])
def test_rename_to_another_users_name_or_lookalike_raises_and_changes_nothing(
    user_store: UserStore, taken: str
) -> None:
    alice, bob = make(user_store, "alice", "bob")
    with pytest.raises(DuplicateUsernameError):
        user_store.rename(alice.id, taken, UNTIL, NOW)
    assert user_store.get(alice.id) == alice and user_store.get_by_username("alice") == alice
    assert user_store.get_by_reserved_name(name_keys("alice"), NOW) is None


def test_the_old_name_is_reserved_for_the_user_under_all_its_keys(user_store: UserStore) -> None:
    [alice] = make(user_store, "alice")
    renamed = user_store.rename(alice.id, "alicia", UNTIL, NOW)
    for lookalike in ("alice", "ALICE", "\u0430lice", "aIice"):
        assert user_store.get_by_reserved_name(name_keys(lookalike), NOW) == renamed
    assert user_store.get_by_reserved_name(name_keys("alicia"), NOW) is None


def test_a_reservation_ends_at_its_time(user_store: UserStore) -> None:
    [alice] = make(user_store, "alice")
    user_store.rename(alice.id, "alicia", UNTIL, NOW)
    assert user_store.get_by_reserved_name(name_keys("alice"), UNTIL - timedelta(seconds=1))
    assert user_store.get_by_reserved_name(name_keys("alice"), UNTIL) is None


def test_rename_to_a_name_another_user_reserved_raises_until_it_expires(
    user_store: UserStore,
) -> None:
    alice, carol = make(user_store, "alice", "carol")
    user_store.rename(alice.id, "alicia", UNTIL, NOW)
    with pytest.raises(DuplicateUsernameError):
        user_store.rename(carol.id, "Alice", UNTIL, NOW)
    assert user_store.get(carol.id) == carol
    later = UNTIL + timedelta(seconds=1)
    assert user_store.rename(carol.id, "Alice", later + timedelta(days=30), later) is not None


def test_the_user_may_take_back_a_name_they_reserved(user_store: UserStore) -> None:
    [alice] = make(user_store, "alice")
    user_store.rename(alice.id, "alicia", UNTIL, NOW)
    back = user_store.rename(alice.id, "Alice", UNTIL, NOW)
    assert back is not None and back.username == "Alice"


def test_reservations_of_earlier_renames_last_until_their_own_time(user_store: UserStore) -> None:
    [alice] = make(user_store, "alice")
    user_store.rename(alice.id, "alicia", NOW + timedelta(days=1), NOW)
    user_store.rename(alice.id, "ally", NOW + timedelta(days=9), NOW + timedelta(hours=1))
    day_two = NOW + timedelta(days=2)
    assert user_store.get_by_reserved_name(name_keys("alice"), day_two) is None
    assert user_store.get_by_reserved_name(name_keys("alicia"), day_two) is not None


def test_a_users_reservations_end_with_the_user(user_store: UserStore) -> None:
    [alice] = make(user_store, "alice")
    user_store.rename(alice.id, "alicia", UNTIL, NOW)
    assert user_store.delete(alice.id)
    assert user_store.get_by_reserved_name(name_keys("alice"), NOW) is None
    assert user_store.create(new_user("alice")).username == "alice"


def test_a_rename_frees_the_old_keys_for_the_store_itself(user_store: UserStore) -> None:
    """The store holds the old name only as a reservation: with the reservation over (here: none
    asked for, `reserve_until` = `now`), `create` takes it again."""
    [alice] = make(user_store, "alice")
    user_store.rename(alice.id, "alicia", NOW, NOW)
    assert user_store.create(new_user("aIice")).username == "aIice"


# races


def test_concurrent_renames_to_one_name_let_exactly_one_succeed(
    backend: Any, user_store: UserStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forced: both renames have computed their keys and checked before either writes."""
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: the Mongo form is in the next test")
    import frappyauth.stores.memory.users as memory_users

    users = make(user_store, "alice", "bob")
    both_ready = threading.Barrier(2)
    real = memory_users.name_keys

    def keys_then_wait(username: str) -> tuple[str, str, str]:
        keys = real(username)
        if username == "carol":
            both_ready.wait(5)  # neither enters the store's lock before both computed the keys
        return keys

    monkeypatch.setattr(memory_users, "name_keys", keys_then_wait)
    outcomes: list[Any] = []

    def rename(user: User) -> None:
        try:
            outcomes.append(user_store.rename(user.id, "carol", UNTIL, NOW))
        except DuplicateUsernameError as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=rename, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(outcome, User) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, DuplicateUsernameError) for outcome in outcomes) == 1
    assert user_store.get_by_username("carol") is not None


def test_on_mongo_two_renames_to_one_name_meet_at_the_unique_index(
    backend: Any, user_store: UserStore
) -> None:
    """The form of the Mongo rename: the name is written with one conditional update on the
    unique-indexed keys, so the second of two renames to one name fails at the index, whatever the
    order of their checks."""
    if isinstance(user_store, MemoryUserStore):
        pytest.skip("the Mongo form")
    alice, bob = make(user_store, "alice", "bob")
    real_reserving = user_store._reserving  # type: ignore[attr-defined]

    def alice_writes_between_bobs_check_and_write(keys: Any, now: Any, but: Any = None) -> Any:
        found = real_reserving(keys, now, but)
        user_store._reserving = real_reserving  # type: ignore[attr-defined]
        user_store.rename(alice.id, "carol", UNTIL, NOW)  # bob's check has passed
        return found

    user_store._reserving = alice_writes_between_bobs_check_and_write  # type: ignore[attr-defined]
    with pytest.raises(DuplicateUsernameError):
        user_store.rename(bob.id, "carol", UNTIL, NOW)
    assert user_store.get_by_username("carol").id == alice.id  # type: ignore[union-attr]
    assert user_store.get(bob.id).username == "bob"  # type: ignore[union-attr]


def test_on_mongo_a_name_reserved_between_check_and_write_is_given_back(
    backend: Any, user_store: UserStore
) -> None:
    """Carol checks "alice" (free of reservations); alice then renames away, reserving it; carol's
    write succeeds, its second check sees the reservation, and carol's old name is put back."""
    if isinstance(user_store, MemoryUserStore):
        pytest.skip("memory renames under one lock: there is no such moment")
    alice, carol = make(user_store, "alice", "carol")
    real_reserving = user_store._reserving  # type: ignore[attr-defined]
    calls = 0

    def alice_renames_after_carols_check(keys: Any, now: Any, but: Any = None) -> Any:
        nonlocal calls
        calls += 1
        found = real_reserving(keys, now, but)
        if calls == 1:
            user_store._reserving = real_reserving  # type: ignore[attr-defined]
            user_store.rename(alice.id, "alicia", UNTIL, NOW)
        return found

    user_store._reserving = alice_renames_after_carols_check  # type: ignore[attr-defined]
    with pytest.raises(DuplicateUsernameError):
        user_store.rename(carol.id, "alice", UNTIL, NOW)
    assert user_store.get(carol.id).username == "carol"  # type: ignore[union-attr]
    assert user_store.get_by_username("alice") is None
    assert user_store.get_by_reserved_name(name_keys("alice"), NOW).id == alice.id  # type: ignore[union-attr]


def test_a_database_marked_before_renames_gets_the_reservation_index_at_start() -> None:
    import mongomock

    from frappyauth.stores.mongo import MongoUserStore

    db = mongomock.MongoClient()["marked_at_schema_4"]
    db["frappyauthSchema"].insert_one({"_id": "users", "schemaVersion": 4})
    MongoUserStore(db).start()
    keys = [info["key"] for info in db["users"].index_information().values()]
    assert [("reservedNames.keys", 1)] in keys
