"""The sign-in tests' providers work as the tests rely on: node-oidc-provider (discovery, the code
flow with PKCE, signed ID tokens, a cancelled consent, the malicious modes) and the stand-in shaped
like GitHub's OAuth app API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from github_shape import approve_github_authorization
from oidc_support import ID_TOKEN_TAMPERS, OidcProvider, authorize_in_browserless_session

requests_client = pytest.importorskip(
    "authlib.integrations.requests_client", reason="Authlib comes with the oidc extra"
)
joserfc = pytest.importorskip("joserfc", reason="joserfc comes with Authlib (the oidc extra)")
from joserfc import jwk, jwt  # noqa: E402 - after the skip above
from joserfc.errors import JoseError  # noqa: E402


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def client_for(provider: OidcProvider, scope: str = "openid email profile") -> Any:
    return requests_client.OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=scope,
        redirect_uri=provider.redirect_uris[0],
        code_challenge_method="S256",
        token_endpoint_auth_method=provider.token_endpoint_auth_method,
    )


def sign_in(provider: OidcProvider, login: str, scope: str = "openid email profile") -> dict:
    """The token endpoint's answer after `login` signed in, with the nonce that was sent."""
    metadata = provider.metadata()
    client = client_for(provider, scope)
    verifier, nonce = "v" * 50, f"nonce-{login}"
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = authorize_in_browserless_session(url, login)
    assert query_of(callback)["state"] == state
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    return {**token, "nonce": nonce, "callback": callback}


def verified_claims(provider: OidcProvider, id_token: str, nonce: str) -> dict:
    """The ID token's claims if its RS256 signature verifies against the provider's JWKS and its
    issuer, audience, nonce and expiry are right; raises JoseError otherwise."""
    jwks = requests.get(provider.metadata()["jwks_uri"], timeout=10).json()
    claims = jwt.decode(id_token, jwk.KeySet.import_key_set(jwks), algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(claims)
    return claims


def test_discovery_names_the_issuer_and_offers_pkce_with_s256_only(oidc_provider):
    provider = oidc_provider()
    metadata = provider.metadata()
    assert metadata["issuer"] == provider.issuer == provider.url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_the_code_flow_with_pkce_yields_an_id_token_signed_by_the_jwks_key(
    oidc_provider, auth_method
):
    provider = oidc_provider(token_endpoint_auth_method=auth_method)
    token = sign_in(provider, "alice")
    assert query_of(token["callback"])["iss"] == provider.issuer
    claims = verified_claims(provider, token["id_token"], token["nonce"])
    assert (claims["sub"], claims["email"], claims["email_verified"]) == (
        "alice",
        "alice@example.com",
        True,
    )
    assert claims["name"] == "Alice Liddell"


def test_the_groups_claim_comes_with_the_groups_scope(oidc_provider):
    provider = oidc_provider()
    token = sign_in(provider, "bob", scope="openid email groups")
    claims = verified_claims(provider, token["id_token"], token["nonce"])
    assert claims["groups"] == ["staff", "admins"] and claims["email_verified"] is False


def test_an_authorization_request_without_pkce_is_refused(oidc_provider):
    provider = oidc_provider()
    client = client_for(provider)
    client.code_challenge_method = None
    url, _ = client.create_authorization_url(provider.metadata()["authorization_endpoint"])
    callback = authorize_in_browserless_session(url, "alice")
    assert query_of(callback)["error"] == "invalid_request"


def test_a_wrong_code_verifier_is_refused_at_the_token_endpoint(oidc_provider):
    provider = oidc_provider()
    metadata, client = provider.metadata(), client_for(provider)
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier="a" * 50, nonce="n"
    )
    callback = authorize_in_browserless_session(url, "alice")
    with pytest.raises(Exception, match="invalid_grant"):
        client.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier="b" * 50
        )


