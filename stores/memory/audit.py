"""The in-process audit trail: a bounded ring, indexed by time for all, per user and per event."""

from __future__ import annotations

import bisect
import dataclasses
import threading
from datetime import datetime

from frappyauth.core.models import AuditEntry

DEFAULT_CAPACITY = 100_000


class _Index:
    """Sequence numbers in append order with their times beside them (append order is time order:
    the core's clock never runs back), for bisecting. Entries the ring dropped are skipped by
    `start`, and cut off once they are half of the lists."""

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.numbers: list[int] = []
        self.start = 0

    def add(self, at: datetime, number: int) -> None:
        self.times.append(at)
        self.numbers.append(number)

    def drop_first(self) -> None:
        self.start += 1
        if self.start * 2 > len(self.numbers):
            del self.times[: self.start], self.numbers[: self.start]
            self.start = 0


class MemoryAuditStore:
    """The newest `capacity` entries, behind one lock. A page bisects the times of the entries of
    its user (or event type, or all) and walks back from there: it costs the page, not the trail."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._lock = threading.Lock()
        self._capacity = capacity
        self._entries: dict[int, AuditEntry] = {}
        self._sequence = 0
        self._all = _Index()
        self._by_user: dict[str, _Index] = {}
        self._by_event: dict[str, _Index] = {}

    def append(self, entry: AuditEntry) -> None:
        with self._lock:
            number, self._sequence = self._sequence, self._sequence + 1
            entry = dataclasses.replace(entry, entry_id=str(number))
            self._entries[number] = entry
            for index in self._indexes_of(entry, create=True):
                index.add(entry.at, number)
            if len(self._entries) > self._capacity:
                self._drop_oldest()

    def page(
        self,
        user_id: str | None,
        event: str | None,
        before: tuple[datetime, str] | None,
        since: datetime,
        limit: int,
    ) -> list[AuditEntry]:
        with self._lock:
            index = self._index_for(user_id, event)
            if index is None:
                return []
            end = _end(index, before)
            found: list[AuditEntry] = []
            for position in range(end - 1, index.start - 1, -1):
                if len(found) >= limit or index.times[position] < since:
                    break
                entry = self._entries[index.numbers[position]]
                if event is None or entry.event == event:
                    found.append(entry)
            return found

    def _index_for(self, user_id: str | None, event: str | None) -> _Index | None:
        if user_id is not None:
            return self._by_user.get(user_id)
        if event is not None:
            return self._by_event.get(event)
        return self._all

    def _indexes_of(self, entry: AuditEntry, create: bool = False) -> list[_Index]:
        indexes = [self._all]
        for by_key, key in ((self._by_user, entry.user_id), (self._by_event, entry.event)):
            if key is not None:
                found = by_key.setdefault(key, _Index()) if create else by_key.get(key)
                if found is not None:
                    indexes.append(found)
        return indexes

    def _drop_oldest(self) -> None:
        number = self._all.numbers[self._all.start]
        entry = self._entries.pop(number)
        for index in self._indexes_of(entry):
            index.drop_first()  # the oldest entry is the first live one of each of its indexes
        for by_key, key in ((self._by_user, entry.user_id), (self._by_event, entry.event)):
            if key is not None and by_key[key].start >= len(by_key[key].numbers):
                del by_key[key]


def _end(index: _Index, before: tuple[datetime, str] | None) -> int:
    """Where the entries older than `before` end in `index`: by id where there is one (ids are the
    sequence numbers, ascending in every index), else by time."""
    if before is None:
        return len(index.numbers)
    at, entry_id = before
    if entry_id.isdigit():
        return bisect.bisect_left(index.numbers, int(entry_id), lo=index.start)
    return bisect.bisect_left(index.times, at, lo=index.start)
