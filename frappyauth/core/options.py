"""The options of `register_endpoints`: frappyflaskauth's eight, each honoured, and frappyauth's
own, each with a safe default that leaves frappyflaskauth's behaviour as it was."""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Mapping
from urllib.parse import urlsplit

from frappyauth.core.identity_providers import provider_settings


MAX_KEY_LIFETIME = (
    100 * 365 * 24 * 60 * 60
)  # seconds; later expiries would overflow dates and mean "never"


# The groups of the options, for the reference and for readers: each option names its group.
(
    FRAPPYFLASKAUTH,
    PASSWORDS,
    THROTTLE,
    SESSIONS,
    KEYS,
    MAIL,
    SECOND_FACTOR,
    IDENTITY_PROVIDERS,
    CONSOLE,
    AUDIT,
) = (
    "frappyflaskauth's",
    "passwords",
    "throttle",
    "sessions",
    "API keys",
    "mail",
    "second factor",
    "identity providers",
    "console",
    "audit",
)
PRIVACY = "privacy"

ACCOUNTS = "accounts"  # roles, suspension, login history
USERNAMES = "usernames"


def option(
    default: Any, group: str, check: Callable[[Any], bool] | None = None, reason: str = ""
) -> Any:
    """A field of `Options` with its rule beside it: `check(value)` must hold, or `reason` is the
    error. The accepted types come from the field's annotation; what it means is in
    docs/options.md, whose table the docs build checks against these fields."""
    return field(default=default, metadata={"group": group, "check": check, "reason": reason})


def _positive(v: Any) -> bool:
    return v >= 1


