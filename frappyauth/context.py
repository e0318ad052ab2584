"""What the core services of one app share: its stores, options, password hasher and clock."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from frappyauth.models import Session, User
from frappyauth.options import Options
from frappyauth.passwords import PasswordHasher
from frappyauth.protocols import TokenStore, UserStore


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(slots=True)  # not frozen: built on every request, and frozen dataclasses build 3x slower
class Identity:
    """Who a request is: the user, and the session it used (`None` for an API key)."""

    user: User
    session: Session | None

    @property
    def via_api_key(self) -> bool:
        return self.session is None


@dataclass(frozen=True)
class AuthContext:
    users: UserStore
    tokens: TokenStore
    options: Options
    hasher: PasswordHasher
    clock: Callable[[], datetime] = utc_now


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from `now` to `moment`, rounded up, at least 1: a `Retry-After` value."""
    return max(1, math.ceil((moment - now).total_seconds()))
