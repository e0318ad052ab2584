"""One place where a security event is both logged (logger `frappyauth`) and signalled."""
from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal

from frappyauth.core.models import Actor

log = logging.getLogger("frappyauth")


def announce(sender: object, signal: NamedSignal, *, user_id: str | None, actor: Actor | None = None,
             level: int = logging.INFO, **extra: Any) -> None:
    """Log the event with who and where, then send `signal` from `sender`. Never pass a secret in `extra`."""
    actor_id, remote_addr = (actor.id, actor.remote_addr) if actor is not None else (None, None)
    details = "".join(f", {key} {value}" for key, value in extra.items())
    log.log(level, "%s: user %s, actor %s, from %s%s", signal.name, user_id, actor_id, remote_addr, details)
    signal.send(sender, user_id=user_id, actor=actor_id, remote_addr=remote_addr, **extra)
