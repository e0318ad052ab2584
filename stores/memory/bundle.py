"""Every in-process store at once: `memory_stores()`."""

from __future__ import annotations

from frappyauth.core.protocols import Stores
from frappyauth.stores.memory.api_keys import MemoryApiKeyStore
from frappyauth.stores.memory.devices import MemoryDeviceStore
from frappyauth.stores.memory.audit import MemoryAuditStore
from frappyauth.stores.memory.attempts import MemoryAttemptStore
from frappyauth.stores.memory.identities import MemoryIdentityStore
from frappyauth.stores.memory.mail_tokens import MemoryMailTokenStore
from frappyauth.stores.memory.mfa import MemoryMfaStore
from frappyauth.stores.memory.sessions import MemorySessionStore
from frappyauth.stores.memory.trusted_devices import MemoryTrustedDeviceStore
from frappyauth.stores.memory.users import MemoryUserStore
from frappyauth.stores.memory.roles import MemoryRoleStore

# Each kind of store beside the users, by its field in `Stores`.
MEMORY_STORES: dict[str, type] = {
    "sessions": MemorySessionStore,
    "api_keys": MemoryApiKeyStore,
    "attempts": MemoryAttemptStore,
    "mail_tokens": MemoryMailTokenStore,
    "mfa": MemoryMfaStore,
    "roles": MemoryRoleStore,
    "audit": MemoryAuditStore,
    "identities": MemoryIdentityStore,
    "devices": MemoryDeviceStore,
    "trusted_devices": MemoryTrustedDeviceStore,
}


def memory_stores() -> Stores:
    """Every store, in this process: fast, thread-safe, and gone when the process ends (one
    worker only)."""
    return Stores(
        users=MemoryUserStore(), **{kind: store() for kind, store in MEMORY_STORES.items()}
    )
