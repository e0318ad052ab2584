"""The event channel: one place where a security event is both logged (logger `frappyauth`) and
signalled."""

from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal

from frappyauth.core.models import Actor

log = logging.getLogger("frappyauth")


class Events:
    """Announces an app's security events. `source` is what the signals are sent from (the web layer
    passes
    the Flask app, so receivers can tell two apps apart); the core never looks at it."""

    def __init__(self, source: object = None) -> None:
        self.source = source

    def announce(
        self,
        signal: NamedSignal,
        *,
        user_id: str | None,
        actor: Actor | None = None,
        level: int = logging.INFO,
        **details: Any,
    ) -> None:
        """Log the event with who and where, then send `signal`. Never pass a secret in
        `details`."""
        actor_id, remote_addr = (actor.id, actor.remote_addr) if actor is not None else (None, None)
        extra = "".join(f", {key} {value}" for key, value in details.items())
        log.log(
            level,
            "%s: user %s, actor %s, from %s%s",
            signal.name,
            user_id,
            actor_id,
            remote_addr,
            extra,
        )
        signal.send(
            self.source, user_id=user_id, actor=actor_id, remote_addr=remote_addr, **details
        )
