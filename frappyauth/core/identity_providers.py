"""The identity providers of option `identity_providers`: their settings (with presets for Google,
Microsoft and GitHub), and what a provider asserts about its user after a sign-in.

Each entry of the option maps a name (used in URLs: `/sso/<name>/start`) to settings. A generic
OpenID Connect provider is found by discovery from its `issuer` (or a `metadata_url`, whose document
must name that issuer: the issuer is always configured, never taken from the provider); a preset
fills in what is fixed for its provider. GitHub speaks OAuth 2.0 without OpenID Connect: its
subject is the numeric user id and its address comes from `/user/emails`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

OIDC, GITHUB = "oidc", "github"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")

# What is fixed per provider. Entra ID's addresses are not verified by Microsoft (any tenant admin
# may set any address), so its `email` never merges accounts ("nOAuth").
PRESETS: dict[str, dict[str, Any]] = {
    "google": {
        "display_name": "Google",
        "issuer": "https://accounts.google.com",
        "verifies_email": True,
    },
    "microsoft": {
        "display_name": "Microsoft",
        "metadata_url": "https://login.microsoftonline.com/{tenant}/v2.0/"
        ".well-known/openid-configuration",
        "verifies_email": False,
    },
    "github": {
        "display_name": "GitHub",
        "kind": GITHUB,
        "issuer": "https://github.com",
        "authorize_url": "https://github.com/login/oauth/authorize",
        "token_url": "https://github.com/login/oauth/access_token",
        "api_url": "https://api.github.com/",
        "scopes": ("read:user", "user:email"),
        "verifies_email": True,
    },
}
SETTING_NAMES = {
    "preset",
    "display_name",
    "kind",
    "client_id",
    "client_secret",
    "issuer",
    "metadata_url",
    "tenant",
    "scopes",
    "verifies_email",
    "permissions_claim",
    "claim_permissions",
    "authorize_url",
    "token_url",
    "api_url",
}


@dataclass(frozen=True)
class ProviderSettings:
    """One configured provider."""

    name: str
    display_name: str
    kind: str  # OIDC (discovery) or GITHUB (OAuth 2.0 shaped like GitHub's API)
    client_id: str
    client_secret: str
    issuer: str  # the expected `iss`, always configured: links are found by (issuer, subject)
    metadata_url: str | None
    scopes: tuple[str, ...]
    verifies_email: bool  # whether its `email_verified` may ever merge accounts
    permissions_claim: str | None = None  # a claim whose values map to permissions (`groups`)
    claim_permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    authorize_url: str | None = None
    token_url: str | None = None
    api_url: str | None = None


@dataclass(frozen=True)
class ProviderAccount:
    """What a provider asserted about its user in one validated sign-in."""

    provider: str
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name_hint: str | None  # a name to derive a username from, for a new account
    claims: Mapping[str, Any] = field(default_factory=dict)


def provider_settings(option: Mapping[str, Any] | None) -> dict[str, ProviderSettings]:
    """Parse option `identity_providers`; raise `ValueError` naming the first bad entry."""
    if not option:
        return {}
    parsed = {name: _settings(name, entry) for name, entry in option.items()}
    issuers = [settings.issuer for settings in parsed.values()]
    shared = sorted({issuer for issuer in issuers if issuers.count(issuer) > 1})
    if shared:
        # Links are found by (issuer, subject): two providers of one issuer would open each
        # other's accounts.
        raise ValueError(
            f"frappyauth option 'identity_providers': two providers have the issuer {shared[0]!r}."
        )
    return parsed


def _settings(name: Any, entry: Any) -> ProviderSettings:
    where = f"frappyauth option 'identity_providers' entry {name!r}"
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f"{where}: a name must be 1-32 of a-z, 0-9, '_' and '-'.")
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be a mapping of settings.")
    unknown = sorted(set(entry) - SETTING_NAMES)
    if unknown:
        raise ValueError(f"{where}: unknown setting {unknown[0]!r}.")
    preset_name = entry.get("preset", name if name in PRESETS else None)
    if preset_name is not None and preset_name not in PRESETS:
        raise ValueError(f"{where}: unknown preset {preset_name!r}.")
    merged = {**PRESETS.get(preset_name, {}), **entry}
    for required in ("client_id", "client_secret"):
        if not isinstance(merged.get(required), str) or not merged[required]:
            raise ValueError(f"{where} needs {required!r} (text).")
    if preset_name == "microsoft":
        merged.update(_microsoft_urls(where, merged))
    kind = merged.get("kind", OIDC)
    if kind not in (OIDC, GITHUB):
        raise ValueError(f"{where}: kind must be 'oidc' or 'github'.")
    if kind == GITHUB and "issuer" not in entry:
        merged["issuer"] = _github_issuer(merged.get("authorize_url"))
    _check_urls(where, kind, merged)
    return ProviderSettings(
        name=name,
        display_name=str(merged.get("display_name") or name),
        kind=kind,
        client_id=merged["client_id"],
        client_secret=merged["client_secret"],
        issuer=merged["issuer"],
        metadata_url=merged.get("metadata_url") or _discovery_url(merged.get("issuer"), kind),
        scopes=_scopes(where, merged.get("scopes", ("openid", "email", "profile"))),
        verifies_email=bool(merged.get("verifies_email", False)),
        permissions_claim=merged.get("permissions_claim"),
        claim_permissions=_claim_permissions(where, merged.get("claim_permissions", {})),
        authorize_url=merged.get("authorize_url"),
        token_url=merged.get("token_url"),
        api_url=merged.get("api_url"),
    )


def _microsoft_urls(where: str, merged: Mapping[str, Any]) -> dict[str, str]:
    tenant = merged.get("tenant")
    # A tenant's id, not a domain: the issuer names the id. "common" and "organizations" answer
    # with a templated issuer that no single value matches.
    if not isinstance(tenant, str) or not TENANT_ID.fullmatch(tenant):
        raise ValueError(f"{where}: the microsoft preset needs 'tenant', your tenant's id.")
    return {
        "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0",
        "metadata_url": str(merged["metadata_url"]).replace("{tenant}", tenant),
    }


def _github_issuer(authorize_url: Any) -> str:
    """github.com's issuer, or, for GitHub Enterprise (and stand-ins), the server's own origin:
    one numeric id on two servers is two people."""
    parts = urlsplit(authorize_url if isinstance(authorize_url, str) else "")
    if parts.netloc in ("", "github.com"):
        return "https://github.com"
    return f"{parts.scheme}://{parts.netloc}"


def _discovery_url(issuer: str | None, kind: str) -> str | None:
    if kind != OIDC or issuer is None:
        return None
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _check_urls(where: str, kind: str, merged: Mapping[str, Any]) -> None:
    needed = ("issuer", "authorize_url", "token_url", "api_url") if kind == GITHUB else ("issuer",)
    for key in ("issuer", "metadata_url", "authorize_url", "token_url", "api_url"):
        value = merged.get(key)
        if value is None and key not in needed:
            continue
        if not isinstance(value, str) or not _is_safe_url(value):
            raise ValueError(
                f"{where}: {key!r} must be an https URL (http only on a loopback address)."
            )


def _is_safe_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.netloc.rsplit(":", 1)[0] in LOOPBACK_HOSTS


def _scopes(where: str, scopes: Any) -> tuple[str, ...]:
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, (list, tuple)) or not all(isinstance(s, str) for s in scopes):
        raise ValueError(f"{where}: 'scopes' must be a list of strings.")
    return tuple(scopes)


def _claim_permissions(where: str, mapping: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(mapping, Mapping) or not all(
        isinstance(value, str)
        and isinstance(granted, (list, tuple))
        and all(isinstance(p, str) for p in granted)
        for value, granted in mapping.items()
    ):
        raise ValueError(f"{where}: 'claim_permissions' must map claim values to permission lists.")
    return {value: tuple(granted) for value, granted in mapping.items()}


def claimed_permissions(settings: ProviderSettings, account: ProviderAccount) -> tuple[str, ...]:
    """The permissions the provider's `permissions_claim` grants (unknown values grant nothing)."""
    if settings.permissions_claim is None:
        return ()
    values = account.claims.get(settings.permissions_claim) or ()
    if isinstance(values, str):
        values = (values,)
    granted: list[str] = []
    for value in values if isinstance(values, (list, tuple)) else ():
        mapped = settings.claim_permissions.get(value, ()) if isinstance(value, str) else ()
        granted.extend(p for p in mapped if p not in granted)
    return tuple(granted)
