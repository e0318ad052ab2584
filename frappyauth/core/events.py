"""The event channel: one place where a security event is both logged (logger `frappyauth`) and
signalled."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from blinker import NamedSignal

from frappyauth.core.models import Actor, AuditEntry

log = logging.getLogger("frappyauth")


class Events:
    """Announces an app's security events: logs them, signals them, and with `keep` (an audit
    store's `append`) keeps them. `source` is what the signals are sent from (the web layer passes
    the Flask app, so receivers can tell two apps apart); the core never looks at it.

    A failed audit write is logged as an error and the request goes on: the change it records has
    already happened, and refusing to answer after it would leave the client unsure of what did
    (see docs/audit.md).
    """

    def __init__(
        self,
        source: object = None,
        keep: Callable[[AuditEntry], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.source, self._keep_entry, self._clock = source, keep, clock

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
        """Log the event with who and where, keep it in the audit trail, then send `signal` with
        `details`. `recorded` is logged and kept but not sent: facts a receiver written for the
        signal's documented arguments would not expect. Never pass a secret in either."""
        actor_id, remote_addr = (actor.id, actor.remote_addr) if actor is not None else (None, None)
        facts = {**details, **(recorded or {})}
        extra = "".join(f", {key} {value}" for key, value in facts.items())
        log.log(
            level,
            "%s: user %s, actor %s, from %s%s",
            signal.name,
            user_id,
            actor_id,
            remote_addr,
            extra,
        )
        if self._keep_entry is not None:
            self._keep(signal.name, level, user_id, actor, facts)
        signal.send(
            self.source, user_id=user_id, actor=actor_id, remote_addr=remote_addr, **details
        )

    def _keep(
        self,
        event: str,
        level: int,
        user_id: str | None,
        actor: Actor | None,
        facts: dict[str, Any],
    ) -> None:
        assert self._keep_entry is not None and self._clock is not None
        entry = AuditEntry(
            at=self._clock(),
            event=event,
            outcome="failure" if level >= logging.WARNING else "success",
            user_id=user_id,
            actor_id=actor.id if actor else None,
            remote_addr=actor.remote_addr if actor else None,
            details={key: _plain(value) for key, value in facts.items()},
            impersonator_id=actor.impersonator_id if actor else None,
        )
        try:
            self._keep_entry(entry)
        except Exception:  # noqa: BLE001 -- logged loudly; the change it records is done
            log.exception(
                "frappyauth: the audit trail could not keep %s of user %s", event, user_id
            )


def _plain(value: Any) -> Any:
    """A JSON value for the audit trail: tuples as lists, anything else unknown as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)
