"""The records of second factors the core and the stores exchange: TOTP enrolments and half-done
logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TotpEnrolment:
    """A user's TOTP second factor (RFC 6238), one per user.

    `secret` is the secret sealed with the app's key (a Fernet token): the store never sees the
    plain secret. It is on only once `confirmed`, which the first right code does. `last_step` is
    the time step (30 s) of the last code accepted, so each code is accepted once.
    `recovery_code_hashes` are the SHA-256 of the recovery codes not yet used.
    """

    user_id: str
    secret: str
    created_at: datetime
    confirmed: bool = False
    last_step: int = -1
    recovery_code_hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MfaChallenge:
    """A login whose password was right and whose second factor is awaited, named by the SHA-256 of
    its `mfaToken`. It is valid only before `expires_at` and while its user's credential version
    is still `credential_version` (a password change or reset voids it)."""

    token_hash: str
    user_id: str
    credential_version: str
    expires_at: datetime


@dataclass(frozen=True)
class Passkey:
    """A WebAuthn credential of a user. `credential_id` is its id in base64url (public:
    authenticators and browsers show it); `public_key` is the COSE public key, never a secret.
    `sign_count` is the authenticator's counter as last seen: a count that does not grow means a
    cloned authenticator."""

    credential_id: str
    user_id: str
    name: str
    public_key: bytes
    sign_count: int
    created_at: datetime
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class PasskeyChallenge:
    """A WebAuthn challenge, named by its SHA-256, for one `ceremony` (`register` or `login`) and,
    except for a passwordless login, one user; spent by its first use, valid only before
    `expires_at`."""

    challenge_hash: str
    ceremony: str
    user_id: str | None
    expires_at: datetime


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the RP id (a host name) and the origins a ceremony may run on."""

    rp_id: str
    origins: tuple[str, ...]
