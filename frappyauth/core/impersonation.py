"""Audited impersonation (option `impersonation`): an administrator acting as a user, for a while.

A holder of the permission `impersonation_permission` (never implied by the admin permission) who
signed in with a second factor less than `RECENT_LOGIN` ago may start a session of another user,
giving a reason. That session is the user's, marked with the administrator's id, and lasts at most
`LIFETIME`. What it may do is decided in one place, the web layer's guard (see
`web.impersonation_views`): only the endpoints declared for it, and every request it makes is
recorded here, with both ids. Ending it ends the session.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from frappyauth.core import signals
from frappyauth.core.authorization import with_roles, check_permissions, is_admin
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import (
    BadRequestError,
    ImpersonationForbiddenError,
    NotImpersonatingError,
    RecentSecondFactorRequiredError,
    UserNotFoundError,
)
from frappyauth.core.models import Actor, Identity, Session, User
from frappyauth.core.sessions import Sessions, proved_second_factor_recently

LIFETIME = timedelta(minutes=30)
MAX_REASON_LENGTH = 500
MAX_PATH_LENGTH = 300  # of a request's path as the audit entry keeps it


class Impersonation:
    """Starting, ending and recording impersonation sessions of one app."""

    def __init__(self, context: ServiceContext, sessions: Sessions) -> None:
        self._context, self._sessions = context, sessions

    def start(
        self,
        identity: Identity,
        target_id: str,
        reason: str,
        remote_addr: str | None,
    ) -> tuple[User, Session, str]:
        """Start a session of user `target_id` for the calling administrator; return the user, the
        session and its token (shown once).

        Refused (403) from an impersonation session, without the permission, without a sign-in
        with a second factor within `RECENT_LOGIN`, for oneself, and for an administrator; 404
        for an unknown user; 400 for an empty or long `reason`.
        """
        session = identity.session
        if session is None or session.impersonator_id is not None:
            raise ImpersonationForbiddenError("An impersonation session cannot impersonate.")
        options, now = self._context.options, self._context.clock()
        check_permissions(identity, [options.impersonation_permission])
        if not proved_second_factor_recently(session, now):
            raise RecentSecondFactorRequiredError()
        reason = _checked_reason(reason)
        stores = self._context.stores
        target = stores.users.get(target_id)
        if target is None:
            raise UserNotFoundError()
        target = with_roles(target, stores, options)  # an administrator through a role is one
        if target.id == identity.user.id or is_admin(target, options):
            raise ImpersonationForbiddenError(
                "Administrators (yourself included) cannot be impersonated."
            )
        if target.suspended_at is not None:  # its sessions are refused anyway: none to hand out
            raise ImpersonationForbiddenError("A suspended account cannot be impersonated.")
        # Without the administrator's browser and address: the user lists the session (and may
        # end it) but learns only that it is an impersonation; the audit trail keeps where from.
        lifetime = min(LIFETIME, timedelta(seconds=options.token_expiration))
        started, token = self._sessions.start(
            target, None, None, impersonator_id=identity.user.id, lifetime=lifetime
        )
        self._context.events.announce(
            signals.impersonation_started,
            user_id=target.id,
            actor=Actor(identity.user.id, remote_addr, identity.user.id),
            session_id=started.session_id,
            recorded={"reason": reason, "expiresAt": started.expires_at.isoformat()},
        )
        return target, started, token

    def end(self, identity: Identity, remote_addr: str | None) -> None:
        """End the calling impersonation session; 409 `not_impersonating` for any other."""
        session = identity.session
        if session is None or session.impersonator_id is None:
            raise NotImpersonatingError()
        self._context.stores.sessions.delete(session.token_hash)
        self._context.events.announce(
            signals.impersonation_ended,
            user_id=identity.user.id,
            actor=Actor(session.impersonator_id, remote_addr, session.impersonator_id),
            session_id=session.session_id,
        )

    def admit(
        self,
        identity: Identity,
        allowed: bool,
        method: str,
        path: str,
        remote_addr: str | None,
    ) -> None:
        """Record one request of an impersonation session in the audit trail, with both ids, and
        refuse it (403 `impersonation_forbidden`) unless its endpoint is open to impersonation
        (`allowed`) and its user is still no administrator."""
        session = identity.session
        assert session is not None and session.impersonator_id is not None
        admitted = (
            allowed
            and not is_admin(identity.user, self._context.options)
            and self._impersonator_may_still(session.impersonator_id)
        )
        self._context.events.announce(
            signals.impersonated_request,
            user_id=identity.user.id,
            actor=Actor(identity.user.id, remote_addr, session.impersonator_id),
            level=logging.INFO if admitted else logging.WARNING,
            method=method,
            path=path[:MAX_PATH_LENGTH],
        )
        if not admitted:
            raise ImpersonationForbiddenError()

    def _impersonator_may_still(self, impersonator_id: str) -> bool:
        """Whether the administrator behind the session still exists, is not suspended and holds
        the permission (one more read, on impersonation requests only): a removed permission, a
        suspension or a deletion ends their running impersonations at once."""
        context = self._context
        impersonator = context.stores.users.get(impersonator_id)
        if impersonator is None or impersonator.suspended_at is not None:
            return False
        held = with_roles(impersonator, context.stores, context.options)
        return held.has_permissions(context.options.impersonation_permission)


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_LENGTH or not reason.isprintable():
        raise BadRequestError(
            "The reason must be printable text of 1 to {limit} characters.",
            limit=MAX_REASON_LENGTH,
        )
    return reason
