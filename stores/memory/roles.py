"""A thread-safe in-memory role store."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence

from frappyauth.core.models import Role


class MemoryRoleStore:
    """Roles in a dictionary by name behind one lock; a role is a read-only value, handed out as
    stored."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._roles: dict[str, Role] = {}

    def get(self, name: str) -> Role | None:
        return self._roles.get(name) if isinstance(name, str) else None

    def list(self) -> builtins.list[Role]:
        with self._lock:
            return [self._roles[name] for name in sorted(self._roles)]

    def get_many(self, names: Sequence[str]) -> builtins.list[Role]:
        roles = self._roles  # lock-free: a role is only ever replaced by one assignment
        found = (roles.get(name) for name in sorted(set(names)) if isinstance(name, str))
        return [role for role in found if role is not None]

    def put(self, role: Role) -> Role | None:
        stored = Role(role.name, tuple(role.permissions))
        with self._lock:
            replaced = self._roles.get(role.name)
            self._roles[role.name] = stored
            return replaced

    def delete(self, name: str) -> Role | None:
        with self._lock:
            return self._roles.pop(name, None) if isinstance(name, str) else None