def _between(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: low <= v <= high


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _strings(v: Any) -> bool:
    return all(isinstance(item, str) for item in v)


def _origins(v: Any) -> bool:
    return all(isinstance(o, str) and o.startswith(("https://", "http://")) for o in v)


@dataclass(frozen=True)
class Options:
    """Validated options, each with its group and rule (see `option`); the reference in
    docs/options.md
    is generated from these fields."""

    api_prefix: str = option(
        "/api/user",
        FRAPPYFLASKAUTH,
        lambda v: v.startswith("/") and not v.endswith("/"),
        "must start with '/' and not end with one",
    )
    token_expiration: int = option(
        24 * 60 * 60, FRAPPYFLASKAUTH, _positive, "must be a positive number of seconds"
    )
    default_permissions: tuple[str, ...] = option(
        (), FRAPPYFLASKAUTH, _strings, "must be a list of strings"
    )
    user_admin_permission: str = option(
        "admin", FRAPPYFLASKAUTH, bool, "must be a non-empty string"
    )
    no_user_management: bool = option(False, FRAPPYFLASKAUTH)
    api_keys: bool = option(False, FRAPPYFLASKAUTH)
    allow_own_profile_edit: bool = option(False, FRAPPYFLASKAUTH)
    allow_username_change: bool = option(False, USERNAMES)
    username_reservation_days: int = option(
        30, USERNAMES, _between(0, 3650), "must be from 0 to 3650 days"
    )
    page_size: int = option(25, FRAPPYFLASKAUTH, _between(1, 1000), "must be between 1 and 1000")
    password_min_length: int = option(12, PASSWORDS, _between(1, 128), "must be between 1 and 128")
    password_max_length: int = option(
        1024, PASSWORDS, _between(128, 4096), "must be between 128 and 4096"
    )
    bcrypt_cost: int = option(12, PASSWORDS, _between(4, 31), "must be between 4 and 31")
    refuse_common_passwords: bool = option(False, PASSWORDS)
    min_password_score: int | None = option(
        None, PASSWORDS, _optional(_between(0, 4)), "must be from 0 to 4, or None"
    )
    breached_password_check: bool = option(False, PASSWORDS)
    breached_password_api: str = option(
        "https://api.pwnedpasswords.com/range/",
        PASSWORDS,
        lambda v: v.startswith(("https://", "http://")),
        "must be an http(s) URL",
    )
    breached_password_timeout: float | int = option(
        2.0, PASSWORDS, lambda v: 0 < v <= 30, "must be more than 0 and at most 30 seconds"
    )
    max_failed_logins: int = option(10, THROTTLE, _positive, "must be at least 1")
    max_failed_logins_per_username: int | None = option(
        None, THROTTLE, _optional(_positive), "must be at least 1"
    )
    max_failed_logins_per_address: int = option(100, THROTTLE, _positive, "must be at least 1")
    lockout_seconds: int = option(15 * 60, THROTTLE, _positive, "must be at least 1")
    anonymous_rate_limit: int = option(1000, THROTTLE, _positive, "must be at least 1")
    cookie_secure: bool | None = option(None, SESSIONS)
    remember_me: bool = option(False, SESSIONS)
    remember_lifetime: int = option(
        30 * 24 * 60 * 60,
        SESSIONS,
        _between(1, MAX_KEY_LIFETIME),
        "must be a positive number of seconds",
    )
    allowed_origins: tuple[str, ...] = option((), SESSIONS, _strings, "must be a list of strings")
    max_body_bytes: int = option(64 * 1024, SESSIONS, lambda v: v >= 1024, "must be at least 1024")
    idle_timeout: int | None = option(
        None, SESSIONS, _optional(_positive), "must be a positive number of seconds"
    )
    last_used_interval: int = option(
        5 * 60, SESSIONS, _positive, "must be a positive number of seconds"
    )
    api_keys_per_user: int = option(20, KEYS, _between(1, 1000), "must be between 1 and 1000")
    api_key_max_lifetime: int | None = option(
        None,
        KEYS,
        _optional(_between(1, MAX_KEY_LIFETIME)),
        "must be a positive number of seconds, at most 100 years",
    )
    console: bool = option(False, CONSOLE)
    registration: bool = option(False, MAIL)
    email_verification: str | None = option(
        None,
        MAIL,
        lambda v: v in (None, "required", "optional"),
        "must be 'required', 'optional' or None",
    )
    password_reset: bool = option(False, MAIL)
    email_change: bool = option(False, MAIL)
    frontend_url: str | None = option(
        None,
        MAIL,
        _optional(lambda v: v.startswith(("https://", "http://")) and "{token}" in v),
        "must be an absolute http(s) URL containing '{token}'",
    )
    reset_token_lifetime: int = option(
        60 * 60, MAIL, _between(60, 24 * 3600), "must be between 60 and 86400 seconds"
    )
    verification_token_lifetime: int = option(
        24 * 60 * 60, MAIL, lambda v: v >= 60, "must be at least 60 seconds"
    )
    email_change_token_lifetime: int = option(
        24 * 60 * 60, MAIL, lambda v: v >= 60, "must be at least 60 seconds"
    )
    mail_rate_limit: int = option(5, MAIL, _positive, "must be at least 1")
    email_sign_in: bool = option(False, MAIL)
    totp: bool = option(False, SECOND_FACTOR)
    totp_issuer: str = option(
        "frappyauth",
        SECOND_FACTOR,
        lambda v: bool(v) and ":" not in v and v.isprintable(),
        "must be non-empty printable text without ':'",
    )
    mfa_encryption_key: str | None = option(
        None, SECOND_FACTOR, _optional(lambda v: len(v) >= 32), "must have at least 32 characters"
    )
    require_mfa_for: tuple[str, ...] = option(
        (),
        SECOND_FACTOR,
        lambda v: all(isinstance(p, str) and p for p in v),
        "must be a list of non-empty strings",
    )
    passkeys: bool = option(False, SECOND_FACTOR)
    passwordless: bool = option(False, SECOND_FACTOR)
    webauthn_rp_id: str | None = option(
        None,
        SECOND_FACTOR,
        _optional(lambda v: bool(v) and "/" not in v and ":" not in v),
        "must be a host name, without scheme or port",
    )
    webauthn_rp_name: str = option(
        "frappyauth",
        SECOND_FACTOR,
        lambda v: bool(v) and v.isprintable(),
        "must be non-empty printable text",
    )
    webauthn_origins: tuple[str, ...] = option(
        (), SECOND_FACTOR, _origins, "must be a list of origins like https://host"
    )
    webauthn_user_verification: str = option(
        "preferred",
        SECOND_FACTOR,
        lambda v: v in ("required", "preferred", "discouraged"),
        "must be 'required', 'preferred' or 'discouraged'",
    )
    trusted_devices: bool = option(False, SECOND_FACTOR)
    trusted_device_lifetime: int = option(
        30 * 24 * 60 * 60,
        SECOND_FACTOR,
        _between(60, 400 * 24 * 60 * 60),
        "must be between 60 seconds and 400 days",
    )
    trusted_devices_skip_required: bool = option(False, SECOND_FACTOR)

    identity_providers: dict[str, Any] | None = option(None, IDENTITY_PROVIDERS)
    identity_merge_verified_email: bool = option(False, IDENTITY_PROVIDERS)
    identity_sign_up_domains: tuple[str, ...] = option(
        (), IDENTITY_PROVIDERS, _strings, "must be a list of address domains"
    )

    audit_trail: bool = option(False, AUDIT)
    audit_retention_days: int = option(
        180, AUDIT, _between(1, 36500), "must be from 1 to 36500 days"
    )
    allow_self_delete: bool = option(False, PRIVACY)
    new_device_alerts: bool = option(False, MAIL)
    new_device_window_days: int = option(90, MAIL, _between(1, 3650), "must be from 1 to 3650 days")
    impersonation: bool = option(False, AUDIT)
    impersonation_permission: str = option("impersonate", AUDIT, bool, "must be a non-empty string")

    roles: bool = option(False, ACCOUNTS)
    suspension: bool = option(False, ACCOUNTS)
    login_history: bool = option(False, ACCOUNTS)

    @property
    def mail_flows(self) -> bool:
        """Whether any mail flow is on (and so addresses are normalised and unique)."""
        return (
            self.registration
            or self.email_verification is not None
            or self.password_reset
            or self.email_change
            or self.email_sign_in
        )


@functools.cache
def _accepted_types() -> dict[str, tuple[type, ...]]:
    """Each option's accepted types, from its annotation: `X | None` also takes None, a tuple a
    list."""
    accepted: dict[str, tuple[type, ...]] = {}
    for name, hint in typing.get_type_hints(Options).items():
        members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        accepted[name] = tuple(t for member in members for t in _runtime_types(member))
    return accepted


def _runtime_types(member: Any) -> tuple[type, ...]:
    """What `isinstance` checks for one member of an annotation: a tuple also takes a list, a
    `dict[...]` any dict."""
    origin = typing.get_origin(member)
    if origin is tuple:
        return (list, tuple)
    return (origin,) if origin is not None else (member,)


def build_options(override: Mapping[str, Any] | None) -> Options:
    """Return the defaults with `override` applied; raise `ValueError` naming the first bad
    option."""
    override = dict(override or {})
    known = list(_FIELDS)
    unknown = sorted(set(override) - set(known))
    if unknown:
        closest = difflib.get_close_matches(str(unknown[0]), known, n=1)
        hint = (
            f" Did you mean {closest[0]!r}?" if closest else f" Known options: {', '.join(known)}."
        )
        raise ValueError(f"Unknown frappyauth option {unknown[0]!r}.{hint}")
    for name, value in override.items():
        _check(name, value)
        if isinstance(value, list):
            override[name] = tuple(value)
    if "allowed_origins" in override:
        override["allowed_origins"] = tuple(
            _allowed_origin(entry) for entry in override["allowed_origins"]
        )
    options = Options(**override)
    if options.no_user_management and options.allow_own_profile_edit:
        # Own-profile edits are one of the user-management endpoints that no_user_management leaves
        # out.
        raise ValueError(
            "frappyauth options 'no_user_management' and 'allow_own_profile_edit' cannot both be "
            "on: no_user_management removes the profile endpoint that allow_own_profile_edit opens."
        )
    if options.idle_timeout is not None and options.idle_timeout <= options.last_used_interval:
        # "Last used" is only as precise as the interval: a shorter idle timeout would end busy
        # sessions.
        raise ValueError(
            "frappyauth option 'idle_timeout' must be longer than 'last_used_interval'."
        )
    if options.mail_flows and options.frontend_url is None:
        # Links built from the request's Host header could be pointed at an attacker's site (reset
        # poisoning).
        raise ValueError(
            "frappyauth option 'frontend_url' is needed by the mail flows (registration, "
            "email_verification, password_reset, email_change, email_sign_in)."
        )
    if options.require_mfa_for and not (options.totp or options.passkeys):
        raise ValueError(
            "frappyauth option 'require_mfa_for' needs option 'totp' or 'passkeys' on: there is "
            "nothing to enrol in."
        )
    if options.new_device_alerts and not options.password_reset:
        # The alert's "this wasn't me" link ends in a password reset, whose page needs that flow.
        raise ValueError(
            "frappyauth option 'new_device_alerts' needs option 'password_reset' on (and so "
            "'frontend_url' and a mailer): the alert's link starts a password reset."
        )
    if options.trusted_devices and not (options.totp or options.passkeys):
        raise ValueError(
            "frappyauth option 'trusted_devices' needs option 'totp' or 'passkeys' on: there is "
            "no second factor to skip."
        )
    if options.passwordless and not options.passkeys:
        raise ValueError("frappyauth option 'passwordless' needs option 'passkeys' on.")
    provider_settings(options.identity_providers)  # raises ValueError naming a bad entry
    _check_impersonation(options)
    return options


def _check_impersonation(options: Options) -> None:
    """Impersonation is audited, asks for a recent second factor, and is not an admin's right."""
    if not options.impersonation:
        return
    if not options.audit_trail or not (options.totp or options.passkeys):
        raise ValueError(
            "frappyauth option 'impersonation' needs option 'audit_trail' on (every request "
            "is recorded) and 'totp' or 'passkeys' on (it asks for a recent second factor)."
        )
    if options.impersonation_permission == options.user_admin_permission:
        raise ValueError(
            "frappyauth option 'impersonation_permission' must differ from "
            "'user_admin_permission': administrators do not impersonate by that alone."
        )


def _check(name: str, value: Any) -> None:
    accepted, rule = _accepted_types()[name], _FIELDS[name].metadata
    is_valid, reason = rule["check"], rule["reason"]
    # bool is an int subclass: True must not pass as a page size.
    if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
        expected = " or ".join("None" if t is type(None) else t.__name__ for t in accepted)
        raise ValueError(
            f"frappyauth option {name!r} must be of type {expected}, not {type(value).__name__}."
        )
    if is_valid is not None and not is_valid(value):
        raise ValueError(f"frappyauth option {name!r} {reason}.")


DEFAULT_PORTS = {"http": "80", "https": "443"}
_HOST = re.compile(r"[a-z0-9_.-]+|\[[0-9a-f:.]+\]")


def normal_origin(text: str) -> str | None:
    """`scheme://host[:port]` in the form browsers send it (lower case, no default port), or `None`
    when `text` is not such an origin (`null`, `*`, a path, a query, a user name, another
    scheme)."""
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return None
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    host = netloc.rsplit(":", 1)[0] if port is not None else netloc
    if (
        scheme not in DEFAULT_PORTS
        or not _HOST.fullmatch(host)
        or port == 0
        or text.lower() != f"{scheme}://{netloc}"
    ):
        return None
    return (
        f"{scheme}://{host}"
        if port is None or str(port) == DEFAULT_PORTS[scheme]
        else f"{scheme}://{host}:{port}"
    )


def _allowed_origin(entry: str) -> str:
    origin = normal_origin(entry)
    if origin is None:
        raise ValueError(
            f"frappyauth option 'allowed_origins' has {entry!r}, which is not an origin "
            "'http(s)://host[:port]' (no path, no trailing '/', not 'null' or '*')."
        )
    return origin


_FIELDS = {option_field.name: option_field for option_field in fields(Options)}
