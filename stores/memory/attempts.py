"""A thread-safe in-memory store of the throttle's attempt counters."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from datetime import datetime

from frappyauth.core.models import AttemptCounter


class MemoryAttemptStore:
    """Counters in one ordered dict behind one lock.

    Counters are kept in the order their windows started: with the core's fixed window length that
    is the order they expire in, so expired ones are dropped from the front and guessing many
    usernames cannot grow memory forever.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: OrderedDict[str, tuple[AttemptCounter, str | None]] = OrderedDict()
        self._keys_of: dict[str, set[str]] = {}  # subject -> its counters' keys

    def increment(
        self, key: str, subject: str | None, now: datetime, expires_at: datetime
    ) -> AttemptCounter:
        with self._lock:
            self._forget_expired(now)
            live = self._live(key, now)
            if live is None:
                self._drop(key)
                counter = AttemptCounter(count=1, expires_at=expires_at)
                self._counters[key] = (counter, subject)
                if subject is not None:
                    self._keys_of.setdefault(subject, set()).add(key)
                return counter
            counter = dataclasses.replace(live[0], count=live[0].count + 1)
            self._counters[key] = (counter, live[1])  # an existing key keeps its place in the order
            return counter

    def decrement(self, key: str, now: datetime) -> None:
        with self._lock:
            live = self._live(key, now)
            if live is not None and live[0].count > 0:
                self._counters[key] = (
                    dataclasses.replace(live[0], count=live[0].count - 1),
                    live[1],
                )

    def get(self, key: str, now: datetime) -> AttemptCounter | None:
        with self._lock:
            live = self._live(key, now)
        return None if live is None else live[0]

    def delete(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def delete_for_subject(self, subject: str) -> None:
        with self._lock:
            for key in list(self._keys_of.get(subject, ())):
                self._drop(key)

    def _live(self, key: str, now: datetime) -> tuple[AttemptCounter, str | None] | None:
        entry = self._counters.get(key) if isinstance(key, str) else None
        return entry if entry is not None and entry[0].expires_at > now else None

    def _drop(self, key: str) -> None:
        entry = self._counters.pop(key, None)
        if entry is not None and entry[1] is not None:
            keys = self._keys_of[entry[1]]
            keys.discard(key)
            if not keys:
                del self._keys_of[entry[1]]

    def _forget_expired(self, now: datetime) -> None:
        while self._counters:
            key, (oldest, _) = next(iter(self._counters.items()))
            if oldest.expires_at > now:
                return
            self._drop(key)
