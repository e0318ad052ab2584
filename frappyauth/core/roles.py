"""Roles (option `roles`): named sets of permissions that admins manage and users hold by name.

A user's effective permissions are their own and those their roles grant now: a request reads the
roles with the user (one command on MongoDB, see the session and key stores' `get_with_user`), so
a change to a role counts on the next request of every worker, and nothing is cached.

Stores have no transactions. Two rules must survive concurrent admins, and each is checked again
after its write, the write undone if the check fails (as the last-admin rule of `accounts` does):

- no user holds a role that does not exist: a role is deleted only while nobody holds it (or, with
  `force`, taken from everyone after), and a grant that raced a deletion takes itself back;
- an active administrator remains, counted through roles too.

Undoing a write can itself race a third admin's write to the same role (their change may be
overwritten by the undo); the outcome is still one of the changes, whole, and both rules hold.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence

from frappyauth.core import signals
from frappyauth.core.authorization import active_admins
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import (
    BadRequestError,
    LastAdminError,
    RoleInUseError,
    RoleNotFoundError,
    UnknownRoleError,
    UserNotFoundError,
)
from frappyauth.core.models import Actor, Role, User, granted_by
from frappyauth.core.protocols import RoleStore

ROLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")  # safe in a URL path as it is
MAX_ROLES_PER_USER = 100


def check_role_name(name: str) -> None:
    if not isinstance(name, str) or ROLE_NAME.fullmatch(name) is None:
        raise BadRequestError(
            "A role name has 1 to 64 characters: letters, digits and '_', '.', ':' or '-', "
            "starting with a letter or digit."
        )


class Roles:
    """Managing roles and who holds them; `actor` says who asked, for the log and the signals."""

    def __init__(self, context: ServiceContext, store: RoleStore) -> None:
        self._context, self._store = context, store
        self._admin = context.options.user_admin_permission

    def list(self) -> list[Role]:
        return self._store.list()

    def put(self, name: str, permissions: tuple[str, ...], actor: Actor) -> Role:
        """Create the role or replace its permissions; `LastAdminError` (nothing changed) if that
        would leave no active administrator."""
        check_role_name(name)
        role = Role(name, tuple(dict.fromkeys(permissions)))
        replaced = self._store.put(role)
        demotes = replaced is not None and self._admin in replaced.permissions
        if demotes and self._admin not in role.permissions and self._no_admin_left():
            self._store.put(replaced)  # type: ignore[arg-type]
            raise LastAdminError()
        self._context.events.announce(
            signals.role_changed,
            user_id=None,
            actor=actor,
            role=name,
            permissions=list(role.permissions),
        )
        return role

    def delete(self, name: str, force: bool, actor: Actor) -> Role:
        """Delete the role; `RoleInUseError` while users hold it unless `force` (then it is taken
        from them), `LastAdminError` if no active administrator would remain."""
        check_role_name(name)
        if not force and self._holders(name):
            raise RoleInUseError()
        removed = self._store.delete(name)
        if removed is None:
            raise RoleNotFoundError()
        if not force and self._holders(name):  # a grant raced the check: the role stays
            self._store.put(removed)
            raise RoleInUseError()
        if self._admin in removed.permissions and self._no_admin_left():
            self._store.put(removed)
            raise LastAdminError()
        count = self._context.stores.users.remove_role(name) if force else 0
        self._context.events.announce(
            signals.role_deleted, user_id=None, actor=actor, role=name, count=count
        )
        return removed

    def grant(self, user_id: str, names: Sequence[str], actor: Actor) -> User:
        """Replace the roles the user holds with `names`: `UnknownRoleError` for a role that does
        not exist (or was deleted meanwhile), `LastAdminError` if no active administrator would
        remain. Nothing is changed when refused."""
        wanted = tuple(dict.fromkeys(names))
        for name in wanted:
            check_role_name(name)
        if len(wanted) > MAX_ROLES_PER_USER:
            raise BadRequestError("A user holds at most {limit} roles.", limit=MAX_ROLES_PER_USER)
        users = self._context.stores.users
        user = users.get(user_id)
        if user is None:
            raise UserNotFoundError()
        self._require_existing(wanted)
        updated = users.set_roles(user.id, wanted)
        if updated is None:
            raise UserNotFoundError()
        try:
            self._require_existing(wanted)  # a deletion that raced this grant wins
            if self._was_admin_through_roles(user, wanted) and self._no_admin_left():
                raise LastAdminError()
        except (UnknownRoleError, LastAdminError):
            users.set_roles(user.id, user.roles)
            raise
        self._context.events.announce(
            signals.roles_granted, user_id=user.id, actor=actor, roles=list(wanted)
        )
        return updated

    def resolve(self, users: builtins.list[User]) -> builtins.list[User]:
        """The users with the permissions their roles grant now (one read of the roles)."""
        names = {name for user in users for name in user.roles}
        if not names:
            return users
        roles = {role.name: role for role in self._store.get_many(sorted(names))}
        return [
            user.with_role_permissions(granted_by([roles[n] for n in user.roles if n in roles]))
            if user.roles
            else user
            for user in users
        ]

    def _require_existing(self, names: tuple[str, ...]) -> None:
        found = {role.name for role in self._store.get_many(names)} if names else set()
        unknown = [name for name in names if name not in found]
        if unknown:
            raise UnknownRoleError(
                "No role named {names}.", names=", ".join(repr(name) for name in unknown)
            )

    def _was_admin_through_roles(self, user: User, kept: tuple[str, ...]) -> bool:
        dropped = [name for name in user.roles if name not in kept]
        return bool(dropped) and any(
            self._admin in role.permissions for role in self._store.get_many(dropped)
        )

    def _holders(self, name: str) -> int:
        return self._context.stores.users.count_holders(None, (name,), False)

    def _no_admin_left(self) -> bool:
        return active_admins(self._context.stores, self._context.options) == 0
