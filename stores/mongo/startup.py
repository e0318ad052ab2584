"""First contact: a Mongo store sends nothing while it is built, as pymongo's `MongoClient` sends
nothing.

So an app starts while MongoDB is down (its requests answer 503 until the server is back), and
loading an app writes nothing (`flask frappyauth migrate --dry-run` must not migrate). What a store
did in its constructor (its indexes, the migration check and marker) runs before its first command
instead: once per process, and again after it failed. On a started store the cost per call is one
attribute check, no command.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from bson.errors import BSONError
from pymongo.database import Database
from pymongo.errors import PyMongoError

from frappyauth.core.errors import StoreFailedError
from frappyauth.stores.mongo.connection import (
    Reachability,
    reachability_of,
    translate_connection_errors,
    translated,
)
from frappyauth.stores.mongo.migration import LegacyUsernameConflictError

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("frappyauth")


class Startup:
    """A store's `start` (indexes, migration), run by `ensure` before the store's first command."""

    def __init__(self, start: Callable[[], None], db: Database) -> None:
        self._start, self._lock, self.started = start, threading.Lock(), False
        self.reachability: Reachability = reachability_of(db)

    def ensure(self) -> None:
        """Run `start` unless it has succeeded; threads arriving meanwhile wait for it."""
        if self.started:
            return
        with self._lock:
            if not self.started:
                self._start()
                self.started = True


def command(method: Callable[P, R]) -> Callable[P, R]:
    """A store method that reaches MongoDB: its store is started first, pymongo's failures become
    the core's errors (see `connection`), and a success after an outage says the server is back."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        startup: Startup = args[0]._startup  # type: ignore[attr-defined]
        try:
            startup.ensure()
            result = method(*args, **kwargs)
        except (PyMongoError, BSONError) as failure:
            raise translated(failure, method.__qualname__, startup.reachability) from failure
        except LegacyUsernameConflictError as conflict:
            # Not a request's fault, and unsafe to serve around: every call fails until an
            # operator renames the users (`store.start()` raises this error itself).
            log.error("store-not-started: %s: %s", method.__qualname__, conflict)
            raise StoreFailedError() from conflict
        if startup.reachability.down:
            startup.reachability.reached()
        return result

    return wrapper


class StartsOnFirstContact:
    """A store whose `_startup` runs its first contact (indexes; for the user and session stores,
    the schema check and migration) before its first command."""

    _startup: Startup

    @translate_connection_errors
    def start(self) -> None:
        """Run the first contact now rather than before the first command: for an app that would
        rather fail at start-up than answer 503."""
        self._startup.ensure()
