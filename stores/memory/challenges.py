"""Short-lived records by hash (the MFA store's challenges), bounded, expired without a scan."""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from datetime import datetime
from typing import Generic, Protocol, TypeVar


class Expiring(Protocol):
    @property
    def expires_at(self) -> datetime: ...


R = TypeVar("R", bound=Expiring)


class ChallengeBook(Generic[R]):
    """Records by hash in the order they were added, with a heap of their expiries.

    Expired records are dropped from the front of the heap, so a call looks only at what it drops
    (and O(log n) heap entries), never at every record. Beyond `cap` records the oldest added is
    evicted: a flood of new challenges ends the oldest half-done ceremonies first, and the memory
    held stays bounded. Not thread-safe: the store's lock guards every call.
    """

    def __init__(self, cap: int) -> None:
        if cap < 1:
            raise ValueError("A challenge book holds at least one challenge.")
        self._cap = cap
        self._records: OrderedDict[str, tuple[int, R]] = OrderedDict()
        self._expiries: list[tuple[datetime, int, str]] = []  # a heap; stale entries are skipped
        self._numbers = itertools.count()

    def __len__(self) -> int:
        return len(self._records)

    def add(self, key: str, record: R, now: datetime | None) -> None:
        """Add `record` under `key`, first dropping what expired by `now` (if known); `ValueError`
        if `key` is held."""
        if now is not None:
            self._drop_expired(now)
        if key in self._records:
            raise ValueError("A challenge with that hash exists.")
        number = next(self._numbers)
        self._records[key] = (number, record)
        heapq.heappush(self._expiries, (record.expires_at, number, key))
        while len(self._records) > self._cap:
            self._records.popitem(last=False)
        if len(self._expiries) > 2 * len(self._records) + 64:  # mostly entries of removed records
            self._expiries = [(r.expires_at, n, k) for k, (n, r) in self._records.items()]
            heapq.heapify(self._expiries)

    def get(self, key: str) -> R | None:
        held = self._records.get(key)
        return None if held is None else held[1]

    def pop(self, key: str) -> R | None:
        held = self._records.pop(key, None)
        return None if held is None else held[1]

    def _drop_expired(self, now: datetime) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            _, number, key = heapq.heappop(self._expiries)
            held = self._records.get(key)
            if held is not None and held[0] == number:
                del self._records[key]
