"""The stored audit trail (option `audit_trail`): reading it, for administrators and for each user.

`Events` writes it: every security event it announces is kept. Reading is paged by time: a page
ends where the next one starts (`before`), so the last page costs what the first does. Entries
older than `audit_retention_days` are never returned, whether or not the store has forgotten them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import BadRequestError
from frappyauth.core.models import AuditEntry

MAX_PAGE = 100
MAX_EVENT_LENGTH = 64


class AuditTrail:
    """The audit trail of one app, read through its audit store."""

    def __init__(self, context: ServiceContext) -> None:
        if context.stores.audit is None:
            raise ValueError("The audit trail needs an audit store.")
        self._context, self._store = context, context.stores.audit
        self._retention = timedelta(days=context.options.audit_retention_days)

    def page(
        self,
        user_id: str | None = None,
        event: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 50,
        since: datetime | None = None,
    ) -> list[AuditEntry]:
        """Entries newest first, of a user and an event type when given, older than `before` (the
        (`at`, `entry_id`) of the last entry of the page before, see `AuditStore.page`) and
        not older than `since` (nor than the retention)."""
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequestError("The limit must be from 1 to {limit}.", limit=MAX_PAGE)
        if event is not None and len(event) > MAX_EVENT_LENGTH:
            raise BadRequestError("There is no such event type.")
        oldest = self._context.clock() - self._retention
        return self._store.page(user_id, event, before, max(oldest, since or oldest), limit)

    def activity(
        self, user_id: str, before: tuple[datetime, str] | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        """The user's own events, for the user: who else acted is named only by role, and from
        where only when it was the user."""
        return [_as_seen_by(user_id, entry) for entry in self.page(user_id, None, before, limit)]


def _as_seen_by(user_id: str, entry: AuditEntry) -> AuditEntry:
    """The entry as its user sees it: another actor, and an impersonating administrator, are named
    only as "administrator", and where they acted from is left out."""
    acted_alone = entry.actor_id in (None, user_id, "cli")
    if acted_alone and entry.impersonator_id is None:
        return entry
    return AuditEntry(
        at=entry.at,
        event=entry.event,
        outcome=entry.outcome,
        user_id=entry.user_id,
        actor_id=entry.actor_id if acted_alone else "administrator",
        remote_addr=None,
        details=entry.details,
        impersonator_id=None if entry.impersonator_id is None else "administrator",
        entry_id=entry.entry_id,
    )
