"""Setting up second factors at registration: the store, the key that seals TOTP secrets, the `mfa` extra."""
from __future__ import annotations

from typing import TYPE_CHECKING

from frappyauth.core.options import Options
from frappyauth.core.protocols import MfaStore, UserStore
from frappyauth.core.runtime import Runtime
from frappyauth.stores.memory.mfa import MemoryMfaStore

if TYPE_CHECKING:
    from frappyauth.core.mfa import Mfa
    from frappyauth.core.passkeys import Passkeys

MIN_KEY_LENGTH = 16  # app.secret_key shorter than this cannot seal anything worth sealing


def mfa_store_for(options: Options, user_store: UserStore, given: MfaStore | None) -> MfaStore | None:
    """The MFA store when a second factor is on: the given one, the user store's companion (the Mongo one:
    collections `userTotp`, `userMfaTokens`, `userPasskeys`, `userPasskeyChallenges` on its database), or one in
    this process."""
    if not (options.totp or options.passkeys):
        return None
    if given is not None:
        return given
    companion = getattr(user_store, "mfa_store", None)
    return companion() if callable(companion) else MemoryMfaStore()


def build_mfa(runtime: Runtime, secret_key: str | bytes | None) -> tuple[Mfa | None, Passkeys | None]:
    """The second-factor services, `None` for those that are off.

    Raises `ValueError` for TOTP without a key to seal its secrets with (option `mfa_encryption_key`, or the
    app's `secret_key`), and `RuntimeError` without the `mfa` extra.
    """
    options = runtime.options
    if not (options.totp or options.passkeys):
        return None, None
    key = options.mfa_encryption_key or secret_key
    if options.totp and (not key or len(key) < MIN_KEY_LENGTH):
        raise ValueError("frappyauth option 'totp' needs a key to encrypt TOTP secrets: set option "
                         "'mfa_encryption_key' (32+ random characters) or app.secret_key before register_endpoints.")
    try:
        from frappyauth.core.mfa import Mfa
        from frappyauth.core.totp import TotpCodec
        import segno  # noqa: F401 -- the QR codes of enrolment, drawn by the web layer
        if options.passkeys:
            from frappyauth.core.passkeys import Passkeys
    except ImportError as missing:
        raise RuntimeError(f"frappyauth options 'totp' and 'passkeys' need the mfa extra: pip install "
                           f"'frappyauth[mfa]' ({missing.name} is missing).") from None
    mfa = Mfa(runtime, TotpCodec(key, options.totp_issuer) if options.totp and key else None)
    return mfa, Passkeys(runtime, mfa) if options.passkeys else None
