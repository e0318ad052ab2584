"""Translation of pymongo's failures into the core's errors, so that none crosses the store
contract.

Timeouts and transient failures (the server unreachable, an election, a write concern not met in
time) become `StoreUnavailableError`: 503 with `Retry-After`. Any other failure (an operation the
server refused, a document it could not store) becomes `StoreFailedError`: 500. Both are logged here
with their cause; the answer says nothing about it, as pymongo's messages may name hosts or quote
stored values.
"""

from __future__ import annotations

import functools
import logging
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


def translated(failure: PyMongoError | BSONError, where: str) -> FrappyAuthError:
    """The core's error for `failure`, logged with its cause: class, server code and labels, never
    the
    message (a duplicate-key or validation message quotes the document's values, hashes
    included)."""
    transient = isinstance(failure, PyMongoError) and (
        isinstance(failure, ConnectionFailure)
        or failure.timeout
        or any(failure.has_error_label(label) for label in TRANSIENT_LABELS)
    )
    details = getattr(failure, "details", None)
    code_name = details.get("codeName") if isinstance(details, dict) else None
    code = getattr(failure, "code", None)
    cause = f"{type(failure).__name__} (code {code}, {code_name or 'no code name'})"
    if transient:
        log.warning("store-unavailable: %s raised %s; answering 503", where, cause)
        return StoreUnavailableError(retry_after=RETRY_AFTER_SECONDS)
    log.error("store-failed: %s raised %s; answering 500", where, cause)
    return StoreFailedError()


def connect(mongo_url: str, mongo_db: str | None) -> Database:
    """A database from a URL and a name, as frappymongouser's stores took them (for
    `frappyauth.compat` only:
    the stores themselves take a `Database`, so that the application owns its client)."""
    if not mongo_db:
        raise ValueError("Parameter 'mongo_db' cannot be None")
    return pymongo.MongoClient(mongo_url)[mongo_db]
