"""The `RoleStore` contract, and the user-store and per-request-read sentences about roles and
suspension, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import threading

import pytest

from conftest import LATER, NOW
from threads import run_in_threads
from frappyauth.core.models import ApiKey, Role, Session, User
from frappyauth.core.protocols import ApiKeyStore, RoleStore, SessionStore, UserStore


def member(user_store: UserStore, name: str, permissions=(), roles=()) -> User:
    created = user_store.create(
        User(id="", username=name, password_hash="h", permissions=tuple(permissions))
    )
    return user_store.set_roles(created.id, tuple(roles)) if roles else created


# RoleStore.get / list / get_many


def test_get_returns_the_put_role_or_none(role_store: RoleStore) -> None:
    assert role_store.put(Role("editor", ("edit", "view"))) is None
    assert role_store.get("editor") == Role("editor", ("edit", "view"))
    assert role_store.get("Editor") is None  # names are case-sensitive
    assert role_store.get("nobody") is None


def test_list_returns_every_role_ordered_by_name(role_store: RoleStore) -> None:
    for name in ("b", "a", "C", "é"):
        role_store.put(Role(name, (name,)))
    assert [role.name for role in role_store.list()] == ["C", "a", "b", "é"]


def test_get_many_leaves_unknown_names_out_ordered_by_name(role_store: RoleStore) -> None:
    role_store.put(Role("b", ("x",)))
    role_store.put(Role("a", ("y",)))
    assert role_store.get_many(["b", "zz", "a", "b"]) == [Role("a", ("y",)), Role("b", ("x",))]
    assert role_store.get_many([]) == []


# RoleStore.put


def test_put_replaces_the_permissions_and_returns_the_replaced_role(role_store: RoleStore) -> None:
    role_store.put(Role("editor", ("edit", "view")))
    assert role_store.put(Role("editor", ("edit",))) == Role("editor", ("edit", "view"))
    assert role_store.get("editor") == Role("editor", ("edit",))


def test_concurrent_puts_leave_one_of_them_whole(backend, role_store: RoleStore) -> None:
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: concurrency is tested on memory and MongoDB")
    first, second = Role("r", ("a", "b", "c")), Role("r", ("x", "y"))
    run_in_threads(role_store.put, [(first,), (second,)] * 10)
    assert role_store.get("r") in (first, second)


# RoleStore.delete


def test_delete_returns_the_deleted_role_once(role_store: RoleStore) -> None:
    role_store.put(Role("editor", ("edit",)))
    assert role_store.delete("editor") == Role("editor", ("edit",))
    assert role_store.delete("editor") is None
    assert role_store.get("editor") is None and role_store.list() == []


def test_concurrent_deletes_give_the_role_to_exactly_one(backend, role_store: RoleStore) -> None:
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: concurrency is tested on memory and MongoDB")
    role_store.put(Role("editor", ("edit",)))
    got, lock = [], threading.Lock()

    def delete() -> None:
        result = role_store.delete("editor")
        with lock:
            got.append(result)

    run_in_threads(delete, [()] * 8)
    assert [result for result in got if result is not None] == [Role("editor", ("edit",))]


# UserStore.set_roles / remove_role


def test_set_roles_replaces_the_roles_and_returns_the_user(user_store: UserStore) -> None:
    user = member(user_store, "alice", roles=("a", "b"))
    assert user.roles == ("a", "b")
    assert user_store.get(user.id).roles == ("a", "b")
    assert user_store.set_roles(user.id, ("c",)).roles == ("c",)
    assert user_store.set_roles("0123456789abcdef01234567", ("c",)) is None


def test_remove_role_takes_it_from_every_holder(user_store: UserStore) -> None:
    alice = member(user_store, "alice", roles=("a", "b"))
    bob = member(user_store, "bob", roles=("b",))
    carol = member(user_store, "carol", roles=("c",))
    assert user_store.remove_role("b") == 2
    assert (user_store.get(alice.id).roles, user_store.get(bob.id).roles) == (("a",), ())
    assert user_store.get(carol.id).roles == ("c",)
    assert user_store.remove_role("b") == 0


# UserStore.count_holders


def test_count_holders_counts_direct_and_role_holders_once(user_store: UserStore) -> None:
    member(user_store, "alice", ("admin",), roles=("boss",))
    member(user_store, "bob", roles=("boss",))
    member(user_store, "carol", ("admin",))
    member(user_store, "dave", ("view",), roles=("other",))
    assert user_store.count_holders("admin", ("boss",), True) == 3
    assert user_store.count_holders("admin", (), True) == 2
    assert user_store.count_holders(None, ("boss", "other"), False) == 3
    assert user_store.count_holders(None, (), False) == 0


def test_count_holders_leaves_suspended_users_out_only_when_asked(user_store: UserStore) -> None:
    alice = member(user_store, "alice", ("admin",))
    bob = member(user_store, "bob", roles=("boss",))
    member(user_store, "carol", ("admin",))
    user_store.set_suspended(alice.id, NOW)
    user_store.set_suspended(bob.id, NOW)
    assert user_store.count_holders("admin", ("boss",), True) == 1
    assert user_store.count_holders("admin", ("boss",), False) == 3
    user_store.set_suspended(alice.id, None)
    assert user_store.count_holders("admin", (), True) == 2


# UserStore.set_suspended


def test_set_suspended_sets_and_clears_the_instant(user_store: UserStore) -> None:
    user = member(user_store, "alice")
    assert user.suspended_at is None
    assert user_store.set_suspended(user.id, NOW).suspended_at == NOW
    assert user_store.get(user.id).suspended_at == NOW
    assert user_store.set_suspended(user.id, None).suspended_at is None
    assert user_store.get(user.id).suspended_at is None
    assert user_store.set_suspended("0123456789abcdef01234567", NOW) is None


# The per-request reads with `roles`


def session(user_id: str) -> Session:
    return Session("t" * 64, "s1", user_id, NOW, NOW, LATER)


def test_get_with_user_resolves_the_users_roles_as_they_are_now(
    token_store: SessionStore, user_store: UserStore, role_store: RoleStore
) -> None:
    role_store.put(Role("editor", ("edit", "view")))
    role_store.put(Role("auditor", ("audit", "view")))
    user = member(user_store, "alice", ("view",), roles=("editor", "gone", "auditor"))
    token_store.create(session(user.id))
    _, found = token_store.get_with_user("t" * 64, NOW, user_store, role_store)
    assert found.roles == ("editor", "gone", "auditor")  # an unknown role grants nothing
    assert set(found.role_permissions) == {"audit", "edit", "view"}
    assert set(found.effective_permissions) == {"audit", "edit", "view"}
    role_store.put(Role("editor", ()))  # the next read sees the change: nothing is cached
    _, found = token_store.get_with_user("t" * 64, NOW, user_store, role_store)
    assert set(found.role_permissions) == {"audit", "view"}
    assert not found.has_permissions("edit")


def test_get_with_user_without_roles_reads_no_role(
    token_store: SessionStore, user_store: UserStore, role_store: RoleStore
) -> None:
    role_store.put(Role("editor", ("edit",)))
    user = member(user_store, "alice", roles=("editor",))
    token_store.create(session(user.id))
    assert token_store.get_with_user("t" * 64, NOW, user_store)[1].role_permissions == ()
    token_store.create(Session("n" * 64, "s2", "0123456789abcdef01234567", NOW, NOW, LATER))
    assert token_store.get_with_user("n" * 64, NOW, user_store, role_store)[1] is None


def test_get_by_hash_with_user_resolves_the_owners_roles(
    api_key_store: ApiKeyStore, user_store: UserStore, role_store: RoleStore
) -> None:
    role_store.put(Role("editor", ("edit",)))
    user = member(user_store, "alice", ("view",), roles=("editor",))
    api_key_store.create(ApiKey("k1", user.id, "ci", "hash-k1", NOW), 5, NOW)
    _, owner = api_key_store.get_by_hash_with_user("hash-k1", NOW, user_store, role_store)
    assert owner.role_permissions == ("edit",) and owner.permissions == ("view",)


def test_the_suspension_is_read_with_the_session(
    token_store: SessionStore, user_store: UserStore, role_store: RoleStore
) -> None:
    user = member(user_store, "alice")
    token_store.create(session(user.id))
    user_store.set_suspended(user.id, NOW)
    assert token_store.get_with_user("t" * 64, NOW, user_store, role_store)[1].suspended_at == NOW


# UserStore.record_login / set_password_hash(changed_at) / create(created_at): login history


def test_record_login_sets_the_last_login_and_counts_it(user_store: UserStore) -> None:
    user = member(user_store, "alice")
    assert (user.last_login_at, user.last_login_address, user.login_count) == (None, None, 0)
    assert user_store.record_login(user.id, NOW, "192.0.2.1") is True
    assert user_store.record_login(user.id, LATER, None) is True
    found = user_store.get(user.id)
    assert (found.last_login_at, found.last_login_address, found.login_count) == (LATER, None, 2)
    assert user_store.record_login("0123456789abcdef01234567", NOW, None) is False


def test_concurrent_logins_lose_no_count(backend, user_store: UserStore) -> None:
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: concurrency is tested on memory and MongoDB")
    user = member(user_store, "alice")
    run_in_threads(user_store.record_login, [(user.id, NOW, "192.0.2.1")] * 16)
    assert user_store.get(user.id).login_count == 16


def test_set_password_hash_dates_the_change_only_when_asked(user_store: UserStore) -> None:
    user = member(user_store, "alice")
    assert user_store.set_password_hash(user.id, "h2", "v2").password_changed_at is None
    assert user_store.set_password_hash(user.id, "h3", "v3", None, NOW).password_changed_at == NOW
    assert user_store.get(user.id).password_changed_at == NOW
    assert user_store.set_password_hash(user.id, "h4", "v4", "wrong", LATER) is None
    assert user_store.get(user.id).password_changed_at == NOW


def test_create_keeps_the_creation_instant(user_store: UserStore) -> None:
    created = user_store.create(User(id="", username="alice", password_hash="h", created_at=NOW))
    assert created.created_at == NOW and user_store.get(created.id).created_at == NOW
