"""Minting and hashing of session tokens and API keys.

Only the SHA-256 of a token or key is stored, so a copy of the database holds no working credential.
Stores use `hash_secret` to migrate plaintext secrets left by frappymongouser.
"""

from __future__ import annotations

import hashlib
import importlib
import secrets
from collections.abc import Callable
from typing import Any, cast


def _own_sha256() -> Callable[[bytes], Any]:
    """SHA-256 from CPython's own implementation where there is one (`_sha2` from 3.12, `_sha256`
    before): the same digest as OpenSSL's, but OpenSSL's generic digest layer is a much larger
    piece of code to run on every authenticated request, whose caches Flask and Werkzeug have
    cooled in between (benchmarks/ has the measure). hashlib's where OpenSSL runs in FIPS mode
    (its validated implementation is then the one to use) and where CPython has no implementation
    of its own."""
    if _openssl_in_fips_mode():
        return hashlib.sha256
    for module in ("_sha2", "_sha256"):
        try:
            return cast(Callable[[bytes], Any], importlib.import_module(module).sha256)
        except (ImportError, AttributeError):
            continue
    return hashlib.sha256


def _openssl_in_fips_mode() -> bool:
    try:
        return bool(importlib.import_module("_hashlib").get_fips_mode())
    except (ImportError, AttributeError, ValueError):  # no OpenSSL; or it cannot tell
        return False


_sha256 = _own_sha256()  # chosen once, at import

# 32 bytes = 256 bits from the OS CSPRNG, URL-safe so it survives headers and cookies unquoted.
SECRET_BYTES = 32


def new_secret() -> str:
    """Return a fresh random token or API key."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest under which a token or API key is stored and looked up."""
    return _sha256(secret.encode()).hexdigest()  # UTF-8


def new_session_id() -> str:
    """A public name for a session, random and unrelated to its token (96 bits: unguessable,
    short)."""
    return secrets.token_urlsafe(12)


def new_credential_version() -> str:
    """A fresh credential version for a user whose password changes (random: nothing to race on)."""
    return secrets.token_urlsafe(12)


API_KEY_PREFIX = "fak_"  # "frappyauth key": lets secret scanners recognise a leaked key


def new_api_key() -> tuple[str, str]:
    """Return a new API key's public id and the key itself, `fak_<id>_<secret>`.

    The id (64 bits, hex, so without `_`) names the key in listings and logs; the secret carries the
    strength. Only the SHA-256 of the whole key is stored.
    """
    key_id = secrets.token_hex(8)
    return key_id, f"{API_KEY_PREFIX}{key_id}_{new_secret()}"
