"""Managing accounts: creating, listing, changing and deleting users.

A user id from a request is only used to look the user up: a store may accept it in another form
(MongoDB takes upper-case hex), so every write, session deletion and signal after the lookup uses
the stored id.

Where two writes are needed and a store may fail between them, the one that takes access away comes
first, so a failure half-way never widens access. A password change takes access away in its one
write: the new hash and a new credential version together, which voids every session made under the
old one.
"""

from __future__ import annotations

from typing import Any

from frappyauth.core import signals
from frappyauth.core.api_keys import ApiKeys
from frappyauth.core.authorization import active_admins, is_admin
from frappyauth.core.errors import (
    DuplicateUsernameError,
    LastAdminError,
    PasswordChangedMeanwhileError,
    PermissionDeniedError,
    UserNotFoundError,
)
from frappyauth.core.erasure import erase_user_data
from frappyauth.core.minting import new_credential_version
from frappyauth.core.models import Actor, Identity, User
from frappyauth.core.usernames import (
    capped_username_key,
    check_email_length,
    check_username,
    name_keys,
)
from frappyauth.core.password_rules import PasswordRules
from frappyauth.core.passwords import NO_PASSWORD
from frappyauth.core.context import ServiceContext
from frappyauth.core.throttle import Throttle


class Accounts:
    """User management for one app; `actor` says who asked, for the log and the signals."""

    def __init__(
        self,
        context: ServiceContext,
        throttle: Throttle,
        api_keys: ApiKeys,
        password_rules: PasswordRules | None = None,
    ) -> None:
        self._context, self._throttle, self._api_keys = context, throttle, api_keys
        self._password_rules = password_rules or PasswordRules(context.options)

    def create(
        self,
        username: str,
        password: str | None,
        permissions: tuple[str, ...] | None = None,
        email: str | None = None,
        profile: dict[str, Any] | None = None,
        actor: Actor | None = None,
        email_key: str | None = None,
        email_verified: bool = False,
        password_checked: bool = False,
    ) -> User:
        """Create a user; raise `DuplicateUsernameError` if the username (ignoring case) is taken,
        or looks like one that is (see `lookalikes.lookalike_keys`), and `DuplicateEmailError` if
        `email_key` (given by
        the mail flows) is. Without a `password` (an account made through an identity provider)
        it has none: `NO_PASSWORD` matches no password. `password_checked`: the caller ran
        `check_new_password` already (once is enough: the online breach check costs a request)."""
        options = self._context.options
        check_username(username)
        if email is not None:  # kept as given without the mail flows (frappyflaskauth), but capped
            check_email_length(email)
        if password is not None and not password_checked:
            self.check_new_password(password)
        user = User(
            id="",
            username=username,
            password_hash=NO_PASSWORD if password is None else self._context.hasher.hash(password),
            permissions=options.default_permissions if permissions is None else permissions,
            profile=profile or {},
            email=email,
            email_key=email_key,
            email_verified=email_verified,
            created_at=self._context.clock() if options.login_history else None,
        )
        created = self._create_unreserved(user)
        self._context.events.announce(signals.user_created, user_id=created.id, actor=actor)
        return created

    def _create_unreserved(self, user: User) -> User:
        """Create the user unless another holds a reservation of its name (see `username_change`).

        Checked before and again after the write: a user renamed away from this name between the
        first check and the write reserved it, and the new account then gives way.
        """
        users, keys, now = (
            self._context.stores.users,
            name_keys(user.username),
            self._context.clock(),
        )
        if users.get_by_reserved_name(keys, now) is not None:
            raise DuplicateUsernameError()
        created = users.create(user)
        holder = users.get_by_reserved_name(keys, now)
        if holder is not None and holder.id != created.id:
            users.delete(created.id)
            raise DuplicateUsernameError()
        return created

    def create_initial_admin(self, username: str, password: str) -> User | None:
        """Create an admin only when there are no users at all; return it, or `None` if users
        exist."""
        if self._context.stores.users.count() > 0:
            return None
        try:
            return self.create(
                username,
                password,
                permissions=(self._context.options.user_admin_permission,),
                actor=Actor("(initial admin check)"),
            )
        except DuplicateUsernameError:  # another worker seeded it first
            return None

    def page(self, page: int) -> tuple[list[User], int]:
        size = self._context.options.page_size
        return self._context.stores.users.list_page(page * size, size)

    def search(self, prefix: str, page: int) -> tuple[list[User], int]:
        """A page of the users whose name starts with `prefix` in any case or Unicode form, ordered
        by name, and how many match; 400 for a prefix longer than any username."""
        size = self._context.options.page_size
        return self._context.stores.users.list_by_username_prefix(
            capped_username_key(prefix), page * size, size
        )

    def get(self, user_id: str) -> User:
        user = self._context.stores.users.get(user_id)
        if user is None:
            raise UserNotFoundError()
        return user

    def get_by_username(self, username: str) -> User:
        """The user with this name, in any case or Unicode form; `UserNotFoundError` if there is
        none."""
        user = self._context.stores.users.get_by_username(capped_username_key(username))
        if user is None:
            raise UserNotFoundError("There is no user {username!r}.", username=username)
        return user

    def set_permissions(self, user_id: str, permissions: tuple[str, ...], actor: Actor) -> User:
        user = self.get(user_id)
        updated = self._set_permissions_keeping_an_admin(user, permissions)
        self._context.events.announce(
            signals.permissions_changed, user_id=user.id, actor=actor, permissions=list(permissions)
        )
        return updated

    def set_profile(
        self, user_id: str, profile: dict[str, Any], editor: Identity, actor: Actor
    ) -> User:
        """Replace a profile: an administrator's edit, or the user's own with
        `allow_own_profile_edit`."""
        if is_admin(editor.user, self._context.options):
            user = self.get(user_id)
        else:
            if not self._context.options.allow_own_profile_edit:
                raise PermissionDeniedError("Profiles can only be edited by an administrator.")
            found = self._context.stores.users.get(
                user_id
            )  # the same answer for a missing user: no enumeration
            if found is None or found.id != editor.user.id:
                raise PermissionDeniedError("You may only edit your own profile.")
            user = found
        updated = self._found(self._context.stores.users.set_profile(user.id, profile))
        self._context.events.announce(signals.profile_changed, user_id=user.id, actor=actor)
        return updated

    def reset_password(
        self, user_id: str, password: str, actor: Actor, password_checked: bool = False
    ) -> User:
        """Set another user's password (admin: account recovery): every session, API key and trusted
        device of the user ends, with `passwordless` every passkey too (each logs in alone), and the
        throttle's counters are cleared. `password_checked` as for `create`."""
        if not password_checked:
            self.check_new_password(password)
        user = self.get(user_id)
        self._revoke_all_keys(
            user.id, actor
        )  # first, so that a failing write leaves less access, not more
        updated = self._write_password(user, password)
        # Again: a session the write has just voided could still create keys while the new hash was
        # computed.
        self._revoke_all_keys(user.id, actor)
        if self._context.options.passwordless and self._context.stores.mfa is not None:
            self._context.stores.mfa.delete_passkeys(
                user.id
            )  # passkeys alone log in: they are credentials to end too
        self._context.stores.sessions.delete_for_user(
            user.id
        )  # tidying: the new credential version voided them
        if self._context.stores.trusted_devices is not None:  # recovery: no browser skips MFA
            self._context.stores.trusted_devices.delete_for_user(user.id)
        self._throttle.unlock(user.username_key)
        self._context.events.announce(signals.password_changed, user_id=user.id, actor=actor)
        return updated

    def change_own_password(
        self, identity: Identity, old_password: str, new_password: str, actor: Actor
    ) -> User:
        """Change the caller's password after checking the old one; end the caller's other sessions.

        A wrong old password counts in the login throttle (a stolen session must not guess it
        freely).
        """
        self.check_new_password(new_password)
        user = self.get(identity.user.id)
        admission = self._throttle.admit(user.username_key, actor.remote_addr)
        if not self._context.hasher.verify(old_password, user.password_hash):
            raise PermissionDeniedError("The old password is wrong.")
        self._throttle.succeeded(admission)
        updated = self._write_password(user, new_password, expected_hash=user.password_hash)
        keep = identity.session.token_hash if identity.session else None
        if (
            keep is not None
        ):  # the caller's own session follows the new version; every other one is void
            self._context.stores.sessions.set_credential_version(keep, updated.credential_version)
        self._context.stores.sessions.delete_for_user(user.id, keep_token_hash=keep)
        self._context.events.announce(signals.password_changed, user_id=user.id, actor=actor)
        return updated

    def unlock(self, user_id: str, actor: Actor) -> User:
        """Clear the login throttle's counters for the user's account, from every address."""
        user = self.get(user_id)
        self._throttle.unlock(user.username_key)
        self._context.events.announce(signals.user_unlocked, user_id=user.id, actor=actor)
        return user

    def delete(self, user_id: str, actor: Actor) -> User:
        """Delete a user with its legacy API key, then erase everything else stored about it (see
        `erasure.erase_user_data`; refused without a user anyway). The one deletion: an
        administrator's, and the user's own (`AccountDeletion`).

        An administrator is first demoted, with the last-admin guard, so that two admins deleting
        each other at once cannot both succeed. Should the store fail between the two writes, the
        user stays, demoted: less access, never more. Returns the deleted user.
        """
        user = self.get(user_id)
        admin = self._context.options.user_admin_permission
        if admin in user.permissions:
            self._set_permissions_keeping_an_admin(
                user, tuple(p for p in user.permissions if p != admin)
            )
        if user.roles:  # an admin through a role is demoted too, with the same guard
            self._take_roles_keeping_an_admin(user)
        if not self._context.stores.users.delete(user.id):
            raise UserNotFoundError()
        erase_user_data(self._context.stores, user, self._context.clock())
        self._context.events.announce(signals.user_deleted, user_id=user.id, actor=actor)
        return user

    def _revoke_all_keys(self, user_id: str, actor: Actor) -> int:
        """Revoke every API key of the user (recovery: a thief's keys must not outlive the
        reset)."""
        return self._api_keys.revoke_all(user_id, actor)

    def _set_permissions_keeping_an_admin(self, user: User, permissions: tuple[str, ...]) -> User:
        """Set the permissions, refusing with `LastAdminError` to leave no administrator.

        Stores have no transactions, so a check before the write cannot see a concurrent demotion of
        the other admin. So the count is checked again after the write, and the write undone if it
        left none: two admins demoting each other at once end with at least one of them still an
        admin. Admins are counted through roles too, and only those not suspended.
        """
        admin = self._context.options.user_admin_permission
        demotes = admin in user.permissions and admin not in permissions
        # Refused before writing when the count alone decides: not for a holder of roles (one may
        # keep them an admin) nor, for a suspended user, counted among the active ones.
        if demotes and not user.roles and self._admins() <= (1 if user.suspended_at is None else 0):
            raise LastAdminError()
        updated = self._found(self._context.stores.users.set_permissions(user.id, permissions))
        if demotes and self._admins() == 0:
            self._context.stores.users.set_permissions(user.id, user.permissions)
            raise LastAdminError()
        return updated

    def _take_roles_keeping_an_admin(self, user: User) -> None:
        users = self._context.stores.users
        self._found(users.set_roles(user.id, ()))
        if self._admins() == 0:
            users.set_roles(user.id, user.roles)
            raise LastAdminError()

    def _admins(self) -> int:
        return active_admins(self._context.stores, self._context.options)

    def _write_password(self, user: User, password: str, expected_hash: str | None = None) -> User:
        """Hash first (the slow part changes nothing), then the hash and a new version in one write.

        With `expected_hash` (a change by someone who proved the old password) the write happens
        only if no other change wrote since: an admin's reset during an attacker's own change must
        win.
        """
        password_hash = self._context.hasher.hash(password)
        # Only with `login_history`: a store of the seed's time takes four arguments.
        changed = (
            {"changed_at": self._context.clock()} if self._context.options.login_history else {}
        )
        updated = self._context.stores.users.set_password_hash(
            user.id, password_hash, new_credential_version(), expected_hash, **changed
        )
        if (
            updated is None
            and expected_hash is not None
            and self._context.stores.users.get(user.id) is not None
        ):
            raise PasswordChangedMeanwhileError()
        return self._found(updated)

    def check_new_password(self, password: object) -> str:
        """The one check of every new password (see `password_rules`); return it, or raise."""
        return self._password_rules.check(password)

    @staticmethod
    def _found(user: User | None) -> User:
        if user is None:  # deleted between our read and our write
            raise UserNotFoundError()
        return user
