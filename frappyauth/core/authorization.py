"""Who may do what: permission checks, the administrator rule and the API-key rule, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from frappyauth.core.errors import (
    AccountSuspendedError,
    EmailNotVerifiedError,
    PermissionDeniedError,
)
from frappyauth.core.models import Identity, User
from frappyauth.core.options import Options
from frappyauth.core.protocols import Stores, resolve_roles


def with_roles(user: User, stores: Stores, options: Options) -> User:
    """`user` as a store read it by name or id (without its roles joined, as a request's user has
    them), with the permissions its roles grant: what every rule about held permissions reads."""
    return resolve_roles(user, stores.roles if options.roles else None) or user


def is_admin(user: User, options: Options) -> bool:
    return user.has_permissions(options.user_admin_permission)


def active_admins(stores: Stores, options: Options) -> int:
    """How many users not suspended hold the admin permission, directly or through a role: the
    count the last-admin rule keeps above zero. Read now, from the stores (two commands with
    roles: the roles that grant it, then the count)."""
    admin = options.user_admin_permission
    granting: list[str] = []
    if options.roles and stores.roles is not None:
        granting = [role.name for role in stores.roles.list() if admin in role.permissions]
    return stores.users.count_holders(admin, granting, True)


def refuse_api_key() -> NoReturn:
    """Refuse an API key where only a session may act (an admin route, a password change, ...)."""
    raise PermissionDeniedError("API keys are not accepted here.")


def check_permissions(identity: Identity, required: Sequence[str]) -> None:
    """Raise `PermissionDeniedError` naming what is missing unless the identity holds all of
    `required`.

    The user's effective permissions count: their own and those their roles grant. For an API key,
    `identity.user.permissions` are the key's effective rights already; the message says whether
    the key's scopes or the owner's permissions lack what is missing.
    """
    user = identity.user
    missing = [permission for permission in required if not user.has_permissions(permission)]
    if not missing:
        return
    scopes = identity.api_key.scopes if identity.api_key is not None else None
    unscoped = [p for p in missing if scopes is not None and p not in scopes]
    if unscoped:
        raise PermissionDeniedError(
            "This API key's scopes do not include {names}.", names=_names(unscoped)
        )
    if len(missing) == 1:
        raise PermissionDeniedError("This needs the permission {names}.", names=_names(missing))
    raise PermissionDeniedError("This needs the permissions {names}.", names=_names(missing))


def _names(permissions: Sequence[str]) -> str:
    return ", ".join(repr(p) for p in permissions)


def check_email_verified(user: User, options: Options) -> None:
    """With `email_verification="required"`, refuse a user whose address (set by the mail flows) is
    not verified yet. Checked only after the password was found right, so it tells a guesser
    nothing."""
    if (
        options.email_verification == "required"
        and user.email_key is not None
        and not user.email_verified
    ):
        raise EmailNotVerifiedError()


def check_not_suspended(user: User) -> None:
    """Refuse a suspended user (403 `account_suspended`). Checked only after the factor was found
    right: a wrong password gets the same 401 as anyone's."""
    if user.suspended_at is not None:
        raise AccountSuspendedError()
