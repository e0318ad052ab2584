"""The `TokenStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""
from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import LATER, NOW
from frappyauth.models import Session
from frappyauth.protocols import TokenStore


def session(token_hash: str = "t" * 64, user_id: str = "u1", expires_at=LATER) -> Session:
    return Session(token_hash=token_hash, user_id=user_id, created_at=NOW, expires_at=expires_at)


def test_get_returns_the_created_session(token_store: TokenStore) -> None:
    token_store.create(session())
    assert token_store.get("t" * 64, NOW) == session()


@pytest.mark.parametrize("token_hash", ["u" * 64, "", "t" * 63])
def test_get_returns_none_for_an_unknown_hash(token_store: TokenStore, token_hash: str) -> None:
    token_store.create(session())
    assert token_store.get(token_hash, NOW) is None


def test_get_never_returns_an_expired_session_even_before_purge(token_store: TokenStore) -> None:
    token_store.create(session())
    assert token_store.get("t" * 64, LATER - timedelta(seconds=1)) is not None
    assert token_store.get("t" * 64, LATER) is None
    assert token_store.get("t" * 64, LATER + timedelta(days=1)) is None


def test_delete_removes_the_session_and_says_whether_there_was_one(token_store: TokenStore) -> None:
    token_store.create(session())
    assert token_store.delete("t" * 64) is True
    assert token_store.get("t" * 64, NOW) is None
    assert token_store.delete("t" * 64) is False


def test_delete_for_user_deletes_every_session_of_that_user_only(token_store: TokenStore) -> None:
    for token_hash, user_id in [("a", "u1"), ("b", "u1"), ("c", "u2")]:
        token_store.create(session(token_hash, user_id))
    assert token_store.delete_for_user("u1") == 2
    assert token_store.get("a", NOW) is None and token_store.get("b", NOW) is None
    assert token_store.get("c", NOW) is not None
    assert token_store.delete_for_user("u1") == 0


def test_delete_for_user_can_keep_one_session(token_store: TokenStore) -> None:
    for token_hash in "abc":
        token_store.create(session(token_hash))
    assert token_store.delete_for_user("u1", keep_token_hash="b") == 2
    assert [token_store.get(h, NOW) is not None for h in "abc"] == [False, True, False]


def test_purge_expired_deletes_exactly_the_expired_sessions(token_store: TokenStore) -> None:
    token_store.create(session("old", expires_at=LATER))
    token_store.create(session("new", expires_at=LATER + timedelta(hours=1)))
    assert token_store.purge_expired(NOW) == 0
    assert token_store.purge_expired(LATER) == 1
    assert token_store.get("new", LATER) is not None
    assert token_store.delete("old") is False
