"""Signing in: each first factor's entry point, and the one finish that every sign-in ends in.

A first factor (a password, a passwordless passkey, and the factors to come) only proves who the
user is. `SignIn.finish` then decides, the same way for every factor: the throttle's counts are
taken back, the address rule holds, a user with a second factor gets a pending sign-in instead of a
session, and the session is started and announced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from frappyauth.core import signals
from frappyauth.core.authorization import check_email_verified, check_not_suspended
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import (
    InvalidCredentialsError,
    InvalidMfaTokenError,
    InvalidSignInCodeError,
)
from frappyauth.core.models import Actor, Session, User
from frappyauth.core.passwords import check_length_cap
from frappyauth.core.second_factors import SecondFactorPending, SecondFactors
from frappyauth.core.sessions import Sessions
from frappyauth.core.throttle import Admission, Throttle
from frappyauth.core.usernames import capped_username_key

if TYPE_CHECKING:  # the services of extras and options, present only with their options on
    from frappyauth.core.email_sign_in import EmailSignIn
    from frappyauth.core.identity_flows import IdentityFlows
    from frappyauth.core.new_devices import NewDeviceAlerts
    from frappyauth.core.passkeys import Passkeys, RelyingParty
    from frappyauth.core.totp import Totp

PASSWORD, PASSKEY, SECOND_STEP = "password", "passkey", "second factor"
IDENTITY_PROVIDER, EMAILED_CODE = "identity provider", "emailed code"


@dataclass(frozen=True)
class SignedIn:
    """A finished sign-in: its user and session, and the session's token (shown once)."""

    user: User
    session: Session
    token: str
    # With option `remember_me`: the client's choice (a persistent cookie, or one for the browser
    # session); `None` without the option, for the seed's cookie.
    remember: bool | None = None


SignInResult = SignedIn | SecondFactorPending


