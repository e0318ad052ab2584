"""One place where a security event is both logged (logger `frappyauth`) and signalled."""
from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal
from flask import current_app, has_app_context, has_request_context, request

log = logging.getLogger("frappyauth")


def announce(signal: NamedSignal, *, user_id: str | None, actor: str | None = None, level: int = logging.INFO,
             **extra: Any) -> None:
    """Log the event with who and where, then send `signal`. Never pass a secret in `extra`."""
    remote_addr = request.remote_addr if has_request_context() else None
    details = "".join(f", {key} {value}" for key, value in extra.items())
    log.log(level, "%s: user %s, actor %s, from %s%s", signal.name, user_id, actor, remote_addr, details)
    app = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]
    signal.send(app, user_id=user_id, actor=actor, remote_addr=remote_addr, **extra)
