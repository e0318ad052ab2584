"""In-process stores: fast, thread-safe, and gone when the process ends."""

from frappyauth.stores.memory.api_keys import MemoryApiKeyStore
from frappyauth.stores.memory.attempts import MemoryAttemptStore
from frappyauth.stores.memory.audit import MemoryAuditStore
from frappyauth.stores.memory.devices import MemoryDeviceStore
from frappyauth.stores.memory.roles import MemoryRoleStore
from frappyauth.stores.memory.bundle import memory_stores
from frappyauth.stores.memory.identities import MemoryIdentityStore
from frappyauth.stores.memory.mail_tokens import MemoryMailTokenStore
from frappyauth.stores.memory.mfa import MemoryMfaStore
from frappyauth.stores.memory.sessions import MemorySessionStore
from frappyauth.stores.memory.trusted_devices import MemoryTrustedDeviceStore
from frappyauth.stores.memory.users import MemoryUserStore

__all__ = [
    "MemoryApiKeyStore",
    "MemoryAttemptStore",
    "MemoryAuditStore",
    "MemoryDeviceStore",
    "MemoryIdentityStore",
    "MemoryRoleStore",
    "MemoryMailTokenStore",
    "MemoryMfaStore",
    "MemorySessionStore",
    "MemoryTrustedDeviceStore",
    "MemoryUserStore",
    "memory_stores",
]
