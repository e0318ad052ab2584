"""Stores are resolved once, by one rule: a store given wins; any other comes from beside the user
store (on its MongoDB database, or in this process); none is built for a feature that is off.
Sessions without a token store stay in the process, as in frappyflaskauth, with a warning beside
a shared user store."""

from __future__ import annotations

import warnings

import mongomock
import pytest
from flask import Flask

from conftest import LATER, NOW
from frappyauth.core import signals

from frappyauth import register_endpoints
from frappyauth.core.mailer import LoggingMailer
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemoryIdentityStore,
    MemorySessionStore,
    MemoryUserStore,
    memory_stores,
)
from frappyauth.stores.mongo import (
    MongoApiKeyStore,
    MongoAttemptStore,
    MongoIdentityStore,
    MongoMailTokenStore,
    MongoMfaStore,
    MongoSessionStore,
    MongoUserStore,
    mongo_stores,
)

MAIL = {"password_reset": True, "frontend_url": "https://app.example/{action}?token={token}"}


def stores_of(app: Flask):
    return app.extensions["frappyauth"].services.stores


def register(*stores, **kwargs):
    app = Flask("resolution")
    app.secret_key = "s" * 32
    register_endpoints(app, *stores, **kwargs)
    return stores_of(app)


def test_beside_a_memory_user_store_all_is_in_the_process_and_nothing_for_a_feature_off() -> None:
    stores = register(MemoryUserStore())
    assert isinstance(stores.sessions, MemorySessionStore) and isinstance(
        stores.api_keys, MemoryApiKeyStore
    )
    assert isinstance(stores.attempts, MemoryAttemptStore)
    assert stores.mail_tokens is None and stores.mfa is None


def test_beside_a_mongo_user_store_every_store_is_on_its_database_but_sessions() -> None:
    db = mongomock.MongoClient()["app"]
    with pytest.warns(RuntimeWarning, match="sessions live in this process only"):
        stores = register(
            MongoUserStore(db), options_override={"totp": True, **MAIL}, mailer=LoggingMailer()
        )
    assert isinstance(stores.sessions, MemorySessionStore)
    assert [
        type(store) for store in (stores.api_keys, stores.attempts, stores.mail_tokens, stores.mfa)
    ] == [MongoApiKeyStore, MongoAttemptStore, MongoMailTokenStore, MongoMfaStore]
    for store in (stores.attempts, stores.mail_tokens):
        store.start()  # building a store sends nothing: its first command creates its collection
    assert (
        "userMailTokens" in db.list_collection_names()
        and "userLoginFailures" in db.list_collection_names()
    )


def test_a_store_given_wins() -> None:
    db = mongomock.MongoClient()["app"]
    attempts, keys = MemoryAttemptStore(), MemoryApiKeyStore()
    stores = register(
        MongoUserStore(db), MongoSessionStore(db), attempt_store=attempts, api_key_store=keys
    )
    assert stores.attempts is attempts and stores.api_keys is keys


def test_all_stores_at_once_need_no_warning_and_exclude_a_user_store() -> None:
    db = mongomock.MongoClient()["app"]
    bundle = mongo_stores(db)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert stores_of(_app_with(stores=bundle)) is bundle
    with pytest.raises(TypeError, match="not both"):
        register(MongoUserStore(db), stores=memory_stores())


def _app_with(**kwargs) -> Flask:
    app = Flask("bundle")
    register_endpoints(app, **kwargs)
    return app


def test_the_old_companions_and_collection_name_still_work_with_a_deprecation_warning() -> None:
    db = mongomock.MongoClient()["app"]
    with pytest.warns(DeprecationWarning, match="attempt_store=MongoAttemptStore"):
        users = MongoUserStore(db, failed_logins_collection="failures")
    with pytest.warns(DeprecationWarning, match="mongo_stores"):
        assert isinstance(users.api_key_store(), MongoApiKeyStore)
    with pytest.warns(DeprecationWarning, match="mongo_stores"):
        assert isinstance(users.mfa_store(), MongoMfaStore)
    app = Flask("old")
    register_endpoints(app, users, MongoSessionStore(db), {"bcrypt_cost": 4})
    app.test_client().post(
        "/api/user/login", json={"username": "nobody", "password": "wrong password!"}
    )
    assert (
        db["failures"].count_documents({}) > 0 and db["userLoginFailures"].count_documents({}) == 0
    )


