"""frappyauth: user management and authentication for Flask, over MongoDB or memory."""

from frappyauth.core import signals
from frappyauth.core.errors import (
    AuthenticationError,
    BadRequestError,
    DuplicateUsernameError,
    FrappyAuthError,
    PermissionDeniedError,
    StoreUnavailableError,
)
from frappyauth.core.models import AttemptCounter, Session, User, username_key
from frappyauth.core.protocols import SessionStore, UserStore
from frappyauth.web.extension import (
    FrappyAuth,
    check_login_state,
    current_user,
    initial_user_check,
    login_required,
    register_endpoints,
)

__all__ = [
    "AttemptCounter",
    "AuthenticationError",
    "BadRequestError",
    "DuplicateUsernameError",
    "FrappyAuth",
    "FrappyAuthError",
    "PermissionDeniedError",
    "Session",
    "SessionStore",
    "StoreUnavailableError",
    "User",
    "UserStore",
    "check_login_state",
    "current_user",
    "initial_user_check",
    "login_required",
    "register_endpoints",
    "signals",
    "username_key",
]
