"""Everything stored about a user, for the user (`GET /me/export`, GDPR articles 15 and 20).

Records only, as the stores keep them, minus what is secret: the web layer writes them as JSON with
the same writers as every other answer (metadata of sessions and keys, never a token, key, hash or
sealed secret). Left out, since they are secrets or hashes of secrets and nothing else: the password
hash, the tokens of pending mailed links (they expire within hours) and the throttle's counters
(minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from frappyauth.core.audit import MAX_PAGE, AuditTrail
from frappyauth.core.context import ServiceContext
from frappyauth.core.device_models import SeenDevice
from frappyauth.core.mfa_models import Passkey, TotpEnrolment
from frappyauth.core.models import ApiKey, AuditEntry, Session, User


@dataclass(frozen=True)
class PersonalData:
    """What is stored about one user. `activity` is `None` without the audit trail; `totp` is
    `None` for no enrolment."""

    user: User
    exported_at: datetime
    sessions: list[Session]
    api_keys: list[ApiKey]
    totp: TotpEnrolment | None
    passkeys: list[Passkey]
    identities: list[Any]  # `LinkedIdentity` records, where provider sign-in keeps them
    devices: list[SeenDevice]
    activity: list[AuditEntry] | None


class DataExport:
    """Gathers a user's data from every store of one app that holds some."""

    def __init__(self, context: ServiceContext, audit: AuditTrail | None = None) -> None:
        self._context, self._audit = context, audit

    def of(self, user: User) -> PersonalData:
        stores, now = self._context.stores, self._context.clock()
        identities = getattr(stores, "identities", None)  # provider sign-in's store, if any
        return PersonalData(
            user=user,
            exported_at=now,
            sessions=stores.sessions.list_for_user(user.id, now),
            api_keys=stores.api_keys.list_for_user(user.id, now),
            totp=stores.mfa.get_totp(user.id) if stores.mfa is not None else None,
            passkeys=stores.mfa.list_passkeys(user.id) if stores.mfa is not None else [],
            identities=identities.list_for_user(user.id) if identities is not None else [],
            devices=stores.devices.list_for_user(user.id) if stores.devices is not None else [],
            activity=self._activity(user.id) if self._audit is not None else None,
        )

    def _activity(self, user_id: str) -> list[AuditEntry]:
        """Every own event the trail still keeps, as the user sees them (`AuditTrail.activity`:
        other actors by role only), page by page."""
        assert self._audit is not None
        entries: list[AuditEntry] = []
        while True:
            before = (entries[-1].at, entries[-1].entry_id) if entries else None
            page = self._audit.activity(user_id, before, MAX_PAGE)
            entries.extend(page)
            if len(page) < MAX_PAGE:
                return entries