def test_cancelling_the_consent_sends_access_denied_to_the_callback(oidc_provider):
    provider = oidc_provider()
    client = client_for(provider)
    url, state = client.create_authorization_url(
        provider.metadata()["authorization_endpoint"], code_verifier="v" * 50
    )
    callback = authorize_in_browserless_session(url, "alice", consent=False)
    assert callback.startswith(provider.redirect_uris[0] + "?")
    assert query_of(callback) == {
        "error": "access_denied",
        "error_description": "End-User aborted interaction",
        "state": state,
        "iss": provider.issuer,
    }


def test_an_unknown_account_cannot_sign_in(oidc_provider):
    provider = oidc_provider()
    url, _ = client_for(provider).create_authorization_url(
        provider.metadata()["authorization_endpoint"], code_verifier="v" * 50
    )
    with pytest.raises(AssertionError, match="server_error"):
        authorize_in_browserless_session(url, "mallory")


def test_a_second_provider_is_another_issuer_and_says_so_in_its_redirects(oidc_provider):
    honest, evil = oidc_provider(), oidc_provider(name="evil")
    assert evil.issuer != honest.issuer
    assert evil.redirect_uris == ("http://localhost/api/user/sso/evil/callback",)
    token = sign_in(evil, "alice")
    assert query_of(token["callback"])["iss"] == evil.issuer
    with pytest.raises(JoseError):
        verified_claims(honest, token["id_token"], token["nonce"])


def test_a_provider_may_claim_an_issuer_other_than_where_it_answers(oidc_provider):
    impostor = oidc_provider(name="impostor", issuer="https://idp.example")
    metadata = impostor.metadata()
    assert impostor.metadata_url.startswith(impostor.url + "/")
    assert metadata["issuer"] == impostor.issuer == "https://idp.example" != impostor.url