class SignIn:
    """Sign-ins for one app."""

    def __init__(
        self,
        context: ServiceContext,
        throttle: Throttle,
        sessions: Sessions,
        second_factors: SecondFactors | None = None,
        totp: Totp | None = None,
        passkeys: Passkeys | None = None,
        identity_flows: IdentityFlows | None = None,
        new_devices: NewDeviceAlerts | None = None,
        emailed_codes: EmailSignIn | None = None,
    ) -> None:
        self._context, self._throttle, self._sessions = context, throttle, sessions
        self._second_factors, self._totp, self._passkeys = second_factors, totp, passkeys
        self._identity_flows, self._new_devices = identity_flows, new_devices
        self._emailed_codes = emailed_codes

    def with_password(
        self,
        username: str,
        password: str,
        user_agent: str | None,
        remote_addr: str | None,
        device: str | None = None,
        remember: bool | None = None,
    ) -> SignInResult:
        """Sign in with a username and password; raise `InvalidCredentialsError` or
        `TooManyAttemptsError`.

        Input is capped (400) before anything is hashed or counted; the attempt is counted (429
        above a limit) before the password is checked. An unknown username costs one dummy bcrypt
        check and is answered like a wrong password. A legacy or cheaper hash is replaced, only if
        it is still the one verified (a reset that wrote meanwhile wins).
        """
        context = self._context
        key = capped_username_key(username)
        check_length_cap(password, context.options.password_max_length)
        admission = self._throttle.admit(key, remote_addr)
        user = context.stores.users.get_by_username(key)
        # Verify even without a user (against a dummy hash): both answers must take the same time.
        password_is_right = context.hasher.verify(
            password, None if user is None else user.password_hash
        )
        if user is None or not password_is_right:
            context.events.announce(
                signals.login_failed,
                user_id=user.id if user else None,
                actor=Actor(None, remote_addr),
                level=logging.WARNING,
            )
            raise InvalidCredentialsError()
        self.upgrade_hash(user, password)
        return self.finish(
            user, PASSWORD, user_agent, remote_addr, admission, device=device, remember=remember
        )

    def upgrade_hash(self, user: User, password: str) -> None:
        """After a right `password`: replace a legacy MD5 or cheaper bcrypt hash, only if it is
        still the one verified (a compare-and-set: a reset that wrote meanwhile wins)."""
        context = self._context
        if context.hasher.needs_rehash(user.password_hash):
            context.stores.users.upgrade_password_hash(
                user.id, user.password_hash, context.hasher.hash(password)
            )

    def with_second_step(
        self,
        mfa_token: str,
        code: str | None,
        recovery_code: str | None,
        user_agent: str | None,
        remote_addr: str | None,
        remember: bool | None = None,
    ) -> SignedIn:
        """The second step of a pending sign-in, with a TOTP code or a recovery code (see
        `Totp`)."""
        if self._totp is None:
            raise InvalidMfaTokenError()
        user, admission = self._totp.second_step(mfa_token, code, recovery_code, remote_addr)
        return self._finished(
            self.finish(
                user,
                SECOND_STEP,
                user_agent,
                remote_addr,
                admission,
                second_factor_done=True,
                remember=remember,
            )
        )

    def with_passkey(
        self,
        rp: RelyingParty,
        mfa_token: str | None,
        credential: dict[str, Any],
        user_agent: str | None,
        remote_addr: str | None,
        remember: bool | None = None,
    ) -> SignedIn:
        """A passkey: the second step of a pending sign-in, or with `passwordless` the only
        factor."""
        if self._passkeys is None:
            raise InvalidCredentialsError()
        user, admission = self._passkeys.login(rp, mfa_token, credential, remote_addr)
        # A passkey is possession and (passwordless: required) user verification: no second factor
        # owed.
        return self._finished(
            self.finish(
                user,
                PASSKEY,
                user_agent,
                remote_addr,
                admission,
                second_factor_done=True,
                remember=remember,
            )
        )

    def with_identity(
        self, code: str, user_agent: str | None, remote_addr: str | None, device: str | None = None
    ) -> SignInResult:
        """The code an identity provider's callback handed the front end (see `IdentityFlows`):
        the provider proved the user; a second factor may still be owed."""
        if self._identity_flows is None:
            raise InvalidCredentialsError()
        user = self._identity_flows.take_code(code)
        return self.finish(user, IDENTITY_PROVIDER, user_agent, remote_addr, device=device)

    def with_emailed_code(
        self,
        email: str | None,
        code: str | None,
        token: str | None,
        user_agent: str | None,
        remote_addr: str | None,
        device: str | None = None,
    ) -> SignInResult:
        """A code mailed to `email`, or the token of the mailed link (see `EmailSignIn`): a first
        factor, so a second factor still applies."""
        if self._emailed_codes is None:
            raise InvalidSignInCodeError()
        user, admission = self._emailed_codes.redeem(email, code, token, remote_addr)
        return self.finish(user, EMAILED_CODE, user_agent, remote_addr, admission, device=device)

    def finish(
        self,
        user: User,
        method: str,
        user_agent: str | None,
        remote_addr: str | None,
        admission: Admission | None = None,
        second_factor_done: bool = False,
        device: str | None = None,
        remember: bool | None = None,
    ) -> SignInResult:
        """End a sign-in whose first factor (and, with `second_factor_done`, second) proved `user`.

        Takes the attempt back from the throttle; refuses an unverified address where verification
        is required (403, after the factor was right, so it tells a guesser nothing); answers a user
        with a second factor still owed with `SecondFactorPending` (no session) unless `device`,
        the browser's device secret, names a device the user trusted; else starts the session.
        With option `remember_me`, `remember` makes it last `remember_lifetime`; otherwise it lasts
        `token_expiration` (and its cookie only as long as the browser session).
        """
        if admission is not None:
            self._throttle.succeeded(admission)
        check_email_verified(user, self._context.options)
        check_not_suspended(user)  # every factor ends here: passwords, passkeys, identities
        if not second_factor_done and self._second_factors is not None:
            pending = self._second_factors.challenge(user, device)
            if pending is not None:
                return pending
        if self._new_devices is not None:  # option `new_device_alerts`
            self._new_devices.signed_in(user, user_agent, remote_addr)
        options = self._context.options
        remember = bool(remember) if options.remember_me else None
        session, token = self._sessions.start(
            user,
            user_agent,
            remote_addr,
            second_factor=second_factor_done,
            lifetime=timedelta(seconds=options.remember_lifetime) if remember else None,
        )
        if options.login_history:  # the one write a login adds to the user
            self._context.stores.users.record_login(user.id, session.created_at, remote_addr)
        self._context.events.announce(
            signals.login_succeeded,
            user_id=user.id,
            actor=Actor(user.id, remote_addr),
            recorded={"method": method},
        )
        return SignedIn(user, session, token, remember)

    @staticmethod
    def _finished(result: SignInResult) -> SignedIn:
        assert isinstance(result, SignedIn)  # the second factor was done: nothing is pending
        return result
