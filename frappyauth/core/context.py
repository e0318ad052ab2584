"""What every service of one app shares: its options, stores, password hasher, clock and event
channel."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from frappyauth.core.events import Events
from frappyauth.core.options import Options
from frappyauth.core.passwords import PasswordHasher
from frappyauth.core.protocols import Stores

# The current instant, aware, in UTC. A partial, not a function: one call fewer on every request.
utc_now: Callable[[], datetime] = functools.partial(datetime.now, timezone.utc)


@dataclass(frozen=True)
class ServiceContext:
    """Built once per app (see `services.build_services`) and handed to each service it builds."""

    options: Options
    stores: Stores
    hasher: PasswordHasher
    events: Events
    clock: Callable[[], datetime] = utc_now
