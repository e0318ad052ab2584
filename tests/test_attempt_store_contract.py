"""The `AttemptStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from conftest import LATER, NOW
from threads import run_in_threads
from frappyauth.core.protocols import AttemptStore


def test_increment_counts_from_one_in_a_fixed_window(attempt_store: AttemptStore) -> None:
    first = attempt_store.increment("pair:alice|1.2.3.4", "alice", NOW, LATER)
    second = attempt_store.increment(
        "pair:alice|1.2.3.4", "alice", NOW + timedelta(seconds=5), LATER + timedelta(seconds=5)
    )
    assert (first.count, second.count) == (1, 2)
    assert second.expires_at == LATER  # later counts keep the window's end


def test_increment_starts_a_new_window_after_the_old_one_expired(
    attempt_store: AttemptStore,
) -> None:
    attempt_store.increment("k", "alice", NOW, LATER)
    attempt_store.increment("k", "alice", NOW, LATER)
    after = attempt_store.increment("k", "bob", LATER, LATER + timedelta(hours=1))
    assert (after.count, after.expires_at) == (1, LATER + timedelta(hours=1))
    attempt_store.delete_for_subject("alice")
    assert attempt_store.get("k", LATER) is not None  # the new window took the new subject
    attempt_store.delete_for_subject("bob")
    assert attempt_store.get("k", LATER) is None


def test_increment_counts_keys_of_no_user(attempt_store: AttemptStore) -> None:
    assert attempt_store.increment("addr:1.2.3.4", None, NOW, LATER).count == 1


def test_get_returns_the_counter_until_it_expires(attempt_store: AttemptStore) -> None:
    assert attempt_store.get("k", NOW) is None
    attempt_store.increment("k", None, NOW, LATER)
    assert attempt_store.get("k", NOW).count == 1
    assert attempt_store.get("k", LATER - timedelta(seconds=1)).count == 1
    assert attempt_store.get("k", LATER) is None
    assert attempt_store.get("other", NOW) is None


def test_decrement_takes_back_one_and_never_goes_below_zero(attempt_store: AttemptStore) -> None:
    attempt_store.increment("k", None, NOW, LATER)
    attempt_store.increment("k", None, NOW, LATER)
    attempt_store.decrement("k", NOW)
    assert attempt_store.get("k", NOW).count == 1
    attempt_store.decrement("k", NOW)
    attempt_store.decrement("k", NOW)
    assert attempt_store.get("k", NOW).count == 0
    attempt_store.decrement("missing", NOW)
    assert attempt_store.get("missing", NOW) is None


def test_decrement_leaves_an_expired_counter_alone(attempt_store: AttemptStore) -> None:
    attempt_store.increment("k", None, NOW, LATER)
    attempt_store.decrement("k", LATER)
    assert attempt_store.increment("k", None, LATER, LATER + timedelta(hours=1)).count == 1


def test_delete_forgets_only_that_key(attempt_store: AttemptStore) -> None:
    attempt_store.increment("a", None, NOW, LATER)
    attempt_store.increment("b", None, NOW, LATER)
    attempt_store.delete("a")
    attempt_store.delete("never-counted")
    assert attempt_store.get("a", NOW) is None
    assert attempt_store.get("b", NOW).count == 1
    assert attempt_store.increment("a", None, NOW, LATER).count == 1


def test_delete_for_subject_forgets_every_counter_of_the_subject_only(
    attempt_store: AttemptStore,
) -> None:
    for key in ("pair:alice|1", "pair:alice|2", "user:alice"):
        attempt_store.increment(key, "alice", NOW, LATER)
    attempt_store.increment("pair:bob|1", "bob", NOW, LATER)
    attempt_store.increment("addr:1", None, NOW, LATER)
    attempt_store.delete_for_subject("alice")
    assert [attempt_store.get(k, NOW) for k in ("pair:alice|1", "pair:alice|2", "user:alice")] == [
        None
    ] * 3
    assert attempt_store.get("pair:bob|1", NOW).count == 1
    assert attempt_store.get("addr:1", NOW).count == 1
    attempt_store.delete_for_subject("nobody")


def test_concurrent_counts_give_each_caller_its_own_number(
    backend, attempt_store: AttemptStore
) -> None:
    """Count before check relies on this: of N parallel attempts exactly one sees each count
    1..N."""
    if not backend.thread_safe:
        pytest.skip(
            "mongomock's $inc is not thread-atomic: tested on the memory store and real MongoDB"
        )
    seen: list[int] = []
    lock = threading.Lock()

    def count() -> None:
        for _ in range(200):
            number = attempt_store.increment("k", "alice", NOW, LATER).count
            with lock:
                seen.append(number)

    run_in_threads(count, [()] * 8)
    assert sorted(seen) == list(range(1, 1601))
    assert attempt_store.get("k", NOW).count == 1600