class WrappedUsers:
    """A user store of an app's own that hands every attribute of a Mongo user store on (metrics,
    caching): the stores beside it must still be on its database."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def test_a_wrapper_around_a_mongo_user_store_keeps_every_store_on_its_database() -> None:
    db = mongomock.MongoClient()["app"]
    stores = register(
        WrappedUsers(MongoUserStore(db)), MongoSessionStore(db), options_override={"totp": True}
    )
    assert [type(store) for store in (stores.api_keys, stores.attempts, stores.mfa)] == [
        MongoApiKeyStore,
        MongoAttemptStore,
        MongoMfaStore,
    ]


def test_beside_a_user_store_of_its_own_the_process_stores_are_warned_of_and_shared() -> None:
    users = WrappedUsers(MemoryUserStore())  # an app's own store: no database, no companions
    with pytest.warns(RuntimeWarning, match="live in this process only"):
        first = register(users, MemorySessionStore())
    second = register(users, MemorySessionStore())
    assert first.attempts is second.attempts and first.api_keys is second.api_keys


def test_apps_sharing_a_memory_user_store_share_its_throttle() -> None:
    users, options = MemoryUserStore(), {"max_failed_logins": 3, "bcrypt_cost": 4}
    apps = []
    for name in ("one", "two"):
        app = Flask(name)
        register_endpoints(app, users, MemorySessionStore(), options)
        apps.append(app.test_client())
    answers = [
        apps[i % 2]
        .post("/api/user/login", json={"username": "x", "password": "wrong!"})
        .status_code
        for i in range(4)
    ]
    assert answers == [401, 401, 401, 429]


def test_mongo_stores_keep_the_counters_where_the_user_store_names_them() -> None:
    db = mongomock.MongoClient()["app"]
    with pytest.warns(DeprecationWarning):
        users = MongoUserStore(db, failed_logins_collection="myFailures")
    stores = mongo_stores(db, users)
    stores.attempts.increment("k", None, NOW, LATER)
    assert db["myFailures"].count_documents({}) == 1


def test_login_succeeded_keeps_its_documented_arguments() -> None:
    """A receiver written for `user_id`, `actor` and `remote_addr` alone must keep working."""
    seen = []

    def receiver(sender, user_id, actor, remote_addr):
        seen.append(user_id)

    app = Flask("signals")
    register_endpoints(app, stores=memory_stores(), options_override={"bcrypt_cost": 4})
    initial = app.extensions["frappyauth"].services.accounts.create_initial_admin
    with app.app_context():
        admin = initial("admin", "admin password 1234")
    signals.login_succeeded.connect(receiver, sender=app)
    try:
        answer = app.test_client().post(
            "/api/user/login", json={"username": "admin", "password": "admin password 1234"}
        )
    finally:
        signals.login_succeeded.disconnect(receiver, sender=app)
    assert answer.status_code == 200 and seen == [admin.id]


def test_an_identity_store_is_built_by_the_bundles_and_taken_when_given() -> None:
    db = mongomock.MongoClient()["app"]
    assert isinstance(mongo_stores(db).identities, MongoIdentityStore)
    assert isinstance(memory_stores().identities, MemoryIdentityStore)
    identities = MemoryIdentityStore()
    stores = register(MemoryUserStore(), identity_store=identities)
    assert stores.identities is identities
    assert register(MemoryUserStore()).identities is None  # no option needs one
    with pytest.raises(TypeError, match="IdentityStore"):
        register(MemoryUserStore(), identity_store=MemorySessionStore())
