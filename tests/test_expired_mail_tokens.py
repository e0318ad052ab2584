"""Expired mail tokens are removed, as sessions are (issue 24 §5, third finding); and every Mongo
collection whose documents expire has the TTL index that removes them on the server."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

import mongomock
import pytest

from conftest import LATER, NOW
from frappyauth.core.context import ServiceContext
from frappyauth.core.events import Events
from frappyauth.core.mail_tokens import EMAIL_VERIFICATION, PASSWORD_RESET, MailTokens
from frappyauth.core.mfa_models import MfaChallenge, PasskeyChallenge
from frappyauth.core.models import User
from frappyauth.core.options import build_options
from frappyauth.core.passwords import PasswordHasher
from frappyauth.core.sessions import PURGE_INTERVAL
from frappyauth.core.throttle import Throttle
from frappyauth.stores.memory import MemoryMailTokenStore, memory_stores
from frappyauth.stores.mongo import mongo_stores
from http_support import Clock, StoreSpy
from test_api_key_store_contract import key
from test_mail_token_store_contract import token
from test_session_store_contract import session

ANN = User(id="u1", username="ann", password_hash="h", permissions=(), profile={})


def mail_tokens(store: Any, clock: Clock) -> MailTokens:
    stores = memory_stores()
    stores = type(stores)(**{**vars(stores), "mail_tokens": store})
    options = build_options({"password_reset": True, "frontend_url": "https://app.example/{token}"})
    context = ServiceContext(options, stores, PasswordHasher(4), Events(None), clock)
    return MailTokens(context, Throttle(context), outbox=None)  # type: ignore[arg-type]


def test_issuing_tokens_purges_the_expired_ones_now_and_then() -> None:
    clock, store = Clock(NOW), MemoryMailTokenStore()
    spy = StoreSpy(store)
    tokens = mail_tokens(spy, clock)
    tokens.issue(ANN, PASSWORD_RESET, "ann@example.org")  # expires in an hour
    tokens.issue(ANN, EMAIL_VERIFICATION, "ann@example.org")  # in a day
    assert "purge_expired" not in spy.calls
    clock.advance(seconds=PURGE_INTERVAL.total_seconds() + 3600)
    tokens.issue(ANN, PASSWORD_RESET, "ann@example.org")
    assert spy.calls.count("purge_expired") == 1
    assert len(store._tokens) == 2  # the expired reset token is gone; the others stay
    tokens.issue(ANN, PASSWORD_RESET, "ann@example.org")
    assert spy.calls.count("purge_expired") == 1  # at most once per interval


# Every collection with an expiry has a TTL index (read from what the Mongo stores create).


def one_of_each(db: Any) -> None:
    """One record with an expiry in every Mongo store, through its public methods only: whenever a
    store creates its indexes (when built, or on first contact), they exist afterwards."""
    stores = mongo_stores(db)
    stores.sessions.create(session())
    stores.api_keys.create(key(expires_at=LATER), 20, NOW)
    stores.attempts.increment("addr:10.0.0.7", None, NOW, LATER)
    stores.mail_tokens.create(token())
    stores.mfa.create_challenge(MfaChallenge("t1", "u1", "v1", LATER))
    stores.mfa.create_passkey_challenge(PasskeyChallenge("c1", "login", None, LATER))


def expiring_fields(document: dict[str, Any]) -> set[str]:
    return {
        name
        for name, value in document.items()
        if isinstance(value, dt.datetime) and name.lower().startswith("expire")
    }


def test_every_mongo_collection_with_an_expiry_has_a_ttl_index() -> None:
    db = mongomock.MongoClient()["frappyauth_ttl"]
    one_of_each(db)
    expiring: dict[str, set[str]] = {}
    for name in db.list_collection_names():
        for document in db[name].find():
            expiring.setdefault(name, set()).update(expiring_fields(document))
    expiring = {name: fields for name, fields in expiring.items() if fields}
    assert len(expiring) >= 6  # sessions, API keys, counters, mail tokens, both challenges
    missing = []
    for name, fields in sorted(expiring.items()):
        ttl = {
            index["key"][0][0]
            for index in db[name].index_information().values()
            if "expireAfterSeconds" in index and len(index["key"]) == 1
        }
        missing += [f"{name}.{field}" for field in sorted(fields - ttl)]
    assert missing == []


@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(minutes=5)])
def test_a_purge_removes_only_what_expired(lifetime: timedelta) -> None:
    store = MemoryMailTokenStore()
    store.create(token(expires_at=NOW + lifetime))
    assert store.purge_expired(NOW) == (1 if lifetime == timedelta(0) else 0)
