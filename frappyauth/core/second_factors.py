"""Second factors as a whole: which a user has, the enrolment rule, the pending step of a sign-in,
and an administrator's reset. TOTP (`totp`) and passkeys (`passkeys`) are the factors it
coordinates."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from frappyauth.core import signals
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import (
    InvalidMfaTokenError,
    MfaEnrolmentRequiredError,
    UserNotFoundError,
)
from frappyauth.core.mfa_models import MfaChallenge
from frappyauth.core.minting import hash_secret, new_secret
from frappyauth.core.models import Actor, Identity, User
from frappyauth.core.authorization import with_roles
from frappyauth.core.trusted_devices import TrustedDevices

MFA_TOKEN_LIFETIME = timedelta(minutes=5)
MAX_MFA_TOKEN_LENGTH = 128
TOTP_METHOD = "totp"
RECOVERY_METHOD = "recoveryCode"
PASSKEY_METHOD = "passkey"


@dataclass(frozen=True)
class SecondFactorPending:
    """A sign-in whose first factor was right and whose second is still owed: no session yet."""

    user: User
    mfa_token: str  # names the pending sign-in in its second step; shown once, stored hashed
    methods: list[str]


class SecondFactors:
    """Second factors for one app: every decision here, persistence in the MFA store."""

    def __init__(
        self, context: ServiceContext, trusted_devices: TrustedDevices | None = None
    ) -> None:
        if context.stores.mfa is None:
            raise ValueError("Second factors need an MFA store.")
        self._context, self.store = context, context.stores.mfa
        self.trusted_devices = trusted_devices  # with option `trusted_devices`
        self._totp, self._passkeys = context.options.totp, context.options.passkeys
        self.required_for = frozenset(context.options.require_mfa_for)

    def status(self, users: list[User]) -> dict[str, dict[str, object]]:
        """What the user JSON says of each user's second factors: `{"totp": bool, "passkeys":
        n}`."""
        ids = [user.id for user in users]
        enabled = self.store.totp_users(ids) if users and self._totp else set()
        passkeys = self.store.passkey_counts(ids) if users and self._passkeys else {}
        return {
            user.id: {"totp": user.id in enabled, "passkeys": passkeys.get(user.id, 0)}
            for user in users
        }

    def check_enrolled(self, identity: Identity) -> None:
        """Raise `MfaEnrolmentRequiredError` if the user holds a permission of `require_mfa_for` and
        has no second factor yet. Costs a store read only for such holders, and for API keys.

        A key's user carries only the key's scopes, and the rule is about its owner: a key scoped to
        `view` of an unenrolled admin is refused too.
        """
        user, stores = identity.user, self._context.stores
        if identity.api_key is not None:  # the owner, with what their roles grant (option `roles`)
            user = with_roles(stores.users.get(user.id) or user, stores, self._context.options)
        if self.required_for.intersection(user.effective_permissions) and not self.methods(user.id):
            raise MfaEnrolmentRequiredError()

    def methods(self, user_id: str) -> list[str]:
        """The second factors the user can sign in with, as `POST /login` names them; empty:
        none."""
        methods = [TOTP_METHOD, RECOVERY_METHOD] if self.totp_on(user_id) else []
        if self._passkeys and self.store.list_passkeys(user_id):
            methods.append(PASSKEY_METHOD)
        return methods

    def totp_on(self, user_id: str) -> bool:
        enrolment = self.store.get_totp(user_id) if self._totp else None
        return enrolment is not None and enrolment.confirmed

    def challenge(self, user: User, device: str | None = None) -> SecondFactorPending | None:
        """After a right first factor: a pending sign-in with a new mfaToken if the user has a
        second factor, else `None`; `None` too when `device` (the browser's device secret) names a
        device the user trusted (see `TrustedDevices.recognises`)."""
        methods = self.methods(user.id)
        if not methods:
            return None
        if self.trusted_devices is not None and self.trusted_devices.recognises(user, device):
            return None
        mfa_token = new_secret()
        self.store.create_challenge(
            MfaChallenge(
                token_hash=hash_secret(mfa_token),
                user_id=user.id,
                credential_version=user.credential_version,
                expires_at=self._context.clock() + MFA_TOKEN_LIFETIME,
            )
        )
        return SecondFactorPending(user, mfa_token, methods)

    def pending(self, mfa_token: str) -> tuple[MfaChallenge, User]:
        """The pending sign-in of this mfaToken and its user; `InvalidMfaTokenError` if it is
        unknown, expired, or its user's credential version changed since."""
        if (
            len(mfa_token) > MAX_MFA_TOKEN_LENGTH
        ):  # ours are 43 characters; nothing longer is hashed
            raise InvalidMfaTokenError()
        challenge = self.store.get_challenge(hash_secret(mfa_token), self._context.clock())
        user = None if challenge is None else self._context.stores.users.get(challenge.user_id)
        if (
            challenge is None
            or user is None
            or user.credential_version != challenge.credential_version
        ):
            raise InvalidMfaTokenError()
        return challenge, user

    def spend(self, challenge: MfaChallenge, now: datetime) -> None:
        """Use up a pending sign-in; `InvalidMfaTokenError` if a concurrent request spent it
        first."""
        if not self.store.delete_challenge(challenge.token_hash, now):
            raise InvalidMfaTokenError()

    def refused(self, user_id: str, actor: Actor, reason: str, **details: Any) -> None:
        """Announce a second factor that was refused (a wrong or replayed code, a refused or cloned
        passkey): a security event, logged as a warning."""
        self._context.events.announce(
            signals.mfa_challenge_failed,
            user_id=user_id,
            actor=actor,
            level=logging.WARNING,
            reason=reason,
            **details,
        )

    def reset(self, user_id: str, actor: Actor) -> User:
        """An administrator removes the user's second factors (the recovery path for a lost
        phone)."""
        user = self._context.stores.users.get(user_id)
        if user is None:
            raise UserNotFoundError()
        removed = self.forget(user.id)
        self._context.events.announce(
            signals.mfa_disabled, user_id=user.id, actor=actor, method="all", removed=removed
        )
        return user

    def forget(self, user_id: str) -> bool:
        """Delete every second factor of the user, and every device trusted to skip one; return
        whether there was any factor."""
        if self.trusted_devices is not None:
            self.trusted_devices.store.delete_for_user(user_id)
        return self.store.delete_totp(user_id) | bool(self.store.delete_passkeys(user_id))
