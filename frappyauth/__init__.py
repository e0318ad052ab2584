"""frappyauth: user management and authentication for Flask, over MongoDB or memory."""
from frappyauth.errors import (AuthenticationError, BadRequestError, DuplicateUsernameError, FrappyAuthError,
                               PermissionDeniedError, StoreUnavailableError)
from frappyauth.extension import (check_login_state, current_user, initial_user_check, login_required,
                                  register_endpoints)
from frappyauth.models import FailedLogins, Session, User, username_key
from frappyauth.protocols import TokenStore, UserStore

__all__ = [
    "AuthenticationError", "BadRequestError", "DuplicateUsernameError", "FailedLogins", "FrappyAuthError",
    "PermissionDeniedError", "Session", "StoreUnavailableError", "TokenStore", "User", "UserStore",
    "check_login_state", "current_user", "initial_user_check", "login_required", "register_endpoints",
    "username_key",
]
