"""Password hashing: bcrypt for new hashes, with frappymongouser's unsalted MD5 still verifiable
once."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import unicodedata

import bcrypt

from frappyauth.core.errors import InvalidPasswordError

_MD5_HEX = re.compile(r"[0-9a-fA-F]{32}")
# The stored "hash" of an account without a password (made through an identity provider): neither
# bcrypt nor MD5, so `PasswordHasher.verify` matches no password against it.
NO_PASSWORD = "!"
_BCRYPT = re.compile(r"\$2[abxy]?\$(\d\d)\$[./A-Za-z0-9]{53}")


def normalise(password: str) -> str:
    """The same NFKC form on set and on verify, so visually identical input always matches."""
    return unicodedata.normalize("NFKC", password)


def check_new_password(password: object, min_length: int, max_length: int) -> str:
    """Return `password` if it may be set; raise `InvalidPasswordError` otherwise. No composition
    rules."""
    if not isinstance(password, str):
        raise InvalidPasswordError("The password must be a string.")
    if len(normalise(password)) < min_length:
        raise InvalidPasswordError(
            "The password must have at least {limit} characters.", limit=min_length
        )
    check_length_cap(password, max_length)
    return password


def check_length_cap(password: str, max_length: int) -> None:
    """Refuse a password longer than `max_length` in its NFKC form: the same measure on set and at
    login, since NFKC can shorten text (a letter and a combining accent become one character)."""
    if len(normalise(password)) > max_length:
        raise InvalidPasswordError(
            "The password must have at most {limit} characters.", limit=max_length
        )


def _bcrypt_input(password: str) -> bytes:
    """bcrypt reads only 72 bytes (and bcrypt 5 raises past them): hash first, so every byte counts.

    The SHA-256 digest is base64-encoded because bcrypt stops at a NUL byte, which a raw digest may
    contain.
    """
    return base64.b64encode(hashlib.sha256(normalise(password).encode("utf-8")).digest())


@functools.cache
def _dummy_hash(cost: int) -> bytes:
    """A hash to check against when there is no user, so an unknown username costs a wrong
    password's time."""
    return bcrypt.hashpw(b"frappyauth dummy password", bcrypt.gensalt(cost))


class PasswordHasher:
    """Hashes and verifies passwords at one bcrypt cost."""

    def __init__(self, cost: int) -> None:
        self.cost = cost

    def hash(self, password: str) -> str:
        return bcrypt.hashpw(_bcrypt_input(password), bcrypt.gensalt(self.cost)).decode("ascii")

    def verify(self, password: str, stored_hash: str | None) -> bool:
        """Check `password` against a stored hash; with `None` (no such user) spend the same time,
        return False. A stored value that is not text (a legacy `password` field holding a number,
        a list or bytes) is no hash at all: it is treated like `None`, never matched.

        Every answer costs at least one check at the configured cost: a hash stored at a lower cost
        (before `bcrypt_cost` was raised) is checked and then padded with the dummy check, so known
        names cannot be told from unknown ones by a faster answer.
        """
        if not isinstance(stored_hash, str):
            stored_hash = None
        match = _BCRYPT.fullmatch(stored_hash) if stored_hash is not None else None
        if match is not None:
            stored = stored_hash.encode("ascii")  # type: ignore[union-attr]
            is_right = bcrypt.checkpw(_bcrypt_input(password), stored)
            if int(match.group(1)) < self.cost:
                bcrypt.checkpw(_bcrypt_input(password), _dummy_hash(self.cost))
            return is_right
        bcrypt.checkpw(_bcrypt_input(password), _dummy_hash(self.cost))
        if stored_hash is not None and _MD5_HEX.fullmatch(stored_hash):
            # frappymongouser hashed the raw string, without normalisation.
            legacy = hashlib.md5(password.encode("utf-8")).hexdigest()
            return hmac.compare_digest(legacy, stored_hash.lower())
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True for a legacy MD5 hash and for a bcrypt hash of a lower cost than configured."""
        match = _BCRYPT.fullmatch(stored_hash) if isinstance(stored_hash, str) else None
        return match is None or int(match.group(1)) < self.cost
