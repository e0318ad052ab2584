"""The stores under test, listed once. Adding a store is one entry in `BACKENDS`."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import mongomock
import pymongo
import pytest

from frappyauth.core.protocols import (
    ApiKeyStore,
    AttemptStore,
    AuditStore,
    IdentityStore,
    DeviceStore,
    MailTokenStore,
    MfaStore,
    RoleStore,
    SessionStore,
    TrustedDeviceStore,
    UserStore,
)
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemoryAuditStore,
    MemoryIdentityStore,
    MemoryDeviceStore,
    MemoryMailTokenStore,
    MemoryMfaStore,
    MemoryRoleStore,
    MemorySessionStore,
    MemoryTrustedDeviceStore,
    MemoryUserStore,
)
from frappyauth.stores.mongo import (
    MongoApiKeyStore,
    MongoAttemptStore,
    MongoAuditStore,
    MongoIdentityStore,
    MongoDeviceStore,
    MongoMailTokenStore,
    MongoMfaStore,
    MongoRoleStore,
    MongoSessionStore,
    MongoTrustedDeviceStore,
    MongoUserStore,
)

MONGODB_URI = os.environ.get("MONGODB_URI")


@contextmanager
def mongomock_database() -> Iterator[Any]:
    """A fresh in-process fake per test: isolation with no clean-up."""
    yield mongomock.MongoClient()["frappyauth_test"]


@contextmanager
def mongodb_database() -> Iterator[Any]:
    """A uniquely named database on the real server, dropped afterwards."""
    client: pymongo.MongoClient = pymongo.MongoClient(MONGODB_URI, serverSelectionTimeoutMS=5000)
    name = f"frappyauth_test_{secrets.token_hex(6)}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


@dataclass(frozen=True)
class Backend:
    database: Callable[[], AbstractContextManager[Any]]
    user_store: Callable[[Any], UserStore]
    token_store: Callable[[Any], SessionStore]
    api_key_store: Callable[[Any], ApiKeyStore]
    mail_token_store: Callable[[Any], MailTokenStore]
    mfa_store: Callable[[Any], MfaStore]
    attempt_store: Callable[[Any], AttemptStore]
    audit_store: Callable[[Any], AuditStore]
    identity_store: Callable[[Any], IdentityStore]
    device_store: Callable[[Any], DeviceStore]
    role_store: Callable[[Any], RoleStore]
    trusted_device_store: Callable[[Any], TrustedDeviceStore]
    thread_safe: bool = True  # mongomock is not (nor is its $inc atomic): concurrency tests skip it
    marks: tuple[Any, ...] = ()


BACKENDS: dict[str, Backend] = {
    "memory": Backend(
        nullcontext,
        lambda _db: MemoryUserStore(),
        lambda _db: MemorySessionStore(),
        lambda _db: MemoryApiKeyStore(),
        lambda _db: MemoryMailTokenStore(),
        lambda _db: MemoryMfaStore(),
        lambda _db: MemoryAttemptStore(),
        lambda _db: MemoryAuditStore(),
        lambda _db: MemoryIdentityStore(),
        lambda _db: MemoryDeviceStore(),
        lambda _db: MemoryRoleStore(),
        lambda _db: MemoryTrustedDeviceStore(),
    ),
    "mongomock": Backend(
        mongomock_database,
        MongoUserStore,
        MongoSessionStore,
        MongoApiKeyStore,
        MongoMailTokenStore,
        MongoMfaStore,
        MongoAttemptStore,
        MongoAuditStore,
        MongoIdentityStore,
        MongoDeviceStore,
        MongoRoleStore,
        MongoTrustedDeviceStore,
        thread_safe=False,
    ),
    "mongodb": Backend(
        mongodb_database,
        MongoUserStore,
        MongoSessionStore,
        MongoApiKeyStore,
        MongoMailTokenStore,
        MongoMfaStore,
        MongoAttemptStore,
        MongoAuditStore,
        MongoIdentityStore,
        MongoDeviceStore,
        MongoRoleStore,
        MongoTrustedDeviceStore,
        marks=(
            pytest.mark.skipif(
                not MONGODB_URI, reason="MONGODB_URI is not set: no real MongoDB to test"
            ),
        ),
    ),
}

BACKEND_PARAMS = [
    pytest.param(name, marks=backend.marks, id=name) for name, backend in BACKENDS.items()
]
MONGO_BACKEND_PARAMS = [param for param in BACKEND_PARAMS if param.id != "memory"]
