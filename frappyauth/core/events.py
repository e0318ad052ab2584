"""The event channel: one place where a security event is both logged (logger `frappyauth`) and
signalled."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from blinker import NamedSignal

from frappyauth.core.models import Actor

log = logging.getLogger("frappyauth")


class Events:
    """Announces an app's security events. `source` is what the signals are sent from (the web layer
    passes the Flask app, so receivers can tell two apps apart); the core never looks at it."""

    def __init__(self, source: object = None) -> None:
        self.source = source

    def announce(
        self,
        signal: NamedSignal,
        *,
        user_id: str | None,
        actor: Actor | None = None,
        level: int = logging.INFO,
        recorded: Mapping[str, Any] | None = None,
        **details: Any,
    ) -> None:
        """Log the event with who and where, then send `signal` with `details`. `recorded` is logged
        but not sent: facts a receiver written for the signal's documented arguments would not
        expect. Never pass a secret in either."""
        actor_id, remote_addr = (actor.id, actor.remote_addr) if actor is not None else (None, None)
        extra = "".join(
            f", {key} {value}" for key, value in {**details, **(recorded or {})}.items()
        )
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
