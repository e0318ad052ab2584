"""The `SessionStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from conftest import LATER, NOW
from frappyauth.core.models import Session, User
from frappyauth.core.protocols import SessionStore, UserStore


def session(
    token_hash: str = "t" * 64, user_id: str = "u1", expires_at=LATER, created_at=NOW
) -> Session:
    return Session(
        token_hash=token_hash,
        session_id=f"sid-{token_hash}",
        user_id=user_id,
        created_at=created_at,
        last_used_at=created_at,
        expires_at=expires_at,
        user_agent="Mozilla/5.0",
        remote_addr="10.0.0.7",
    )


def test_get_returns_the_created_session(token_store: SessionStore) -> None:
    token_store.create(session())
    assert token_store.get("t" * 64, NOW) == session()


@pytest.mark.parametrize("token_hash", ["u" * 64, "", "t" * 63])
def test_get_returns_none_for_an_unknown_hash(token_store: SessionStore, token_hash: str) -> None:
    token_store.create(session())
    assert token_store.get(token_hash, NOW) is None


def test_get_never_returns_an_expired_session_even_before_purge(token_store: SessionStore) -> None:
    token_store.create(session())
    assert token_store.get("t" * 64, LATER - timedelta(seconds=1)) is not None
    assert token_store.get("t" * 64, LATER) is None
    assert token_store.get("t" * 64, LATER + timedelta(days=1)) is None


def test_delete_removes_the_session_and_says_whether_there_was_one(
    token_store: SessionStore,
) -> None:
    token_store.create(session())
    assert token_store.delete("t" * 64) is True
    assert token_store.get("t" * 64, NOW) is None
    assert token_store.delete("t" * 64) is False


def test_delete_for_user_deletes_every_session_of_that_user_only(token_store: SessionStore) -> None:
    for token_hash, user_id in [("a", "u1"), ("b", "u1"), ("c", "u2")]:
        token_store.create(session(token_hash, user_id))
    assert token_store.delete_for_user("u1") == 2
    assert token_store.get("a", NOW) is None and token_store.get("b", NOW) is None
    assert token_store.get("c", NOW) is not None
    assert token_store.delete_for_user("u1") == 0


def test_delete_for_user_can_keep_one_session(token_store: SessionStore) -> None:
    for token_hash in "abc":
        token_store.create(session(token_hash))
    assert token_store.delete_for_user("u1", keep_token_hash="b") == 2
    assert [token_store.get(h, NOW) is not None for h in "abc"] == [False, True, False]


def test_purge_expired_deletes_exactly_the_expired_sessions(token_store: SessionStore) -> None:
    token_store.create(session("old", expires_at=LATER))
    token_store.create(session("new", expires_at=LATER + timedelta(hours=1)))
    assert token_store.purge_expired(NOW) == 0
    assert token_store.purge_expired(LATER) == 1
    assert token_store.get("new", LATER) is not None
    assert token_store.delete("old") is False


def test_list_for_user_gives_the_users_live_sessions_newest_first(
    token_store: SessionStore,
) -> None:
    token_store.create(session("old", created_at=NOW - timedelta(hours=2)))
    token_store.create(session("new", created_at=NOW - timedelta(minutes=1)))
    token_store.create(session("mid", created_at=NOW - timedelta(hours=1)))
    token_store.create(session("gone", created_at=NOW - timedelta(hours=3), expires_at=NOW))
    token_store.create(session("other", user_id="u2"))
    assert [s.token_hash for s in token_store.list_for_user("u1", NOW)] == ["new", "mid", "old"]
    assert token_store.list_for_user("u1", NOW)[0] == session(
        "new", created_at=NOW - timedelta(minutes=1)
    )
    assert token_store.list_for_user("nobody", NOW) == []


def test_delete_by_id_ends_only_the_owners_session(token_store: SessionStore) -> None:
    token_store.create(session("a"))
    assert token_store.delete_by_id("u2", "sid-a") is False  # another user's session is left alone
    assert token_store.get("a", NOW) is not None
    assert token_store.delete_by_id("u1", "sid-a") is True
    assert token_store.get("a", NOW) is None
    assert token_store.delete_by_id("u1", "sid-a") is False
    assert token_store.delete_by_id("u1", "no-such-id") is False


def test_touch_sets_last_used_and_says_whether_there_was_a_session(
    token_store: SessionStore,
) -> None:
    token_store.create(session("a"))
    assert token_store.touch("a", NOW + timedelta(minutes=5)) is True
    assert token_store.get("a", NOW).last_used_at == NOW + timedelta(minutes=5)
    assert token_store.list_for_user("u1", NOW)[0].last_used_at == NOW + timedelta(minutes=5)
    assert token_store.touch("missing", NOW) is False


def test_create_refuses_a_taken_token_hash_or_session_id(token_store: SessionStore) -> None:
    token_store.create(session("a"))
    with pytest.raises(ValueError):
        token_store.create(session("a", user_id="u2"))
    with pytest.raises(ValueError):
        token_store.create(dataclasses.replace(session("b"), session_id="sid-a"))
    assert token_store.get("a", NOW).user_id == "u1" and token_store.get("b", NOW) is None


def test_a_session_keeps_the_credential_version_it_was_made_under(
    token_store: SessionStore,
) -> None:
    token_store.create(dataclasses.replace(session("a"), credential_version="v1"))
    token_store.create(session("b"))
    assert token_store.get("a", NOW).credential_version == "v1"
    assert token_store.get("b", NOW).credential_version == ""


def test_a_session_keeps_its_second_factor_mark_and_impersonator(
    token_store: SessionStore, user_store: UserStore
) -> None:
    marked = dataclasses.replace(session("a"), second_factor=True, impersonator_id="admin-1")
    token_store.create(marked)
    token_store.create(session("b"))
    token_store.touch("a", NOW + timedelta(minutes=1))
    kept = dataclasses.replace(marked, last_used_at=NOW + timedelta(minutes=1))
    assert token_store.get("a", NOW) == kept
    assert kept in token_store.list_for_user("u1", NOW)
    assert token_store.get_with_user("a", NOW, user_store) == (kept, None)
    unmarked = token_store.get("b", NOW)
    assert unmarked.second_factor is False and unmarked.impersonator_id is None


def test_set_credential_version_rebinds_one_session_and_says_whether_there_was_one(
    token_store: SessionStore,
) -> None:
    token_store.create(dataclasses.replace(session("a"), credential_version="v1"))
    token_store.create(dataclasses.replace(session("b"), credential_version="v1"))
    assert token_store.set_credential_version("a", "v2") is True
    assert token_store.get("a", NOW).credential_version == "v2"
    assert token_store.get("b", NOW).credential_version == "v1"
    assert token_store.set_credential_version("missing", "v2") is False


# get_with_user: the per-request read


def owner(user_store: UserStore, name: str = "owner") -> User:
    return user_store.create(
        User(
            id="", username=name, password_hash="h", permissions=("view",), credential_version="v1"
        )
    )


def test_get_with_user_returns_the_session_and_its_user(
    token_store: SessionStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    token_store.create(session(user_id=user.id))
    assert token_store.get_with_user("t" * 64, NOW, user_store) == (session(user_id=user.id), user)


def test_get_with_user_returns_none_when_get_does(
    token_store: SessionStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    token_store.create(session(user_id=user.id))
    assert token_store.get_with_user("u" * 64, NOW, user_store) is None
    assert token_store.get_with_user("t" * 64, LATER, user_store) is None


def test_get_with_user_gives_no_user_for_a_deleted_or_unknown_one(
    token_store: SessionStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    token_store.create(session(user_id=user.id))
    token_store.create(session(token_hash="n" * 64, user_id="0123456789abcdef01234567"))
    user_store.delete(user.id)
    assert token_store.get_with_user("t" * 64, NOW, user_store) == (session(user_id=user.id), None)
    assert token_store.get_with_user("n" * 64, NOW, user_store)[1] is None


def test_get_with_user_reads_the_user_as_it_is_now(
    token_store: SessionStore, user_store: UserStore
) -> None:
    user = owner(user_store)
    token_store.create(session(user_id=user.id))
    token_store.get_with_user("t" * 64, NOW, user_store)
    changed = user_store.set_password_hash(user.id, "h2", "v2")
    assert token_store.get_with_user("t" * 64, NOW, user_store) == (
        session(user_id=user.id),
        changed,
    )
