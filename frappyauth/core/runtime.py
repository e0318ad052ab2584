"""What one app's core services run on: its stores, options, password hasher, clock and signal sender."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from frappyauth.core.options import Options
from frappyauth.core.passwords import PasswordHasher
from frappyauth.core.protocols import ApiKeyStore, MfaStore, SessionStore, UserStore


# The current instant, aware, in UTC. A partial, not a function: one call fewer on every request.
utc_now: Callable[[], datetime] = functools.partial(datetime.now, timezone.utc)


@dataclass(frozen=True)
class Runtime:
    """Built once per app by the HTTP layer. `sender` is what signals are sent with (the Flask app): the
    core passes it on without knowing what it is."""

    users: UserStore
    sessions: SessionStore
    api_keys: ApiKeyStore
    options: Options
    hasher: PasswordHasher
    clock: Callable[[], datetime] = utc_now
    sender: object = None
    mfa: MfaStore | None = None  # second factors; `None` when no second factor is enabled
