"""Who may do what: permission checks, the administrator rule and the API-key rule, in one place."""
from __future__ import annotations

from collections.abc import Sequence

from frappyauth.core.errors import PermissionDeniedError
from frappyauth.core.models import Identity, User
from frappyauth.core.options import Options


def is_admin(user: User, options: Options) -> bool:
    return user.has_permissions(options.user_admin_permission)


def check_api_key_allowed(via_api_key: bool, allow_api_key: bool) -> None:
    """Refuse an API key where only a session may act (an admin route, a password change, ...)."""
    if via_api_key and not allow_api_key:
        raise PermissionDeniedError("API keys are not accepted here.")


def check_permissions(identity: Identity, required: Sequence[str]) -> None:
    """Raise `PermissionDeniedError` naming what is missing unless the identity holds all of `required`."""
    missing = [permission for permission in required if permission not in identity.user.permissions]
    if missing:
        raise PermissionDeniedError(f"This needs the permission{'s' if len(missing) > 1 else ''} "
                                    f"{', '.join(repr(p) for p in missing)}.")
