"""Option `identity_providers`: presets fill in what is fixed, every provider's issuer is pinned
(links are found by issuer and subject), and a bad entry stops registration with a sentence that
names it."""

from __future__ import annotations

from typing import Any

import pytest

from frappyauth.core.identity_providers import GITHUB, provider_settings
from frappyauth.core.options import build_options

SECRETS = {"client_id": "id", "client_secret": "secret"}
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_google_is_a_preset_that_verifies_addresses() -> None:
    (google,) = provider_settings({"google": SECRETS}).values()
    assert google.issuer == "https://accounts.google.com"
    assert google.metadata_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert google.verifies_email and google.scopes == ("openid", "email", "profile")


def test_microsoft_pins_the_tenants_issuer_and_never_merges_by_address() -> None:
    (entra,) = provider_settings({"microsoft": {**SECRETS, "tenant": TENANT}}).values()
    assert entra.issuer == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert TENANT in (entra.metadata_url or "") and entra.verifies_email is False


@pytest.mark.parametrize("tenant", [None, "common", "organizations", "contoso.onmicrosoft.com"])
def test_microsoft_needs_a_tenant_id(tenant: Any) -> None:
    entry = {**SECRETS, **({"tenant": tenant} if tenant else {})}
    with pytest.raises(ValueError, match="'tenant'"):
        provider_settings({"microsoft": entry})


def test_github_is_oauth_with_github_coms_issuer_and_enterprise_its_own() -> None:
    (github,) = provider_settings({"github": SECRETS}).values()
    assert github.kind == GITHUB and github.issuer == "https://github.com"
    enterprise = {
        **SECRETS,
        "preset": "github",
        "authorize_url": "https://git.corp.example/login/oauth/authorize",
        "token_url": "https://git.corp.example/login/oauth/access_token",
        "api_url": "https://git.corp.example/api/v3/",
    }
    both = provider_settings({"github": SECRETS, "ghe": enterprise})
    assert both["ghe"].issuer == "https://git.corp.example"


def test_a_generic_provider_needs_its_issuer_even_with_a_metadata_url() -> None:
    with pytest.raises(ValueError, match="'issuer'"):
        provider_settings({"corp": {**SECRETS, "metadata_url": "https://sso.example/meta"}})
    (corp,) = provider_settings(
        {
            "corp": {
                **SECRETS,
                "issuer": "https://sso.example",
                "metadata_url": "https://m.example/x",
            }
        }
    ).values()
    assert (corp.issuer, corp.metadata_url) == ("https://sso.example", "https://m.example/x")


def test_two_providers_may_not_share_an_issuer() -> None:
    with pytest.raises(ValueError, match="two providers have the issuer"):
        provider_settings(
            {
                "a": {**SECRETS, "issuer": "https://x.example"},
                "b": {**SECRETS, "issuer": "https://x.example"},
            }
        )


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"issuer": "http://sso.example"}, "https URL"),  # http only on loopback
        ({"issuer": "https://sso.example", "client_secret": ""}, "client_secret"),
        ({"issuer": "https://sso.example", "colour": "red"}, "unknown setting 'colour'"),
        ({"issuer": "https://sso.example", "preset": "okta"}, "unknown preset"),
        ({"issuer": "https://sso.example", "scopes": [1]}, "'scopes'"),
        (
            {"issuer": "https://sso.example", "claim_permissions": {"g": "admin"}},
            "claim_permissions",
        ),
        ({"issuer": "https://sso.example", "kind": "saml"}, "kind"),
    ],
)
def test_a_bad_entry_is_named(entry: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        build_options({"identity_providers": {"corp": {**SECRETS, **entry}}})


@pytest.mark.parametrize("name", ["Corp", "a/b", "", "x" * 33, 5])
def test_a_name_must_fit_in_a_url(name: Any) -> None:
    with pytest.raises(ValueError, match="a name must be"):
        provider_settings({name: {**SECRETS, "issuer": "https://sso.example"}})


def test_loopback_http_is_allowed_for_development() -> None:
    (local,) = provider_settings({"dev": {**SECRETS, "issuer": "http://127.0.0.1:8080"}}).values()
    assert local.metadata_url == "http://127.0.0.1:8080/.well-known/openid-configuration"
