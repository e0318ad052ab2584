"""The in-memory token store: the core's in-process store, under the name the other stores follow."""
from frappyauth.local_tokens import InProcessTokenStore

MemoryTokenStore = InProcessTokenStore

__all__ = ["MemoryTokenStore"]
