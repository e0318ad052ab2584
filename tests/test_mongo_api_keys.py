"""What the Mongo API-key store promises beyond the contract: its indexes, its collection, and a
per-user limit that holds when workers race (proved by the form of the writes, as mongomock is
not thread-safe)."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from conftest import LATER, NOW
from frappyauth.core.models import ApiKey
from frappyauth.stores.mongo import MongoApiKeyStore, MongoUserStore


@pytest.fixture
def db() -> Any:
    return mongomock.MongoClient()["frappyauth_test"]


def key(key_id: str, user_id: str = "u1", expires_at=None) -> ApiKey:
    return ApiKey(
        key_id=key_id,
        user_id=user_id,
        name=f"name-{key_id}",
        key_hash=f"hash-{key_id}",
        created_at=NOW,
        expires_at=expires_at,
    )


def test_keys_live_in_their_own_collection_with_the_indexes_the_issue_asks_for(db) -> None:
    MongoApiKeyStore(db).create(key("a", expires_at=LATER), 20, NOW)
    indexes = {
        tuple(k for k, _ in info["key"]): info
        for info in db["userApiKeys"].index_information().values()
    }
    assert indexes[("keyHash",)]["unique"] and indexes[("keyId",)]["unique"]
    assert (
        indexes[("userId", "name")]["unique"] and indexes[("userId", "slot")]["unique"]
    )  # user-id lookups
    assert indexes[("expires",)]["expireAfterSeconds"] == 0
    document = db["userApiKeys"].find_one()
    assert (
        document["keyHash"] == "hash-a" and document["userId"] == "u1" and "apiKey" not in document
    )
    assert db["users"].count_documents({}) == 0  # nothing on the user records


def test_the_user_store_gives_a_key_store_on_its_database(db) -> None:
    with pytest.warns(DeprecationWarning, match=r"api_key_store\(\) is deprecated"):
        MongoUserStore(db).api_key_store().create(key("a"), 20, NOW)
    assert MongoApiKeyStore(db).get_by_hash("hash-a", NOW) is not None


class StaleReads:
    """A collection whose `find` answers as it was before: what a worker sees when others insert
    between
    its count and its insert."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def find(self, *args: Any, **kwargs: Any) -> list:
        return []


def test_a_worker_that_counted_before_others_inserted_still_cannot_pass_the_limit(db) -> None:
    """Three workers counted zero keys at once; two inserted first. The third's insert must fail:
    the limit is enforced by the unique (user, slot) index, not by the count it read."""
    for key_id in ("a", "b"):
        MongoApiKeyStore(db).create(key(key_id), 2, NOW)
    late = MongoApiKeyStore(db)
    late._keys = StaleReads(late._keys)  # type: ignore[assignment]
    assert late.create(key("c"), 2, NOW) is False
    assert db["userApiKeys"].count_documents({"userId": "u1"}) == 2
    assert late.create(key("d", user_id="u2"), 2, NOW) is True  # other users' slots are their own
