"""What only the MongoDB stores do for the mail flows: the token collection, and addresses in
user documents."""

from __future__ import annotations

from typing import Any

import pytest

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from conftest import LATER, NOW
from frappyauth.core.errors import DuplicateEmailError
from frappyauth.core.models import MailToken, User
from frappyauth.stores.mongo import SCHEMA_VERSION, MongoMailTokenStore, MongoUserStore


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def db(request: pytest.FixtureRequest) -> Any:
    with BACKENDS[request.param].database() as database:
        yield database


def test_take_is_one_find_one_and_delete(db: Any) -> None:
    """Single use rests on the server: the match and the removal are one atomic command."""
    store = MongoMailTokenStore(db)
    store.create(MailToken("t" * 64, "password_reset", "u1", "a@example.org", "b", NOW, LATER))
    calls: list[str] = []
    # The point is the form of the call on the collection.
    collection = store._tokens  # noqa: SLF001

    class Spy:
        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return getattr(collection, name)

    store._tokens = Spy()  # type: ignore[assignment]
    assert store.take("t" * 64, "password_reset", NOW) is not None
    assert calls == ["find_one_and_delete"]


def test_the_token_collection_has_a_ttl_index_and_no_plaintext(db: Any) -> None:
    MongoMailTokenStore(db).create(
        MailToken("t" * 64, "password_reset", "u1", "a@example.org", "b", NOW, LATER)
    )
    indexes = db["userMailTokens"].index_information()
    assert any(
        info.get("expireAfterSeconds") == 0 and info["key"] == [("expires", 1)]
        for info in indexes.values()
    )
    document = db["userMailTokens"].find_one({})
    assert set(document) == {
        "_id",
        "tokenHash",
        "purpose",
        "userId",
        "email",
        "binding",
        "created",
        "expires",
    }


def test_legacy_users_sharing_an_address_still_start_up_and_load(db: Any) -> None:
    db["users"].insert_many(
        [
            {"username": "a", "password": "x", "email": "same@example.org"},
            {"username": "b", "password": "x", "email": "same@example.org"},
        ]
    )
    store = MongoUserStore(db)
    assert store.count() == 2 and store.get_by_email("same@example.org") is None


def test_a_user_without_mail_flows_is_written_without_address_fields(db: Any) -> None:
    """With every mail option off, documents keep frappyflaskauth's layout."""
    created = MongoUserStore(db).create(
        User(id="", username="ann", password_hash="h", email="Ann@example.org")
    )
    document = db["users"].find_one({"username": "ann"})
    assert "emailKey" not in document and "emailVerified" not in document
    assert created.email == "Ann@example.org" and created.email_key is None


def test_a_database_marked_before_the_mail_flows_gets_the_unique_address_index(db: Any) -> None:
    """Schema 4 adds the `emailKey` index: a database at an earlier schema migrates again at
    start and gets it."""
    MongoUserStore(db).start()
    db["users"].drop_index("emailKey_1")
    db["frappyauthSchema"].update_one(
        {"_id": "users"}, {"$set": {"schemaVersion": SCHEMA_VERSION - 1}}
    )
    store = MongoUserStore(db)
    store.start()
    assert db["users"].index_information()["emailKey_1"]["unique"] is True
    store.create(
        User(
            id="",
            username="ann",
            password_hash="h",
            email="a@example.org",
            email_key="a@example.org",
        )
    )
    with pytest.raises(DuplicateEmailError):
        store.create(
            User(
                id="",
                username="bob",
                password_hash="h",
                email="a@example.org",
                email_key="a@example.org",
            )
        )
