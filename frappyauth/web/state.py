"""The per-app state kept in `app.extensions["frappyauth"]`, and finding it from a request."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, has_app_context

from frappyauth.core.accounts import Accounts
from frappyauth.core.api_keys import ApiKeys
from frappyauth.core.authentication import Authenticator
from frappyauth.core.runtime import Runtime

if TYPE_CHECKING:  # imported only with a mail flow on: it needs the `[mail]` extra
    from frappyauth.core.mail_flows import MailFlows
    from frappyauth.core.mfa import Mfa  # needs the `mfa` extra; present only with a second factor on
    from frappyauth.core.passkeys import Passkeys

EXTENSION_KEY = "frappyauth"
OUTSIDE_CONTEXT = ("frappyauth was used outside a request or app context: call check_login_state() and current_user "
                   "inside a request, or wrap the code in `with app.app_context():`.")
NOT_SET_UP = ("frappyauth is not set up on this app: call frappyauth.register_endpoints(app, ...) "
              "(or FrappyAuth(app, ...)) first.")


@dataclass(frozen=True)
class AuthState:
    runtime: Runtime
    authenticator: Authenticator
    accounts: Accounts
    api_keys: ApiKeys
    mail: MailFlows | None = None  # with any mail flow on
    mfa: Mfa | None = None
    passkeys: Passkeys | None = None


def current_state() -> AuthState:
    """This app's state; `RuntimeError` outside an app context or on an app without frappyauth."""
    if not has_app_context():
        raise RuntimeError(OUTSIDE_CONTEXT)
    state = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(NOT_SET_UP)
    return state
