"""TOTP codes (RFC 6238, with `pyotp`), recovery codes, and sealing TOTP secrets at rest (Fernet,
`cryptography`).

Imported only when the option `totp` is on: `pyotp` and `cryptography` come with the `mfa` extra.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from frappyauth.core.minting import hash_secret

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (clocks of phones drift)
RECOVERY_CODES = 10
_CODE = re.compile(r"\d{6}")
_KEY_INFO = b"frappyauth: TOTP secrets at rest"


def derive_fernet_key(secret: str | bytes) -> bytes:
    """A Fernet key from the app's secret (the option `mfa_encryption_key`, or `app.secret_key`), by
    HKDF: any long random string serves, and the key is not the secret itself (which also signs
    Flask sessions)."""
    material = secret.encode("utf-8") if isinstance(secret, str) else secret
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(material)
    return base64.urlsafe_b64encode(derived)


class TotpCodec:
    """Everything about TOTP secrets and codes that needs the app's key or a clock reading."""

    def __init__(self, key_material: str | bytes, issuer: str) -> None:
        self._fernet = Fernet(derive_fernet_key(key_material))
        self._issuer = issuer

    def new_secret(self) -> str:
        """A fresh 160-bit secret in base32 (RFC 4226's recommended length), for the
        authenticator app."""
        return pyotp.random_base32(32)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("ascii")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The plain secret; `RuntimeError` if it was sealed with another key (the key option
        changed)."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise RuntimeError(
                "A TOTP secret cannot be opened: was mfa_encryption_key or app.secret_key changed?"
            ) from None

    def uri(self, secret: str, username: str) -> str:
        """The `otpauth://` URI authenticator apps read (from a QR code)."""
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=self._issuer)

    @staticmethod
    def matching_step(secret: str, code: str, now: datetime) -> int | None:
        """The time step whose code `code` is, within the allowed drift around `now`; `None` if
        none is."""
        totp = pyotp.TOTP(secret)
        current = int(now.timestamp()) // STEP_SECONDS
        matches = [
            step
            for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1)
            if hmac.compare_digest(totp.generate_otp(step), code)
        ]  # every step compared: no early exit
        return matches[0] if matches else None


def is_code(code: str) -> bool:
    """Six digits: anything else is refused as malformed before it is counted or compared."""
    return _CODE.fullmatch(code) is not None


def new_recovery_codes() -> list[str]:
    """Ten single-use recovery codes, 60 bits each, as `xxxx-xxxx-xxxx` in lower-case base32."""
    codes = []
    for _ in range(RECOVERY_CODES):
        text = base64.b32encode(secrets.token_bytes(8)).decode("ascii").lower()[:12]
        codes.append(f"{text[:4]}-{text[4:8]}-{text[8:]}")
    return codes


def recovery_code_hash(code: str) -> str:
    """The stored form of a recovery code, as typed: case, spaces and dashes do not matter."""
    return hash_secret(re.sub(r"[\s-]", "", code).lower())
