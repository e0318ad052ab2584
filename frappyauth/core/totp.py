"""The TOTP second factor: enrolment, recovery codes, turning it off, and the second step of a
sign-in.

Every code and password checked here counts in the login throttle first (count before check, per
user and address), exactly like a login's password. A code is accepted once: the store records the
step of each accepted code with a compare-and-set, so a replay in the same step, or of an older
step, is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from frappyauth.core import signals
from frappyauth.core.errors import (
    BadRequestError,
    InvalidMfaCodeError,
    MfaAlreadyEnabledError,
    MfaCodeUsedError,
    MfaNotEnabledError,
    PermissionDeniedError,
    UserNotFoundError,
    WrongMfaCodeError,
)
from frappyauth.core.mfa_models import TotpEnrolment
from frappyauth.core.models import Actor, Identity, User
from frappyauth.core.context import ServiceContext
from frappyauth.core.second_factors import SecondFactors
from frappyauth.core.throttle import CODES, Admission, Throttle
from frappyauth.core.totp_codec import TotpCodec, is_code, new_recovery_codes, recovery_code_hash

TOTP_METHOD = "totp"


class Totp:
    """TOTP for one app: every decision here, persistence in the MFA store."""

    def __init__(
        self,
        context: ServiceContext,
        throttle: Throttle,
        second_factors: SecondFactors,
        codec: TotpCodec,
    ) -> None:
        self._context, self._store, self._codec = context, second_factors.store, codec
        self._throttle, self._second_factors = throttle, second_factors

    # enrolment

    def begin(self, identity: Identity, password: str, actor: Actor) -> tuple[str, str]:
        """Start (or restart) enrolment after checking the password; return the secret and its
        otpauth URI.

        Raises `MfaAlreadyEnabledError` if TOTP is on: turning it off first needs a code.
        """
        user, codec = self._fresh(identity), self._codec
        admission = self._throttle.admit(user.username_key, actor.remote_addr)
        self._check_password(user, password)
        self._throttle.succeeded(admission)
        secret = codec.new_secret()
        enrolment = TotpEnrolment(
            user_id=user.id, secret=codec.seal(secret), created_at=admission.when
        )
        if not self._store.start_totp(enrolment):
            raise MfaAlreadyEnabledError()
        return secret, codec.uri(secret, user.username)

    def confirm(self, identity: Identity, code: str, actor: Actor) -> list[str]:
        """Turn TOTP on with the first right code; return the ten recovery codes, shown this
        once."""
        user = self._fresh(identity)
        _check_code_format(code)
        enrolment = self._store.get_totp(user.id)
        if enrolment is None or enrolment.confirmed:
            raise MfaNotEnabledError(
                "There is no TOTP enrolment waiting for its first code: POST /mfa/totp first."
            )
        admission = self._throttle.admit(user.username_key, actor.remote_addr, CODES)
        codec = self._codec
        step = codec.matching_step(codec.open(enrolment.secret), code, admission.when)
        if step is None:
            self._failed(user, actor, WrongMfaCodeError())
        codes = new_recovery_codes()
        if not self._store.confirm_totp(
            user.id, enrolment.secret, step, tuple(recovery_code_hash(c) for c in codes)
        ):
            raise MfaNotEnabledError(
                "The enrolment was restarted meanwhile; confirm the newest secret."
            )
        self._throttle.succeeded(admission)
        self._context.events.announce(
            signals.mfa_enabled, user_id=user.id, actor=actor, method=TOTP_METHOD
        )
        return codes

    def regenerate_recovery_codes(
        self,
        identity: Identity,
        password: str,
        code: str | None,
        recovery_code: str | None,
        actor: Actor,
    ) -> list[str]:
        """New recovery codes (the old ones stop working), after the password and a second
        factor."""
        user = self._fresh(identity)
        self._check_both(user, password, code, recovery_code, actor)
        codes = new_recovery_codes()
        if not self._store.set_recovery_codes(user.id, tuple(recovery_code_hash(c) for c in codes)):
            raise MfaNotEnabledError()
        return codes

    def disable(
        self,
        identity: Identity,
        password: str,
        code: str | None,
        recovery_code: str | None,
        actor: Actor,
    ) -> None:
        """Turn TOTP off, after the password and a second factor."""
        user = self._fresh(identity)
        self._check_both(user, password, code, recovery_code, actor)
        if self._store.delete_totp(user.id):
            self._context.events.announce(
                signals.mfa_disabled, user_id=user.id, actor=actor, method=TOTP_METHOD
            )

    def check_password_and_code(
        self, user: User, password: str, code: str | None, recovery_code: str | None, actor: Actor
    ) -> None:
        """The password and a second factor, as turning TOTP off asks them (deleting one's account
        asks the same); raise `PermissionDeniedError`, `WrongMfaCodeError` or
        `MfaNotEnabledError`."""
        self._check_both(user, password, code, recovery_code, actor)

    # sign-in

    def second_step(
        self, mfa_token: str, code: str | None, recovery_code: str | None, remote_addr: str | None
    ) -> tuple[User, Admission]:
        """The sign-in's second step: the user and the counted attempt, once the mfaToken and a code
        (or a recovery code) are right; the caller ends the sign-in (`SignIn.finish`).

        The mfaToken survives a wrong code (the throttle limits guessing) and is spent by the right
        one. Raises `InvalidMfaTokenError`, `InvalidMfaCodeError`, `MfaCodeUsedError` or
        `TooManyAttemptsError`.
        """
        _check_one_factor(code, recovery_code)
        challenge, user = self._second_factors.pending(mfa_token)
        actor = Actor(None, remote_addr)
        admission = self._throttle.admit(user.username_key, remote_addr, CODES)
        if not self._second_factor_is_right(user, code, recovery_code, admission.when, actor):
            self._failed(user, actor, InvalidMfaCodeError())
        self._second_factors.spend(challenge, admission.when)
        return user, admission

    # checks

    def _check_both(
        self, user: User, password: str, code: str | None, recovery_code: str | None, actor: Actor
    ) -> None:
        """The password and a second factor, under one throttle admission."""
        _check_one_factor(code, recovery_code)
        if not self._second_factors.totp_on(user.id):
            raise MfaNotEnabledError()
        admission = self._throttle.admit(user.username_key, actor.remote_addr, CODES)
        self._check_password(user, password)
        if not self._second_factor_is_right(user, code, recovery_code, admission.when, actor):
            self._failed(user, actor, WrongMfaCodeError())
        self._throttle.succeeded(admission)

    def _second_factor_is_right(
        self, user: User, code: str | None, recovery_code: str | None, now: datetime, actor: Actor
    ) -> bool:
        """Check and spend a code or a recovery code; `MfaCodeUsedError` for a right code used
        already."""
        enrolment = self._store.get_totp(user.id)
        if enrolment is None or not enrolment.confirmed:
            return False
        if recovery_code is not None:
            return self._store.use_recovery_code(user.id, recovery_code_hash(recovery_code))
        assert code is not None  # _check_one_factor
        codec = self._codec
        step = codec.matching_step(codec.open(enrolment.secret), code, now)
        if step is None:
            return False
        if not self._store.use_totp_step(user.id, step):
            self._second_factors.refused(user.id, actor, "replayed code")
            raise MfaCodeUsedError()
        return True

    def _check_password(self, user: User, password: str) -> None:
        if not self._context.hasher.verify(password, user.password_hash):
            raise PermissionDeniedError("The password is wrong.")

    def _failed(self, user: User, actor: Actor, error: Exception) -> NoReturn:
        self._second_factors.refused(user.id, actor, "wrong code")
        raise error

    def _fresh(self, identity: Identity) -> User:
        user = self._context.stores.users.get(identity.user.id)
        if user is None:
            raise UserNotFoundError()
        return user


def _check_code_format(code: str) -> None:
    if not is_code(code):
        raise BadRequestError("The code must be the six digits the authenticator app shows.")


def _check_one_factor(code: str | None, recovery_code: str | None) -> None:
    if (code is None) == (recovery_code is None):
        raise BadRequestError("Give either a code or a recoveryCode.")
    if code is not None:
        _check_code_format(code)
    elif recovery_code is not None and not 1 <= len(recovery_code) <= 64:
        raise BadRequestError("The recovery code is malformed.")
