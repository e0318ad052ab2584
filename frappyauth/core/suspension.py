"""Suspension (option `suspension`): an admin stops an account without deleting anything.

While a user is suspended every session of theirs is refused and has been ended, every API key is
refused (and kept, to work again after), and every sign-in (password, passkey, identity) ends in
`SignIn.finish`, which answers a right factor with 403 `account_suspended`; a wrong one gets the
same 401 as anyone's. The flag is on the user record, which every authenticated request reads with
its session or key (one command on MongoDB): so a login racing the suspension, whose session was
created after the suspension ended the user's sessions, is refused all the same.
"""

from __future__ import annotations

from frappyauth.core import signals
from frappyauth.core.authorization import active_admins
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import BadRequestError, LastAdminError, UserNotFoundError
from frappyauth.core.models import Actor, User

MAX_REASON_LENGTH = 500


class Suspension:
    """Suspending and reinstating users."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context

    def suspend(self, user_id: str, reason: str | None, actor: Actor) -> User:
        """Suspend the user (again: nothing changes) and end their sessions; `LastAdminError`
        (nothing changed) for the last active administrator."""
        if reason is not None and (len(reason) > MAX_REASON_LENGTH or not reason.isprintable()):
            raise BadRequestError(
                "The reason must be printable text of at most {limit} characters.",
                limit=MAX_REASON_LENGTH,
            )
        stores = self._context.stores
        user = self._get(user_id)
        if user.suspended_at is not None:
            return user
        updated = self._found(stores.users.set_suspended(user.id, self._context.clock()))
        # After the write, as `accounts` checks a demotion: two admins suspending each other at
        # once cannot both succeed.
        if active_admins(stores, self._context.options) == 0:
            stores.users.set_suspended(user.id, None)
            raise LastAdminError("The last active administrator cannot be suspended.")
        stores.sessions.delete_for_user(user.id)
        self._context.events.announce(
            signals.user_suspended, user_id=user.id, actor=actor, reason=reason
        )
        return updated

    def unsuspend(self, user_id: str, actor: Actor) -> User:
        """Reinstate the user: their keys, passkeys and password work again. Their sessions are
        ended again first: one a login racing the suspension created after its sweep was refused
        while it lasted, and must not come back with the user."""
        user = self._get(user_id)
        if user.suspended_at is None:
            return user
        self._context.stores.sessions.delete_for_user(user.id)
        updated = self._found(self._context.stores.users.set_suspended(user.id, None))
        self._context.events.announce(signals.user_unsuspended, user_id=user.id, actor=actor)
        return updated

    def _get(self, user_id: str) -> User:
        return self._found(self._context.stores.users.get(user_id))

    @staticmethod
    def _found(user: User | None) -> User:
        if user is None:
            raise UserNotFoundError()
        return user
