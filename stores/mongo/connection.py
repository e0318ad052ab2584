"""Translation of pymongo's connection failures into the core's `StoreUnavailableError`."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import pymongo
from pymongo.database import Database
from pymongo.errors import ConnectionFailure

from frappyauth.core.errors import StoreUnavailableError

P = ParamSpec("P")
R = TypeVar("R")


def translate_connection_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Raise `StoreUnavailableError` where pymongo cannot reach the server.

    `ConnectionFailure` covers server selection timeouts, `AutoReconnect` and network timeouts. pymongo's
    own message may name hosts, so it is kept as the cause, not in the error's message.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except ConnectionFailure as failure:
            raise StoreUnavailableError(retry_after=5) from failure

    return wrapper


def connect(mongo_url: str, mongo_db: str | None) -> Database:
    """A database from a URL and a name, as frappymongouser's stores took them (for `frappyauth.compat` only:
    the stores themselves take a `Database`, so that the application owns its client)."""
    if not mongo_db:
        raise ValueError("Parameter 'mongo_db' cannot be None")
    return pymongo.MongoClient(mongo_url)[mongo_db]
