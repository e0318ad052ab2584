"""Managing accounts: creating, listing, changing and deleting users, and their API keys.

Where two writes are needed and a store may fail between them, the one that takes access away comes
first (revoke sessions, then change the password), so a failure half-way never widens access.
"""
from __future__ import annotations

from typing import Any

from frappyauth import signals
from frappyauth.context import AuthContext, Identity
from frappyauth.errors import (BadRequestError, DuplicateUsernameError, LastAdminError, PermissionDeniedError,
                               UserNotFoundError)
from frappyauth.events import announce
from frappyauth.models import User
from frappyauth.passwords import check_new_password
from frappyauth.tokens import hash_secret, new_secret

MAX_USERNAME_LENGTH = 150


def check_username(username: str) -> None:
    """Printable, without surrounding spaces, at most 150 characters: a name people can read and type."""
    if not username or username != username.strip() or not username.isprintable():
        raise BadRequestError("The username must be printable text without leading or trailing spaces.")
    if len(username) > MAX_USERNAME_LENGTH:
        raise BadRequestError(f"The username must have at most {MAX_USERNAME_LENGTH} characters.")


class Accounts:
    """User management for one app; `actor` is the id of the user asking, for the log."""

    def __init__(self, context: AuthContext) -> None:
        self._context = context

    def create(self, username: str, password: str, permissions: tuple[str, ...] | None = None,
               email: str | None = None, profile: dict[str, Any] | None = None, actor: str | None = None) -> User:
        """Create a user; raise `DuplicateUsernameError` if the username (ignoring case) is taken."""
        options = self._context.options
        check_username(username)
        self._check_password(password)
        user = User(id="", username=username, password_hash=self._context.hasher.hash(password),
                    permissions=options.default_permissions if permissions is None else permissions,
                    profile=profile or {}, email=email)
        created = self._context.users.create(user)
        announce(signals.user_created, user_id=created.id, actor=actor)
        return created

    def create_initial_admin(self, username: str, password: str) -> User | None:
        """Create an admin only when there are no users at all; return it, or `None` if users exist."""
        if self._context.users.count() > 0:
            return None
        try:
            return self.create(username, password, permissions=(self._context.options.user_admin_permission,),
                               actor="(initial admin check)")
        except DuplicateUsernameError:  # another worker seeded it first
            return None

    def page(self, page: int) -> tuple[list[User], int]:
        size = self._context.options.page_size
        return self._context.users.list_page(page * size, size)

    def get(self, user_id: str) -> User:
        user = self._context.users.get(user_id)
        if user is None:
            raise UserNotFoundError()
        return user

    def set_permissions(self, user_id: str, permissions: tuple[str, ...], actor: str) -> User:
        updated = self._set_permissions_keeping_an_admin(self.get(user_id), permissions)
        announce(signals.permissions_changed, user_id=user_id, actor=actor, permissions=list(permissions))
        return updated

    def set_profile(self, user_id: str, profile: dict[str, Any], actor: Identity) -> User:
        if not self._is_admin(actor.user):
            if not self._context.options.allow_own_profile_edit:
                raise PermissionDeniedError("Profiles can only be edited by an administrator.")
            if actor.user.id != user_id:
                raise PermissionDeniedError("You may only edit your own profile.")
        updated = self._found(self._context.users.set_profile(user_id, profile))
        announce(signals.profile_changed, user_id=user_id, actor=actor.user.id)
        return updated

    def reset_password(self, user_id: str, password: str, actor: str) -> User:
        """Set another user's password (admin) and end every session of that user."""
        self._check_password(password)
        self.get(user_id)
        self._context.tokens.delete_for_user(user_id)
        updated = self._found(self._context.users.set_password_hash(user_id, self._context.hasher.hash(password)))
        announce(signals.password_changed, user_id=user_id, actor=actor)
        return updated

    def change_own_password(self, identity: Identity, old_password: str, new_password: str) -> User:
        """Change the caller's password after checking the old one; end the caller's other sessions."""
        self._check_password(new_password)
        user = self.get(identity.user.id)
        if not self._context.hasher.verify(old_password, user.password_hash):
            raise PermissionDeniedError("The old password is wrong.")
        keep = identity.session.token_hash if identity.session else None
        self._context.tokens.delete_for_user(user.id, keep_token_hash=keep)
        updated = self._found(self._context.users.set_password_hash(user.id, self._context.hasher.hash(new_password)))
        announce(signals.password_changed, user_id=user.id, actor=user.id)
        return updated

    def delete(self, user_id: str, actor: str) -> None:
        """Delete a user with its API key, then end its sessions (a session without a user is refused).

        An administrator is first demoted, with the last-admin guard, so that two admins deleting each other
        at once cannot both succeed. Should the store fail between the two writes, the user stays, demoted:
        less access, never more.
        """
        user = self.get(user_id)
        admin = self._context.options.user_admin_permission
        if admin in user.permissions:
            self._set_permissions_keeping_an_admin(user, tuple(p for p in user.permissions if p != admin))
        if not self._context.users.delete(user_id):
            raise UserNotFoundError()
        self._context.tokens.delete_for_user(user_id)
        announce(signals.user_deleted, user_id=user_id, actor=actor)

    def create_api_key(self, user: User) -> tuple[User, str]:
        """Give the user a new API key, replacing any old one; the key itself is never stored."""
        api_key = new_secret()
        updated = self._found(self._context.users.set_api_key_hash(user.id, hash_secret(api_key)))
        announce(signals.api_key_created, user_id=user.id, actor=user.id)
        return updated, api_key

    def revoke_api_key(self, user: User) -> User:
        updated = self._found(self._context.users.set_api_key_hash(user.id, None))
        announce(signals.api_key_revoked, user_id=user.id, actor=user.id)
        return updated

    def _is_admin(self, user: User) -> bool:
        return user.has_permissions(self._context.options.user_admin_permission)

    def _set_permissions_keeping_an_admin(self, user: User, permissions: tuple[str, ...]) -> User:
        """Set the permissions, refusing with `LastAdminError` to leave no administrator.

        Stores have no transactions, so a check before the write cannot see a concurrent demotion of the
        other admin. So the count is checked again after the write, and the write undone if it left none:
        two admins demoting each other at once end with at least one of them still an admin.
        """
        admin = self._context.options.user_admin_permission
        demotes = admin in user.permissions and admin not in permissions
        if demotes and self._context.users.count(admin) <= 1:
            raise LastAdminError()
        updated = self._found(self._context.users.set_permissions(user.id, permissions))
        if demotes and self._context.users.count(admin) == 0:
            self._context.users.set_permissions(user.id, user.permissions)
            raise LastAdminError()
        return updated

    def _check_password(self, password: str) -> None:
        options = self._context.options
        check_new_password(password, options.password_min_length, options.password_max_length)

    @staticmethod
    def _found(user: User | None) -> User:
        if user is None:  # deleted between our read and our write
            raise UserNotFoundError()
        return user