def header_of(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


@pytest.mark.parametrize("mode", ID_TOKEN_TAMPERS)
def test_each_malicious_mode_sends_an_id_token_a_client_must_refuse(oidc_provider, mode):
    provider = oidc_provider(name="malicious", id_token_tamper=mode)
    token = sign_in(provider, "alice")
    with pytest.raises(JoseError):
        verified_claims(provider, token["id_token"], token["nonce"])
    assert oidc_provider(name="malicious") is provider  # the same process, honest again
    honest = sign_in(provider, "alice")
    assert verified_claims(provider, honest["id_token"], honest["nonce"])["sub"] == "alice"


def test_the_key_confusion_mode_is_an_hmac_keyed_with_the_advertised_public_key(oidc_provider):
    provider = oidc_provider(name="malicious")
    provider.set_id_token_tamper("hmac_public_key")
    id_token = sign_in(provider, "alice")["id_token"]
    jwks = requests.get(provider.metadata()["jwks_uri"], timeout=10).json()
    public_pem = jwk.RSAKey.import_key(jwks["keys"][0]).as_pem(private=False)
    signing_input, _, signature = id_token.rpartition(".")
    expected = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert header_of(id_token)["alg"] == "HS256"
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature


def test_after_a_key_rotation_id_tokens_carry_a_kid_the_old_jwks_lacks(oidc_provider):
    provider = oidc_provider(name="rotation")
    jwks_uri = provider.metadata()["jwks_uri"]
    old_kids = {key["kid"] for key in requests.get(jwks_uri, timeout=10).json()["keys"]}
    provider.rotate_signing_key()
    token = sign_in(provider, "alice")
    kid = header_of(token["id_token"])["kid"]
    assert kid not in old_kids
    assert requests.get(jwks_uri, timeout=10).json()["keys"][0]["kid"] == kid
    assert verified_claims(provider, token["id_token"], token["nonce"])["sub"] == "alice"


def github_client(stand_in: Any, scope: str = "read:user user:email") -> Any:
    return requests_client.OAuth2Session(
        stand_in.client_id,
        stand_in.client_secret,
        scope=scope,
        redirect_uri=stand_in.redirect_uris[0],
        code_challenge_method="S256",
    )


def test_the_github_stand_in_gives_the_numeric_id_and_the_addresses(github_like_provider):
    stand_in = github_like_provider()
    client = github_client(stand_in)
    url, state = client.create_authorization_url(stand_in.authorize_url, code_verifier="v" * 50)
    callback = approve_github_authorization(url, "octo-alice")
    assert query_of(callback)["state"] == state
    client.fetch_token(
        stand_in.access_token_url, authorization_response=callback, code_verifier="v" * 50
    )
    user = client.get(stand_in.api_base_url + "user").json()
    assert (user["id"], user["login"], user["email"]) == (583231, "octo-alice", None)
    emails = client.get(stand_in.api_base_url + "user/emails").json()
    assert [(e["email"], e["primary"], e["verified"]) for e in emails] == [
        ("alice@example.com", True, True),
        ("old@example.net", False, False),
    ]


def test_the_github_stand_in_spends_codes_checks_pkce_and_scopes(github_like_provider):
    stand_in = github_like_provider()
    client = github_client(stand_in, scope="read:user")
    url, _ = client.create_authorization_url(stand_in.authorize_url, code_verifier="v" * 50)
    code = query_of(approve_github_authorization(url, "octo-alice"))["code"]
    form = {"code": code, "redirect_uri": stand_in.redirect_uris[0], "code_verifier": "w" * 50}
    auth, accept = (stand_in.client_id, stand_in.client_secret), {"Accept": "application/json"}
    answer = requests.post(stand_in.access_token_url, data=form, auth=auth, headers=accept)
    assert (answer.status_code, answer.json()["error"]) == (200, "bad_verification_code")
    url, _ = client.create_authorization_url(stand_in.authorize_url, code_verifier="v" * 50)
    form["code"] = query_of(approve_github_authorization(url, "octo-alice"))["code"]
    form["code_verifier"] = "v" * 50
    token = requests.post(stand_in.access_token_url, data=form, auth=auth).text
    assert parse_qs(token)["token_type"] == ["bearer"]
    again = requests.post(stand_in.access_token_url, data=form, auth=auth, headers=accept)
    assert again.json()["error"] == "bad_verification_code"
    bearer = {"Authorization": f"Bearer {parse_qs(token)['access_token'][0]}"}
    assert requests.get(stand_in.api_base_url + "user", headers=bearer).status_code == 200
    assert requests.get(stand_in.api_base_url + "user/emails", headers=bearer).status_code == 404


def test_denying_on_the_github_stand_in_sends_access_denied(github_like_provider):
    stand_in = github_like_provider()
    url, state = github_client(stand_in).create_authorization_url(stand_in.authorize_url)
    callback = approve_github_authorization(url, "octo-alice", approve=False)
    assert query_of(callback) == {"error": "access_denied", "state": state}


def test_authlibs_flask_client_signs_in_through_the_driver_and_the_flask_test_client(
    oidc_provider,
):
    """The lead's path: the app's redirect to the provider, the driver, then the callback fed to
    the Flask test client, under Authlib's Flask client (discovery, PKCE, nonce, the JWKS)."""
    flask = pytest.importorskip("flask")
    flask_client = pytest.importorskip("authlib.integrations.flask_client")
    provider = oidc_provider()
    app = flask.Flask(__name__)
    app.secret_key = "test"
    oauth = flask_client.OAuth(app)
    idp = oauth.register(
        "idp",
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.metadata_url,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    app.add_url_rule(
        "/api/user/sso/idp/start",
        "start",
        lambda: idp.authorize_redirect(provider.redirect_uris[0]),
    )
    app.add_url_rule(
        "/api/user/sso/idp/callback",
        "callback",
        lambda: idp.authorize_access_token()["userinfo"],
    )
    client = app.test_client()
    location = client.get("/api/user/sso/idp/start").headers["Location"]
    callback = authorize_in_browserless_session(location, "alice")
    userinfo = client.get(callback.removeprefix("http://localhost")).get_json()
    assert (userinfo["iss"], userinfo["sub"], userinfo["email"]) == (
        provider.issuer,
        "alice",
        "alice@example.com",
    )
