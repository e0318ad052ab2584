"""In-process stores: fast, thread-safe, and gone when the process ends."""
from stores.memory.tokens import MemoryTokenStore
from stores.memory.users import MemoryUserStore

__all__ = ["MemoryTokenStore", "MemoryUserStore"]
