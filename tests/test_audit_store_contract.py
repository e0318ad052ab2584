"""The `AuditStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from conftest import NOW
from frappyauth.core.models import AuditEntry
from frappyauth.core.protocols import AuditStore
from frappyauth.stores.memory import MemoryAuditStore

EARLY = NOW - timedelta(days=365)


def entry(
    minute: int, event: str = "login-failed", user_id: str | None = "u1", **details
) -> AuditEntry:
    return AuditEntry(
        at=NOW + timedelta(minutes=minute),
        event=event,
        outcome="failure",
        user_id=user_id,
        actor_id=None,
        remote_addr="127.0.0.1",
        details=details,
    )


def test_page_returns_entries_newest_first_as_they_were_appended(audit_store: AuditStore) -> None:
    for minute in range(5):
        audit_store.append(entry(minute, n=minute))
    assert [e.details["n"] for e in audit_store.page(None, None, None, EARLY, 10)] == [
        4,
        3,
        2,
        1,
        0,
    ]
    newest = audit_store.page(None, None, None, EARLY, 2)[0]
    assert dataclasses.replace(newest, entry_id="") == entry(4, n=4)


def test_page_filters_by_user_and_by_event_and_both(audit_store: AuditStore) -> None:
    audit_store.append(entry(0, "login-failed", "u1"))
    audit_store.append(entry(1, "login-succeeded", "u1"))
    audit_store.append(entry(2, "login-failed", "u2"))
    audit_store.append(entry(3, "login-failed", None))
    assert [e.at for e in audit_store.page("u1", None, None, EARLY, 10)] == [
        entry(1).at,
        entry(0).at,
    ]
    assert [e.user_id for e in audit_store.page(None, "login-failed", None, EARLY, 10)] == [
        None,
        "u2",
        "u1",
    ]
    assert [e.event for e in audit_store.page("u1", "login-failed", None, EARLY, 10)] == [
        "login-failed"
    ]
    assert audit_store.page("nobody", None, None, EARLY, 10) == []
    assert audit_store.page(None, "no-such-event", None, EARLY, 10) == []


def test_page_is_older_than_a_time_alone_and_not_older_than_since(audit_store: AuditStore) -> None:
    for minute in range(6):
        audit_store.append(entry(minute, n=minute))
    before, since = (NOW + timedelta(minutes=4), ""), NOW + timedelta(minutes=1)
    assert [e.details["n"] for e in audit_store.page(None, None, before, since, 10)] == [3, 2, 1]
    assert [e.details["n"] for e in audit_store.page("u1", None, before, since, 2)] == [3, 2]


def test_pages_follow_one_another_through_entries_of_one_instant(audit_store: AuditStore) -> None:
    """The cursor is the last entry's (`at`, `entry_id`): no entry of a shared instant is lost."""
    for n in range(7):
        audit_store.append(entry(n // 3, n=n))  # three entries a minute
    seen, before = [], None
    for query in ((None, None), ("u1", None), (None, "login-failed")):
        seen, before = [], None
        while True:
            page = audit_store.page(*query, before, EARLY, 2)
            seen += [e.details["n"] for e in page]
            if len(page) < 2:
                break
            before = (page[-1].at, page[-1].entry_id)
        assert seen == [6, 5, 4, 3, 2, 1, 0], query


def test_entries_of_one_instant_keep_their_order_newest_first(audit_store: AuditStore) -> None:
    for n in range(3):
        audit_store.append(entry(0, n=n))
    assert [e.details["n"] for e in audit_store.page(None, None, None, EARLY, 10)] == [2, 1, 0]


def test_entries_come_back_as_appended(audit_store: AuditStore) -> None:
    appended = AuditEntry(
        at=NOW,
        event="api-key-revoked",
        outcome="success",
        user_id="u1",
        actor_id="admin",
        remote_addr=None,
        details={"key_id": "k", "count": 1},
        impersonator_id="root",
    )
    audit_store.append(appended)
    kept = audit_store.page(None, None, None, EARLY, 1)
    assert [dataclasses.replace(e, entry_id="") for e in kept] == [appended] and kept[0].entry_id


def test_a_bounded_memory_forgets_the_oldest_first() -> None:
    store = MemoryAuditStore(capacity=3)
    for minute in range(5):
        store.append(entry(minute, user_id=f"u{minute % 2}", n=minute))
    assert [e.details["n"] for e in store.page(None, None, None, EARLY, 10)] == [4, 3, 2]
    assert [e.details["n"] for e in store.page("u0", None, None, EARLY, 10)] == [4, 2]
    assert [e.details["n"] for e in store.page(None, "login-failed", None, EARLY, 10)] == [4, 3, 2]
