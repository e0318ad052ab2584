"""The Mongo store's prefix search is a range on the unique `usernameKey` index, never a scan or
a regex."""

from __future__ import annotations

from typing import Any

import pytest

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from frappyauth.core.models import User
from frappyauth.stores.mongo import MongoUserStore


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def db(request: pytest.FixtureRequest) -> Any:
    with BACKENDS[request.param].database() as database:
        yield database


class RecordingCollection:
    """A collection that records the filters and sorts of its reads."""

    def __init__(self, collection: Any) -> None:
        self._collection, self.reads = collection, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def count_documents(self, query: dict[str, Any]) -> int:
        self.reads.append(("count_documents", query))
        return self._collection.count_documents(query)

    def find(self, query: dict[str, Any]) -> Any:
        self.reads.append(("find", query))
        return self._collection.find(query)


def test_the_search_reads_a_key_range_sorted_by_the_key(db: Any) -> None:
    store = MongoUserStore(db)
    for name in ["Alice", "alvin", "amy", "Bob"]:
        store.create(User(id="", username=name, password_hash="h"))
    recording = store._users = RecordingCollection(store._users)
    users, total = store.list_by_username_prefix("al", 0, 10)
    assert ([user.username for user in users], total) == (["Alice", "alvin"], 2)
    key_range = {"usernameKey": {"$gte": "al", "$lt": "am"}}
    assert recording.reads == [("count_documents", key_range), ("find", key_range)]


def test_the_server_serves_the_search_from_the_username_index(db: Any) -> None:
    if type(db.client).__module__.startswith("mongomock"):
        pytest.skip("mongomock has no query planner: this runs on a real MongoDB (MONGODB_URI)")
    MongoUserStore(db).create(User(id="", username="alice", password_hash="h"))
    plan = (
        db["users"]
        .find({"usernameKey": {"$gte": "al", "$lt": "am"}})
        .sort("usernameKey", 1)
        .explain()
    )
    winning = str(plan["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in winning and "usernameKey" in winning and "COLLSCAN" not in winning
