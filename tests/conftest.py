"""Shared fixtures: every store fixture is parametrized over `backends.BACKENDS`."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from backends import BACKEND_PARAMS, BACKENDS, Backend
from frappyauth.protocols import TokenStore, UserStore

# Instants in the future: mongomock runs TTL deletion on the real clock and would drop past-dated documents.
NOW = datetime(2100, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=1)


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param]


@pytest.fixture
def database(backend: Backend) -> Iterator[Any]:
    with backend.database() as db:
        yield db


@pytest.fixture
def user_store(backend: Backend, database: Any) -> UserStore:
    return backend.user_store(database)


@pytest.fixture
def token_store(backend: Backend, database: Any) -> TokenStore:
    return backend.token_store(database)
