"""The TOTP second factor: enrolment, recovery codes, turning it off, and the second step of a login.

Every code and password checked here counts in the login throttle first (count before check, per user and
address), exactly like a login's password. A code is accepted once: the store records the step of each
accepted code with a compare-and-set, so a replay in the same step, or of an older step, is refused.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NoReturn

from frappyauth.core import signals
from frappyauth.core.errors import (BadRequestError, InvalidMfaCodeError, InvalidMfaTokenError, MfaAlreadyEnabledError,
                                    MfaCodeUsedError, MfaEnrolmentRequiredError, MfaNotEnabledError,
                                    MfaRequiredError, PermissionDeniedError, UserNotFoundError, WrongMfaCodeError)
from frappyauth.core.events import announce
from frappyauth.core.mfa_models import MfaChallenge, TotpEnrolment
from frappyauth.core.minting import hash_secret, new_secret
from frappyauth.core.models import Actor, Identity, User
from frappyauth.core.protocols import MfaStore
from frappyauth.core.runtime import Runtime
from frappyauth.core.throttle import CODES, Throttle
from frappyauth.core.totp import TotpCodec, is_code, new_recovery_codes, recovery_code_hash

MFA_TOKEN_LIFETIME = timedelta(minutes=5)
MAX_MFA_TOKEN_LENGTH = 128
TOTP_METHOD = "totp"
RECOVERY_METHOD = "recoveryCode"
PASSKEY_METHOD = "passkey"


class Mfa:
    """Second factors for one app: every decision here, persistence in the MFA store."""

    def __init__(self, runtime: Runtime, codec: TotpCodec | None) -> None:
        if runtime.mfa is None:
            raise ValueError("Second factors need an MFA store.")
        self._runtime, self._store, self._codec = runtime, runtime.mfa, codec
        self._throttle = Throttle(runtime)
        self._required = frozenset(runtime.options.require_mfa_for)

    @property
    def store(self) -> MfaStore:
        return self._store

    def status(self, users: list[User]) -> dict[str, dict[str, object]]:
        """What the user JSON says of each user's second factors: `{"totp": bool, "passkeys": n}`."""
        ids = [user.id for user in users]
        enabled = self._store.totp_users(ids) if users and self._codec else set()
        passkeys = self._store.passkey_counts(ids) if users and self._runtime.options.passkeys else {}
        return {user.id: {"totp": user.id in enabled, "passkeys": passkeys.get(user.id, 0)} for user in users}

    def check_enrolled(self, identity: Identity) -> None:
        """Raise `MfaEnrolmentRequiredError` if the user holds a permission of `require_mfa_for` and has no
        second factor yet. Costs a store read only for such holders, and for API keys while the rule is on.

        A key's user carries only the key's scopes, and the rule is about its owner: a key scoped to
        `view` of an unenrolled admin is refused too.
        """
        if not self._required:
            return
        user = identity.user
        if identity.api_key is not None:
            user = self._runtime.users.get(user.id) or user
        if self._required.intersection(user.permissions) and not self._methods(user.id):
            raise MfaEnrolmentRequiredError()

    # enrolment

    def begin_totp(self, identity: Identity, password: str, actor: Actor) -> tuple[str, str]:
        """Start (or restart) enrolment after checking the password; return the secret and its otpauth URI.

        Raises `MfaAlreadyEnabledError` if TOTP is on: turning it off first needs a code.
        """
        user, codec = self._fresh(identity), self._totp_codec()
        admission = self._throttle.admit(user.username_key, actor.remote_addr)
        self._check_password(user, password)
        self._throttle.succeeded(admission)
        secret = codec.new_secret()
        enrolment = TotpEnrolment(user_id=user.id, secret=codec.seal(secret), created_at=admission.when)
        if not self._store.start_totp(enrolment):
            raise MfaAlreadyEnabledError()
        return secret, codec.uri(secret, user.username)

    def confirm_totp(self, identity: Identity, code: str, actor: Actor) -> list[str]:
        """Turn TOTP on with the first right code; return the ten recovery codes, shown this once."""
        user = self._fresh(identity)
        _check_code_format(code)
        enrolment = self._store.get_totp(user.id)
        if enrolment is None or enrolment.confirmed:
            raise MfaNotEnabledError("There is no TOTP enrolment waiting for its first code: POST /mfa/totp first.")
        admission = self._throttle.admit(user.username_key, actor.remote_addr, CODES)
        codec = self._totp_codec()
        step = codec.matching_step(codec.open(enrolment.secret), code, admission.when)
        if step is None:
            self._failed(user, actor, WrongMfaCodeError())
        codes = new_recovery_codes()
        if not self._store.confirm_totp(user.id, enrolment.secret, step,
                                        tuple(recovery_code_hash(c) for c in codes)):
            raise MfaNotEnabledError("The enrolment was restarted meanwhile; confirm the newest secret.")
        self._throttle.succeeded(admission)
        announce(self._runtime.sender, signals.mfa_enabled, user_id=user.id, actor=actor, method=TOTP_METHOD)
        return codes

    def regenerate_recovery_codes(self, identity: Identity, password: str, code: str | None,
                                  recovery_code: str | None, actor: Actor) -> list[str]:
        """New recovery codes (the old ones stop working), after the password and a second factor."""
        user = self._fresh(identity)
        self._check_both(user, password, code, recovery_code, actor)
        codes = new_recovery_codes()
        if not self._store.set_recovery_codes(user.id, tuple(recovery_code_hash(c) for c in codes)):
            raise MfaNotEnabledError()
        return codes

    def disable_totp(self, identity: Identity, password: str, code: str | None, recovery_code: str | None,
                     actor: Actor) -> None:
        """Turn TOTP off, after the password and a second factor."""
        user = self._fresh(identity)
        self._check_both(user, password, code, recovery_code, actor)
        if self._store.delete_totp(user.id):
            announce(self._runtime.sender, signals.mfa_disabled, user_id=user.id, actor=actor, method=TOTP_METHOD)

    def reset(self, user_id: str, actor: Actor) -> User:
        """An administrator removes the user's second factors (the recovery path for a lost phone)."""
        user = self._runtime.users.get(user_id)
        if user is None:
            raise UserNotFoundError()
        removed = self._store.delete_totp(user.id) | bool(self._store.delete_passkeys(user.id))
        announce(self._runtime.sender, signals.mfa_disabled, user_id=user.id, actor=actor, method="all",
                 removed=removed)
        return user

    # login

    def demand(self, user: User) -> None:
        """After a right password: raise `MfaRequiredError` with a new mfaToken if the user has a second factor."""
        methods = self._methods(user.id)
        if not methods:
            return
        mfa_token = new_secret()
        self._store.create_challenge(MfaChallenge(
            token_hash=hash_secret(mfa_token), user_id=user.id, credential_version=user.credential_version,
            expires_at=self._runtime.clock() + MFA_TOKEN_LIFETIME))
        raise MfaRequiredError(mfa_token, methods)

    def pending_user(self, mfa_token: str) -> tuple[MfaChallenge, User]:
        """The pending login of this mfaToken and its user; `InvalidMfaTokenError` if it is unknown, expired,
        or its user's credential version changed since."""
        if len(mfa_token) > MAX_MFA_TOKEN_LENGTH:  # ours are 43 characters; nothing longer is hashed
            raise InvalidMfaTokenError()
        challenge = self._store.get_challenge(hash_secret(mfa_token), self._runtime.clock())
        user = None if challenge is None else self._runtime.users.get(challenge.user_id)
        if challenge is None or user is None or user.credential_version != challenge.credential_version:
            raise InvalidMfaTokenError()
        return challenge, user

    def complete(self, mfa_token: str, code: str | None, recovery_code: str | None,
                 remote_addr: str | None) -> User:
        """The login's second step: return the user once the mfaToken and a code (or recovery code) are right.

        The mfaToken survives a wrong code (the throttle limits guessing) and is spent by the right one.
        Raises `InvalidMfaTokenError`, `InvalidMfaCodeError`, `MfaCodeUsedError` or `TooManyAttemptsError`.
        """
        _check_one_factor(code, recovery_code)
        challenge, user = self.pending_user(mfa_token)
        actor = Actor(None, remote_addr)
        admission = self._throttle.admit(user.username_key, remote_addr, CODES)
        if not self._second_factor_is_right(user, code, recovery_code, admission.when, actor):
            self._failed(user, actor, InvalidMfaCodeError())
        if not self._store.delete_challenge(challenge.token_hash, admission.when):  # a concurrent request spent it
            raise InvalidMfaTokenError()
        self._throttle.succeeded(admission)
        return user

    # checks

    def _check_both(self, user: User, password: str, code: str | None, recovery_code: str | None,
                    actor: Actor) -> None:
        """The password and a second factor, under one throttle admission."""
        _check_one_factor(code, recovery_code)
        if not self._totp_on(user.id):
            raise MfaNotEnabledError()
        admission = self._throttle.admit(user.username_key, actor.remote_addr, CODES)
        self._check_password(user, password)
        if not self._second_factor_is_right(user, code, recovery_code, admission.when, actor):
            self._failed(user, actor, WrongMfaCodeError())
        self._throttle.succeeded(admission)

    def _second_factor_is_right(self, user: User, code: str | None, recovery_code: str | None, now: datetime,
                                actor: Actor) -> bool:
        """Check and spend a code or a recovery code; `MfaCodeUsedError` for a right code used already."""
        enrolment = self._store.get_totp(user.id) if self._codec is not None else None
        if enrolment is None or not enrolment.confirmed:
            return False
        if recovery_code is not None:
            return self._store.use_recovery_code(user.id, recovery_code_hash(recovery_code))
        assert code is not None  # _check_one_factor
        codec = self._totp_codec()
        step = codec.matching_step(codec.open(enrolment.secret), code, now)
        if step is None:
            return False
        if not self._store.use_totp_step(user.id, step):
            announce(self._runtime.sender, signals.mfa_challenge_failed, user_id=user.id, actor=actor,
                     level=logging.WARNING, reason="replayed code")
            raise MfaCodeUsedError()
        return True

    def _check_password(self, user: User, password: str) -> None:
        if not self._runtime.hasher.verify(password, user.password_hash):
            raise PermissionDeniedError("The password is wrong.")

    def _failed(self, user: User, actor: Actor, error: Exception) -> NoReturn:
        announce(self._runtime.sender, signals.mfa_challenge_failed, user_id=user.id, actor=actor,
                 level=logging.WARNING, reason="wrong code")
        raise error

    def _totp_on(self, user_id: str) -> bool:
        enrolment = self._store.get_totp(user_id) if self._codec is not None else None
        return enrolment is not None and enrolment.confirmed

    def _methods(self, user_id: str) -> list[str]:
        """The second factors the user can log in with, as `POST /login` names them; empty: none."""
        methods = [TOTP_METHOD, RECOVERY_METHOD] if self._totp_on(user_id) else []
        if self._runtime.options.passkeys and self._store.list_passkeys(user_id):
            methods.append(PASSKEY_METHOD)
        return methods

    def _totp_codec(self) -> TotpCodec:
        if self._codec is None:  # the TOTP endpoints exist only with the option on
            raise MfaNotEnabledError("TOTP is off on this server.")
        return self._codec

    def _fresh(self, identity: Identity) -> User:
        user = self._runtime.users.get(identity.user.id)
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
