"""Translation of pymongo's connection failures into the core's `StoreUnavailableError`."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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
