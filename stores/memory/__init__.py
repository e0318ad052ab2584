"""In-process stores: fast, thread-safe, and gone when the process ends."""
from frappyauth.stores.memory.api_keys import MemoryApiKeyStore
from frappyauth.stores.memory.mail_tokens import MemoryMailTokenStore
from frappyauth.stores.memory.mfa import MemoryMfaStore
from frappyauth.stores.memory.sessions import MemorySessionStore
from frappyauth.stores.memory.users import MemoryUserStore

__all__ = ["MemoryApiKeyStore", "MemoryMailTokenStore", "MemoryMfaStore", "MemorySessionStore", "MemoryUserStore"]
