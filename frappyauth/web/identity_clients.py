"""Talking to identity providers through Authlib's Flask client (the `oidc` extra): the redirect to
a provider, and the validation of its answer into a `ProviderAccount`.

Authlib does the protocol: PKCE (S256), the code exchange, and the ID token's signature (from the
provider's JWKS, fetched again once on an unknown `kid`), issuer, audience, expiry and nonce. Added
here: the flow's values live in a short-lived signed cookie instead of Flask's session (see
`identity_flow`), RFC 9207's `iss` is checked where a provider sends it (mix-up defence), `none` and
HMAC algorithms are never accepted for an ID token, and GitHub's OAuth-only API gives its subject
and its primary verified address.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from joserfc.errors import JoseError

from frappyauth.core.errors import ProviderRefusedError, ProviderUnavailableError
from frappyauth.core.identity_providers import GITHUB, ProviderAccount, ProviderSettings

TIMEOUT = 10  # seconds for each call to a provider: a slow provider must not hold a worker long
# Asymmetric signatures only: `none` is no signature, and an HMAC "signed" with the provider's
# public key would be forgeable by anyone who read the JWKS.
SAFE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")


class IdentityClients:
    """One Authlib client per configured provider, built once per app."""

    def __init__(self, providers: Mapping[str, ProviderSettings]) -> None:
        self._settings = dict(providers)
        self._clients = {name: _client(settings) for name, settings in providers.items()}

    def authorization(
        self, name: str, redirect_uri: str, state: str, secrets: Mapping[str, str]
    ) -> str:
        """The provider's authorization URL for a new flow, with the flow's PKCE challenge (of
        `secrets["code_verifier"]`) and, for OpenID Connect, its nonce."""
        client, is_oidc = self._clients[name], self._settings[name].kind != GITHUB
        extra = {"nonce": secrets["nonce"]} if is_oidc else {}
        with _provider_call():
            if is_oidc:
                self._metadata(name)
            created = client.create_authorization_url(
                redirect_uri, state=state, code_verifier=secrets["code_verifier"], **extra
            )
        return str(created["url"])

    def account(
        self, name: str, args: Mapping[str, str], flow: Mapping[str, Any]
    ) -> ProviderAccount:
        """Validate the provider's answer at the callback (`args`: its query) against the flow
        that started it; return what it asserts. `ProviderRefusedError` with a code for every
        refusal, `ProviderUnavailableError` when it cannot be reached."""
        settings, client = self._settings[name], self._clients[name]
        if "error" in args:
            refused = "access_denied" if args["error"] == "access_denied" else "provider_error"
            raise ProviderRefusedError("The identity provider did not sign you in.", reason=refused)
        with _provider_call():
            if settings.kind == GITHUB:
                return self._github_account(settings, client, args, flow)
            return self._oidc_account(name, settings, client, args, flow)

    def _oidc_account(
        self,
        name: str,
        settings: ProviderSettings,
        client: FlaskOAuth2App,
        args: Mapping[str, str],
        flow: Mapping[str, Any],
    ) -> ProviderAccount:
        metadata = self._metadata(name)
        issuer = metadata["issuer"]
        _check_response_issuer(args, issuer, metadata)
        token = client.fetch_access_token(
            flow["redirect_uri"], code=args.get("code", ""), code_verifier=flow["code_verifier"]
        )
        claims = client.parse_id_token(
            token, nonce=flow["nonce"], claims_options=_checked(issuer, client)
        )
        if claims is None or not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise ProviderRefusedError("The provider sent no ID token.", reason="invalid_id_token")
        email = claims.get("email")
        return ProviderAccount(
            provider=name,
            issuer=issuer,
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=claims.get("email_verified") is True,
            name_hint=_text(claims.get("preferred_username")) or _text(claims.get("nickname")),
            claims=dict(claims),
        )

    def _github_account(
        self,
        settings: ProviderSettings,
        client: FlaskOAuth2App,
        args: Mapping[str, str],
        flow: Mapping[str, Any],
    ) -> ProviderAccount:
        token = client.fetch_access_token(
            flow["redirect_uri"], code=args.get("code", ""), code_verifier=flow["code_verifier"]
        )
        user = _json(client.get("user", token=token))
        emails = _json(client.get("user/emails", token=token))
        # Only the primary address, and only verified: GitHub lets anyone add any address.
        primary = next(
            (e for e in emails if isinstance(e, dict) and e.get("primary") and e.get("verified")),
            None,
        )
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise ProviderRefusedError("GitHub's answer has no user id.", reason="provider_error")
        return ProviderAccount(
            provider=settings.name,
            issuer=settings.issuer,
            subject=str(user["id"]),
            email=_text(primary.get("email")) if primary else None,
            email_verified=primary is not None,
            name_hint=_text(user.get("login")),
            claims={},
        )

    def _metadata(self, name: str) -> dict[str, Any]:
        """The discovery document, loaded once; its issuer must be the configured one (OpenID
        Connect Discovery 4.3), and only asymmetric ID token signatures are allowed."""
        client, settings = self._clients[name], self._settings[name]
        metadata = client.load_server_metadata()
        if metadata.get("issuer") != settings.issuer:
            raise ProviderRefusedError(
                "The provider's discovery document names another issuer.", reason="wrong_issuer"
            )
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [
            alg for alg in offered if alg in SAFE_ALGORITHMS
        ] or ["RS256"]
        return metadata


def _checked(issuer: str, client: FlaskOAuth2App) -> dict[str, Any]:
    """The ID token's claims that must hold beyond Authlib's own checks: this issuer, and this
    client among the audiences (Authlib alone accepts another audience with our `azp`)."""
    return {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "values": [client.client_id]},
    }


def _client(settings: ProviderSettings) -> FlaskOAuth2App:
    extra: dict[str, Any] = {}
    if settings.kind == GITHUB:
        extra = {
            "authorize_url": settings.authorize_url,
            "access_token_url": settings.token_url,
            "api_base_url": settings.api_url,
        }
    return FlaskOAuth2App(
        FlaskIntegration(settings.name),
        settings.name,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.metadata_url,
        client_kwargs={
            "scope": " ".join(settings.scopes),
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT,
        },
        **extra,
    )


def _check_response_issuer(
    args: Mapping[str, str], issuer: str, metadata: Mapping[str, Any]
) -> None:
    """RFC 9207: an `iss` in the answer must be this provider's; a provider that says it sends one
    must have sent it (else the answer may come from another provider: a mix-up)."""
    sent = args.get("iss")
    if sent is None and metadata.get("authorization_response_iss_parameter_supported") is True:
        raise ProviderRefusedError("The answer does not name its issuer.", reason="wrong_issuer")
    if sent is not None and sent != issuer:
        raise ProviderRefusedError("The answer came from another issuer.", reason="wrong_issuer")


@contextmanager
def _provider_call() -> Iterator[None]:
    """Turns what a call to a provider can raise into the core's errors."""
    try:
        yield
    except (requests.ConnectionError, requests.Timeout) as error:
        raise ProviderUnavailableError(retry_after=30) from error
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else 502
        if status >= 500:
            raise ProviderUnavailableError(retry_after=30) from error
        raise ProviderRefusedError(reason="provider_error") from error
    # ArithmeticError: an `expires_in` of 1e400 overflows Authlib's arithmetic.
    except (OAuthError, JoseError, KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise ProviderRefusedError(reason="invalid_id_token") from error


def _json(response: Any) -> Any:
    response.raise_for_status()
    return response.json()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
