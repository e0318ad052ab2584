"""Translation of pymongo's failures into the core's errors, so that none crosses the store
contract.

Timeouts and transient failures (the server unreachable, an election, a write concern not met in
time) become `StoreUnavailableError`: 503 with `Retry-After`. Any other failure (an operation the
server refused, a document it could not store) becomes `StoreFailedError`: 500. Both are logged here
with their cause; the answer says nothing about it, as pymongo's messages may name hosts or quote
stored values. An unreachable server is logged once per outage, with its hosts (`Reachability`).
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import pymongo
from bson.errors import BSONError
from pymongo import ReadPreference, WriteConcern
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, PyMongoError

from frappyauth.core.errors import FrappyAuthError, StoreFailedError, StoreUnavailableError

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("frappyauth")

# Labels the server puts on errors that a later retry may well not meet.
TRANSIENT_LABELS = ("RetryableWriteError", "TransientTransactionError", "SystemOverloadedError")
RETRY_AFTER_SECONDS = 5
# What every store writes with unless it is given another write concern (see `collection_on`).
MAJORITY = WriteConcern("majority")


def collection_on(db: Database, name: str, write_concern: WriteConcern | None = None) -> Collection:
    """The collection `name` on `db`, read from the primary and written with `write_concern`
    (`majority` unless given), whatever read preference and write concern the app's client sets.

    A lagging secondary could still serve a session that was revoked or a password that was
    changed, so every read of a store goes to the primary. A write acknowledged by the primary alone
    is rolled back if that primary fails before a majority has it: a logout or a password change the
    user saw succeed would come undone after a failover.
    """
    concern = MAJORITY if write_concern is None else write_concern
    return db.get_collection(name, read_preference=ReadPreference.PRIMARY, write_concern=concern)


def translate_connection_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Raise `StoreUnavailableError` or `StoreFailedError` where pymongo (or BSON encoding)
    fails."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (PyMongoError, BSONError) as failure:
            raise translated(failure, method.__qualname__) from failure

    return wrapper


def translated(
    failure: PyMongoError | BSONError, where: str, reachability: Reachability | None = None
) -> FrappyAuthError:
    """The core's error for `failure`, logged with its cause: class, server code and labels, never
    the message (a duplicate-key or validation message quotes the document's values, hashes
    included). An unreachable server is logged by `reachability`, once per outage.

    The log says nothing of an HTTP answer: a store is also called from the CLI and start-up code.
    """
    transient = isinstance(failure, PyMongoError) and (
        isinstance(failure, ConnectionFailure)
        or failure.timeout
        or any(failure.has_error_label(label) for label in TRANSIENT_LABELS)
    )
    details = getattr(failure, "details", None)
    code_name = details.get("codeName") if isinstance(details, dict) else None
    code = getattr(failure, "code", None)
    cause = f"{type(failure).__name__} (code {code}, {code_name or 'no code name'})"
    if isinstance(failure, ConnectionFailure) and reachability is not None:
        reachability.failed(where, cause)
        return StoreUnavailableError(retry_after=RETRY_AFTER_SECONDS)
    if transient:
        log.warning("store-unavailable: %s raised %s", where, cause)
        return StoreUnavailableError(retry_after=RETRY_AFTER_SECONDS)
    log.error("store-failed: %s raised %s", where, cause)
    return StoreFailedError()


def host_list(db: Database) -> str:
    """The hosts `db`'s client was given (or has found), as `host:port,...`: pymongo keeps them
    apart from the user name and password, so this never shows a credential."""
    client = getattr(db, "client", None)
    if not isinstance(client, pymongo.MongoClient):  # mongomock, or a test's stand-in
        return "the app's MongoDB client"
    addresses = sorted(client.topology_description.server_descriptions())
    return ",".join(f"{host}:{port}" for host, port in addresses) or "no host"


UNREACHABLE_FIX = (
    "is the server running and reachable from this machine, and do the hosts, replicaSet and tls "
    "options of the app's MongoDB URI match it?"
)


class Reachability:
    """Whether the server of one client is known to be down, so that an outage logs one line (with
    the hosts and the likely fix) however many calls fail during it, and its end one more."""

    def __init__(self, hosts: str) -> None:
        self.hosts, self.down, self._lock = hosts, False, threading.Lock()

    def failed(self, where: str, cause: str) -> None:
        with self._lock:
            first, self.down = not self.down, True
        if first:
            log.warning(
                "mongodb-unreachable: cannot reach MongoDB at %s (%s raised %s): %s",
                self.hosts,
                where,
                cause,
                UNREACHABLE_FIX,
            )
        else:
            log.debug("store-unavailable: %s raised %s", where, cause)

    def reached(self) -> None:
        with self._lock:
            was_down, self.down = self.down, False
        if was_down:
            log.warning("mongodb-reachable: MongoDB at %s answers again", self.hosts)


# One per client object, shared by every store on it: an outage is one line, not one per store.
# By identity (clients compare equal by their hosts), and dropped with the client.
_REACHABILITY: dict[int, Reachability] = {}
_REACHABILITY_LOCK = threading.Lock()


def reachability_of(db: Database) -> Reachability:
    client = getattr(db, "client", None)
    with _REACHABILITY_LOCK:
        found = _REACHABILITY.get(id(client))
        if found is None:
            found = Reachability(host_list(db))
            try:
                weakref.finalize(client, _REACHABILITY.pop, id(client), None)
            except TypeError:  # no client, or a stand-in that cannot be watched: its own
                return found
            _REACHABILITY[id(client)] = found
    return found


def check_connection(db: Database, timeout_seconds: float = 2.0) -> None:
    """Ping `db`'s server within `timeout_seconds`, or raise `StoreUnavailableError` naming its
    hosts.

    Building the stores sends nothing, so an app starts while MongoDB is down and answers 503 until
    it is back. An app that would rather not start calls this first.
    """
    try:
        with pymongo.timeout(timeout_seconds):
            db.command("ping")
    except PyMongoError as failure:
        raise StoreUnavailableError(
            f"cannot reach MongoDB at {host_list(db)} within {timeout_seconds:g} s "
            f"({type(failure).__name__}): {UNREACHABLE_FIX}",
            retry_after=RETRY_AFTER_SECONDS,
        ) from failure


def connect(mongo_url: str, mongo_db: str | None) -> Database:
    """A database from a URL and a name, as frappymongouser's stores took them (for
    `frappyauth.compat` only: the stores themselves take a `Database`, so that the application
    owns its client)."""
    if not mongo_db:
        raise ValueError("Parameter 'mongo_db' cannot be None")
    return pymongo.MongoClient(mongo_url)[mongo_db]
