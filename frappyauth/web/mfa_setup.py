"""Setting up second factors at registration: the store, the key that seals TOTP secrets, the `mfa` extra."""
from __future__ import annotations

from typing import TYPE_CHECKING

from frappyauth.core.options import Options
from frappyauth.core.protocols import MfaStore, UserStore
from frappyauth.core.runtime import Runtime
from frappyauth.stores.memory.mfa import MemoryMfaStore

if TYPE_CHECKING:
    from frappyauth.core.mfa import Mfa

MIN_KEY_LENGTH = 16  # app.secret_key shorter than this cannot seal anything worth sealing


def mfa_store_for(options: Options, user_store: UserStore, given: MfaStore | None) -> MfaStore | None:
    """The MFA store when a second factor is on: the given one, the user store's companion (the Mongo one:
    collections `userTotp` and `userMfaTokens` on its database), or one in this process."""
    if not options.totp:
        return None
    if given is not None:
        return given
    companion = getattr(user_store, "mfa_store", None)
    return companion() if callable(companion) else MemoryMfaStore()


def build_mfa(runtime: Runtime, secret_key: str | bytes | None) -> Mfa | None:
    """The second-factor service, or `None` when it is off.

    Raises `ValueError` without a key to seal TOTP secrets with (option `mfa_encryption_key`, or the app's
    `secret_key`), and `RuntimeError` without the `mfa` extra.
    """
    options = runtime.options
    if not options.totp:
        return None
    key = options.mfa_encryption_key or secret_key
    if not key or len(key) < MIN_KEY_LENGTH:
        raise ValueError("frappyauth option 'totp' needs a key to encrypt TOTP secrets: set option "
                         "'mfa_encryption_key' (32+ random characters) or app.secret_key before register_endpoints.")
    try:
        from frappyauth.core.mfa import Mfa
        from frappyauth.core.totp import TotpCodec
        import segno  # noqa: F401 -- the QR codes of enrolment, drawn by the web layer
    except ImportError as missing:
        raise RuntimeError(f"frappyauth option 'totp' needs the mfa extra: pip install 'frappyauth[mfa]' "
                           f"({missing.name} is missing).") from None
    return Mfa(runtime, TotpCodec(key, options.totp_issuer))
