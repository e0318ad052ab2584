"""Changing a username: an administrator's rename of any user, and with option
`allow_username_change` a user's own (after their password).

A new name passes the rules of a new account's (`usernames.check_username`, the lookalike keys the
store enforces). The old name stays reserved for its user for `username_reservation_days`, under
all of its keys (`usernames.name_keys`): nobody else can take it, or a lookalike of it, at once and
pose as the renamed user to those who knew them by it. Sessions, API keys and second factors name
the user by id, so all keep working.
"""

from __future__ import annotations

from datetime import timedelta

from frappyauth.core import signals
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import PermissionDeniedError, UserNotFoundError
from frappyauth.core.models import Actor, Identity, User
from frappyauth.core.throttle import Throttle
from frappyauth.core.usernames import check_username


class UsernameChange:
    """Renames for one app."""

    def __init__(self, context: ServiceContext, throttle: Throttle) -> None:
        self._context, self._throttle = context, throttle

    def rename(self, user_id: str, username: str, actor: Actor) -> User:
        """An administrator's rename; `UserNotFoundError`, 400 for a name that may not be created,
        `DuplicateUsernameError` for a taken, lookalike or reserved one."""
        check_username(username)
        user = self._context.stores.users.get(user_id)
        if user is None:
            raise UserNotFoundError()
        return self._rename(user, username, actor)

    def rename_own(self, identity: Identity, password: str, username: str, actor: Actor) -> User:
        """The caller's own rename, after their password; a wrong one is 403 and counts in the
        login throttle, as a wrong old password does (a stolen session must not guess it). Renames
        are counted per account as the mail flows' requests are (`mail_rate_limit` in a window):
        each reserves the old name, and one user must not hoard names by renaming in a loop."""
        if not self._context.options.allow_username_change:
            raise PermissionDeniedError("Usernames can only be changed by an administrator.")
        check_username(username)
        user = self._context.stores.users.get(identity.user.id)
        if user is None:
            raise UserNotFoundError()
        self._throttle.limit_requests("username_change", actor.remote_addr, f"account:{user.id}")
        admission = self._throttle.admit(user.username_key, actor.remote_addr)
        if not self._context.hasher.verify(password, user.password_hash):
            raise PermissionDeniedError("The password is wrong.")
        self._throttle.succeeded(admission)
        return self._rename(user, username, actor)

    def _rename(self, user: User, username: str, actor: Actor) -> User:
        now = self._context.clock()
        until = now + timedelta(days=self._context.options.username_reservation_days)
        renamed = self._context.stores.users.rename(user.id, username, until, now)
        if renamed is None:  # deleted meanwhile
            raise UserNotFoundError()
        self._context.events.announce(
            signals.username_changed,
            user_id=user.id,
            actor=actor,
        )  # no names: the audit trail keeps a deleted user's id only, never a name it had
        return renamed
