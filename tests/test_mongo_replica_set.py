"""On a replica set: reads from the primary, writes with `majority`, and inserts safe to retry.

mongomock has no replica set; what it can show is the options each collection carries (it keeps
`read_preference` and `write_concern` on its `Collection`s, as pymongo does) and what a store does
when a retried insert meets its own first attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mongomock
import pytest
from pymongo import ReadPreference, WriteConcern

from conftest import LATER, NOW
from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge
from frappyauth.core.models import ApiKey, LinkedIdentity, MailToken, Session, User
from frappyauth.stores.beside import store_beside
from frappyauth.stores.mongo import MongoUserStore, mongo_stores

EVERY_COLLECTION = {
    "users",
    "frappyauthSchema",
    "userTokens",
    "userApiKeys",
    "userLoginFailures",
    "userMailTokens",
    "userTotp",
    "userMfaTokens",
    "userPasskeys",
    "userPasskeyChallenges",
    "userAuditLog",
    "userIdentities",
    "userDevices",
    "userRoles",
    "userTrustedDevices",
}


class RecordingDatabase:
    """A mongomock database that keeps every collection it hands out, by name."""

    def __init__(self) -> None:
        self._db = mongomock.MongoClient()["replica_set"]
        self.collections: dict[str, list[Any]] = {}

    def __getitem__(self, name: str) -> Any:
        return self._keep(self._db[name])

    def get_collection(self, name: str, **options: Any) -> Any:
        return self._keep(self._db.get_collection(name, **options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def _keep(self, collection: Any) -> Any:
        self.collections.setdefault(collection.name, []).append(collection)
        return collection


def test_every_collection_reads_from_the_primary_and_writes_with_majority() -> None:
    db = RecordingDatabase()
    mongo_stores(db)  # type: ignore[arg-type]
    assert set(db.collections) == EVERY_COLLECTION
    for name, collections in db.collections.items():
        for collection in collections:
            assert collection.read_preference == ReadPreference.PRIMARY, name
            assert collection.write_concern.document == {"w": "majority"}, name


def test_an_app_may_relax_the_write_concern_but_not_the_read_preference() -> None:
    db = RecordingDatabase()
    mongo_stores(db, write_concern=WriteConcern(w=1))  # type: ignore[arg-type]
    for name, collections in db.collections.items():
        for collection in collections:
            assert collection.read_preference == ReadPreference.PRIMARY, name
            assert collection.write_concern.document == {"w": 1}, name


def test_stores_built_beside_a_user_store_write_with_its_write_concern() -> None:
    db = RecordingDatabase()
    users = MongoUserStore(db, write_concern=WriteConcern(w=1))  # type: ignore[arg-type]
    for kind in (
        "sessions",
        "api_keys",
        "attempts",
        "mail_tokens",
        "mfa",
        "audit",
        "identities",
        "devices",
        "roles",
        "trusted_devices",
    ):
        store_beside(users, kind)
    assert set(db.collections) == EVERY_COLLECTION
    assert all(
        collection.write_concern.document == {"w": 1}
        for collections in db.collections.values()
        for collection in collections
    )


class LostAcknowledgementCollection:
    """A collection whose every insert is stored and then sent again, as a driver retries an insert
    whose acknowledgement was lost: the second copy meets the first."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def insert_one(self, document: dict[str, Any]) -> Any:
        self._collection.insert_one(dict(document))
        return self._collection.insert_one(dict(document))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


class LostAcknowledgementDatabase(RecordingDatabase):
    def _keep(self, collection: Any) -> Any:
        return LostAcknowledgementCollection(super()._keep(collection))


CREATES: dict[str, tuple[str, str, Callable[[Any], Any]]] = {
    "user": (
        "users",
        "users",
        lambda store: store.create(User(id="", username="ann", password_hash="h")),
    ),
    "session": (
        "sessions",
        "userTokens",
        lambda store: store.create(
            Session(
                token_hash="t",
                session_id="s",
                user_id="u",
                created_at=NOW,
                last_used_at=NOW,
                expires_at=LATER,
            )
        ),
    ),
    "api_key": (
        "api_keys",
        "userApiKeys",
        lambda store: store.create(
            ApiKey(key_id="k", user_id="u", name="ci", key_hash="h", created_at=NOW), 3, NOW
        ),
    ),
    "mail_token": (
        "mail_tokens",
        "userMailTokens",
        lambda store: store.create(
            MailToken(
                token_hash="t",
                purpose="password_reset",
                user_id="u",
                email="a@example.com",
                binding="b",
                created_at=NOW,
                expires_at=LATER,
            )
        ),
    ),
    "mfa_challenge": (
        "mfa",
        "userMfaTokens",
        lambda store: store.create_challenge(MfaChallenge("t", "u", "v", LATER)),
    ),
    "passkey": (
        "mfa",
        "userPasskeys",
        lambda store: store.create_passkey(Passkey("c", "u", "phone", b"key", 0, NOW)),
    ),
    "passkey_challenge": (
        "mfa",
        "userPasskeyChallenges",
        lambda store: store.create_passkey_challenge(PasskeyChallenge("h", "login", None, LATER)),
    ),
    "linked_identity": (
        "identities",
        "userIdentities",
        lambda store: store.link(
            LinkedIdentity("i", "u", "google", "https://accounts.google.com", "1", None, False, NOW)
        ),
    ),
}


@pytest.mark.parametrize("create", list(CREATES))
def test_an_insert_retried_after_a_lost_acknowledgement_is_a_success(create: str) -> None:
    kind, collection, call = CREATES[create]
    db = LostAcknowledgementDatabase()
    result = call(getattr(mongo_stores(db), kind))  # type: ignore[arg-type]
    assert result is not False  # the API-key store answers whether the key took a slot
    assert db._db[collection].count_documents({}) == 1
