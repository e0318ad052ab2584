"""Deleting one's own account (option `allow_self_delete`, GDPR article 17).

The deletion is the administrator's (`Accounts.delete`): the same effect (`erasure`), and the same
last-administrator rule (409). What the owner must show first: the password, and where a second
factor is enrolled also a code of it, or a sign-in of the last minutes (the second factor was
given then: the rule passkey changes follow, `sessions.RECENT_LOGIN`). A stolen older session,
without the password, deletes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from frappyauth.core.accounts import Accounts
from frappyauth.core.authorization import refuse_api_key
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import (
    MfaNotEnabledError,
    PermissionDeniedError,
    SecondFactorRequiredError,
)
from frappyauth.core.models import Actor, Identity, User
from frappyauth.core.passwords import check_length_cap
from frappyauth.core.second_factors import SecondFactors
from frappyauth.core.sessions import proved_second_factor_recently
from frappyauth.core.throttle import Throttle

if TYPE_CHECKING:  # the factor of the `mfa` extra, present only with its option on
    from frappyauth.core.totp import Totp


class AccountDeletion:
    """Users deleting their own accounts, for one app."""

    def __init__(
        self,
        context: ServiceContext,
        throttle: Throttle,
        accounts: Accounts,
        second_factors: SecondFactors | None = None,
        totp: Totp | None = None,
    ) -> None:
        self._context, self._throttle, self._accounts = context, throttle, accounts
        self._second_factors, self._totp = second_factors, totp

    def delete_own(
        self,
        identity: Identity,
        password: str,
        code: str | None,
        recovery_code: str | None,
        actor: Actor,
    ) -> User:
        """Delete the caller's account; return the deleted user.

        Raises `PermissionDeniedError` for an API key or a wrong password (counted by the login
        throttle, 429 above its limit), `SecondFactorRequiredError` for an account with a second
        factor without a code or a recent sign-in, `WrongMfaCodeError` for a wrong code, and
        `LastAdminError` (409) for the last administrator.
        """
        if identity.session is None:
            refuse_api_key()
        check_length_cap(password, self._context.options.password_max_length)
        user = self._accounts.get(identity.user.id)
        if code is not None or recovery_code is not None:
            if self._totp is None:
                raise MfaNotEnabledError()
            self._totp.check_password_and_code(user, password, code, recovery_code, actor)
        else:
            self._check_password(user, password, actor)
            # The recent sign-in stands for a code only if it proved a second factor itself (a
            # trusted device skips it: the password alone would then delete the account).
            recent = proved_second_factor_recently(identity.session, self._context.clock())
            if self._has_second_factor(user) and not recent:
                raise SecondFactorRequiredError()
        return self._accounts.delete(user.id, actor)

    def _check_password(self, user: User, password: str, actor: Actor) -> None:
        """Counted before it is checked, like a login's: a stolen session cannot guess freely."""
        admission = self._throttle.admit(user.username_key, actor.remote_addr)
        if not self._context.hasher.verify(password, user.password_hash):
            raise PermissionDeniedError("The password is wrong.")
        self._throttle.succeeded(admission)

    def _has_second_factor(self, user: User) -> bool:
        return self._second_factors is not None and bool(self._second_factors.methods(user.id))
