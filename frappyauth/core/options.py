"""The options of `register_endpoints`: frappyflaskauth's eight, each honoured, plus safe new ones."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, fields
from typing import Any, Mapping
from urllib.parse import urlsplit


MAX_KEY_LIFETIME = 100 * 365 * 24 * 60 * 60  # seconds; later expiries would overflow dates and mean "never"


@dataclass(frozen=True)
class Options:
    """Validated options; see the README for what each one does."""

    # frappyflaskauth 1.6's options, with its defaults.
    api_prefix: str = "/api/user"
    token_expiration: int = 24 * 60 * 60  # session lifetime in seconds, in the store and the cookie's Max-Age
    default_permissions: tuple[str, ...] = ()
    user_admin_permission: str = "admin"
    no_user_management: bool = False
    api_keys: bool = False
    allow_own_profile_edit: bool = False
    page_size: int = 25
    # New in frappyauth.
    password_min_length: int = 12  # OWASP ASVS 2.1.1
    password_max_length: int = 1024
    bcrypt_cost: int = 12
    max_failed_logins: int = 10  # password checks per (username, address) and window
    max_failed_logins_per_username: int | None = None  # across addresses; None: 10 x max_failed_logins
    max_failed_logins_per_address: int = 100  # across usernames
    lockout_seconds: int = 15 * 60
    cookie_secure: bool | None = None  # None: Secure exactly when the request came over HTTPS
    allowed_origins: tuple[str, ...] = ()  # cross-origin callers allowed to use the cookie
    max_body_bytes: int = 64 * 1024
    idle_timeout: int | None = None  # seconds without use after which a session ends; None: never
    last_used_interval: int = 5 * 60  # a session's or API key's "last used" is written at most this often
    api_keys_per_user: int = 20
    api_key_max_lifetime: int | None = None  # seconds; None: keys may live forever
    console: bool = False  # the browser console at {api_prefix}/console/
    # The mail flows (issue 19), each off by default; any of them needs `frontend_url` and a mailer.
    registration: bool = False
    email_verification: str | None = None  # "required", "optional", or None (off)
    password_reset: bool = False
    email_change: bool = False
    frontend_url: str | None = None  # e.g. "https://app.example/account/{action}?token={token}"
    reset_token_lifetime: int = 60 * 60
    verification_token_lifetime: int = 24 * 60 * 60
    email_change_token_lifetime: int = 24 * 60 * 60
    mail_rate_limit: int = 5  # mail-flow requests per client address and per account per `lockout_seconds`

    @property
    def mail_flows(self) -> bool:
        """Whether any mail flow is on (and so addresses are normalised and unique)."""
        return self.registration or self.email_verification is not None or self.password_reset or self.email_change
    totp: bool = False  # TOTP second factor with recovery codes (needs the `mfa` extra)
    totp_issuer: str = "frappyauth"  # the name authenticator apps show next to the username
    mfa_encryption_key: str | None = None  # seals TOTP secrets at rest; None: derived from app.secret_key
    require_mfa_for: tuple[str, ...] = ()  # holders of any of these permissions must enrol before anything else
    passkeys: bool = False  # WebAuthn passkeys as a second factor (needs the `mfa` extra)
    passwordless: bool = False  # passkeys as the only factor too (discoverable credentials)
    webauthn_rp_id: str | None = None  # None: the host name of the request
    webauthn_rp_name: str = "frappyauth"
    webauthn_origins: tuple[str, ...] = ()  # empty: the origin of the request itself
    webauthn_user_verification: str = "preferred"


# For each option: the accepted types, and a check of the value with the reason it failed.
_RULES: dict[str, tuple[tuple[type, ...], Any, str]] = {
    "api_prefix": ((str,), lambda v: v.startswith("/") and not v.endswith("/"),
                   "must start with '/' and not end with one"),
    "token_expiration": ((int,), lambda v: v > 0, "must be a positive number of seconds"),
    "default_permissions": ((list, tuple), lambda v: all(isinstance(p, str) for p in v), "must be a list of strings"),
    "user_admin_permission": ((str,), lambda v: bool(v), "must be a non-empty string"),
    "no_user_management": ((bool,), None, ""),
    "api_keys": ((bool,), None, ""),
    "allow_own_profile_edit": ((bool,), None, ""),
    "page_size": ((int,), lambda v: 1 <= v <= 1000, "must be between 1 and 1000"),
    "password_min_length": ((int,), lambda v: 1 <= v <= 128, "must be between 1 and 128"),
    "password_max_length": ((int,), lambda v: 128 <= v <= 4096, "must be between 128 and 4096"),
    "bcrypt_cost": ((int,), lambda v: 4 <= v <= 31, "must be between 4 and 31"),
    "max_failed_logins": ((int,), lambda v: v >= 1, "must be at least 1"),
    "max_failed_logins_per_username": ((int, type(None)), lambda v: v is None or v >= 1, "must be at least 1"),
    "max_failed_logins_per_address": ((int,), lambda v: v >= 1, "must be at least 1"),
    "lockout_seconds": ((int,), lambda v: v >= 1, "must be at least 1"),
    "cookie_secure": ((bool, type(None)), None, ""),
    "allowed_origins": ((list, tuple), lambda v: all(isinstance(o, str) for o in v), "must be a list of strings"),
    "max_body_bytes": ((int,), lambda v: v >= 1024, "must be at least 1024"),
    "idle_timeout": ((int, type(None)), lambda v: v is None or v >= 1, "must be a positive number of seconds"),
    "last_used_interval": ((int,), lambda v: v >= 1, "must be a positive number of seconds"),
    "api_keys_per_user": ((int,), lambda v: 1 <= v <= 1000, "must be between 1 and 1000"),
    "api_key_max_lifetime": ((int, type(None)), lambda v: v is None or 1 <= v <= MAX_KEY_LIFETIME,
                             "must be a positive number of seconds, at most 100 years"),
    "registration": ((bool,), None, ""),
    "email_verification": ((str, type(None)), lambda v: v in (None, "required", "optional"),
                           "must be 'required', 'optional' or None"),
    "password_reset": ((bool,), None, ""),
    "email_change": ((bool,), None, ""),
    "frontend_url": ((str, type(None)), lambda v: v is None or (v.startswith(("https://", "http://")) and
                                                                 "{token}" in v),
                     "must be an absolute http(s) URL containing '{token}'"),
    "reset_token_lifetime": ((int,), lambda v: 60 <= v <= 24 * 3600, "must be between 60 and 86400 seconds"),
    "verification_token_lifetime": ((int,), lambda v: v >= 60, "must be at least 60 seconds"),
    "email_change_token_lifetime": ((int,), lambda v: v >= 60, "must be at least 60 seconds"),
    "mail_rate_limit": ((int,), lambda v: v >= 1, "must be at least 1"),
    "totp": ((bool,), None, ""),
    "totp_issuer": ((str,), lambda v: bool(v) and ":" not in v and v.isprintable(),
                    "must be non-empty printable text without ':'"),
    "mfa_encryption_key": ((str, type(None)), lambda v: v is None or len(v) >= 32, "must have at least 32 characters"),
    "require_mfa_for": ((list, tuple), lambda v: all(isinstance(p, str) and p for p in v),
                        "must be a list of non-empty strings"),
    "passkeys": ((bool,), None, ""),
    "passwordless": ((bool,), None, ""),
    "webauthn_rp_id": ((str, type(None)), lambda v: v is None or (bool(v) and "/" not in v and ":" not in v),
                       "must be a host name, without scheme or port"),
    "webauthn_rp_name": ((str,), lambda v: bool(v) and v.isprintable(), "must be non-empty printable text"),
    "webauthn_origins": ((list, tuple), lambda v: all(isinstance(o, str) and o.startswith(("https://", "http://"))
                                                      for o in v), "must be a list of origins like https://host"),
    "webauthn_user_verification": ((str,), lambda v: v in ("required", "preferred", "discouraged"),
                                   "must be 'required', 'preferred' or 'discouraged'"),
    "console": ((bool,), None, ""),
}


def build_options(override: Mapping[str, Any] | None) -> Options:
    """Return the defaults with `override` applied; raise `ValueError` naming the first bad option."""
    override = dict(override or {})
    known = [f.name for f in fields(Options)]
    unknown = sorted(set(override) - set(known))
    if unknown:
        closest = difflib.get_close_matches(str(unknown[0]), known, n=1)
        hint = f" Did you mean {closest[0]!r}?" if closest else f" Known options: {', '.join(known)}."
        raise ValueError(f"Unknown frappyauth option {unknown[0]!r}.{hint}")
    for name, value in override.items():
        _check(name, value)
        if isinstance(value, list):
            override[name] = tuple(value)
    if "allowed_origins" in override:
        override["allowed_origins"] = tuple(_allowed_origin(entry) for entry in override["allowed_origins"])
    options = Options(**override)
    if options.no_user_management and options.allow_own_profile_edit:
        # Own-profile edits are one of the user-management endpoints that no_user_management leaves out.
        raise ValueError("frappyauth options 'no_user_management' and 'allow_own_profile_edit' cannot both be "
                         "on: no_user_management removes the profile endpoint that allow_own_profile_edit opens.")
    if options.idle_timeout is not None and options.idle_timeout <= options.last_used_interval:
        # "Last used" is only as precise as the interval: a shorter idle timeout would end busy sessions.
        raise ValueError("frappyauth option 'idle_timeout' must be longer than 'last_used_interval'.")
    if options.mail_flows and options.frontend_url is None:
        # Links built from the request's Host header could be pointed at an attacker's site (reset poisoning).
        raise ValueError("frappyauth option 'frontend_url' is needed by the mail flows (registration, "
                         "email_verification, password_reset, email_change).")
    if options.require_mfa_for and not (options.totp or options.passkeys):
        raise ValueError("frappyauth option 'require_mfa_for' needs option 'totp' or 'passkeys' on: there is "
                         "nothing to enrol in.")
    if options.passwordless and not options.passkeys:
        raise ValueError("frappyauth option 'passwordless' needs option 'passkeys' on.")
    return options


def _check(name: str, value: Any) -> None:
    types, is_valid, reason = _RULES[name]
    # bool is an int subclass: True must not pass as a page size.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        expected = " or ".join("None" if t is type(None) else t.__name__ for t in types)
        raise ValueError(f"frappyauth option {name!r} must be of type {expected}, not {type(value).__name__}.")
    if is_valid is not None and not is_valid(value):
        raise ValueError(f"frappyauth option {name!r} {reason}.")


DEFAULT_PORTS = {"http": "80", "https": "443"}
_HOST = re.compile(r"[a-z0-9_.-]+|\[[0-9a-f:.]+\]")


def normal_origin(text: str) -> str | None:
    """`scheme://host[:port]` in the form browsers send it (lower case, no default port), or `None` when
    `text` is not such an origin (`null`, `*`, a path, a query, a user name, another scheme)."""
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return None
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    host = netloc.rsplit(":", 1)[0] if port is not None else netloc
    if (scheme not in DEFAULT_PORTS or not _HOST.fullmatch(host) or port == 0
            or text.lower() != f"{scheme}://{netloc}"):
        return None
    return f"{scheme}://{host}" if port is None or str(port) == DEFAULT_PORTS[scheme] else f"{scheme}://{host}:{port}"


def _allowed_origin(entry: str) -> str:
    origin = normal_origin(entry)
    if origin is None:
        raise ValueError(f"frappyauth option 'allowed_origins' has {entry!r}, which is not an origin "
                         "'http(s)://host[:port]' (no path, no trailing '/', not 'null' or '*').")
    return origin
