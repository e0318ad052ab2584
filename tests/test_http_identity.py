"""Sign-in through identity providers over HTTP, against a real OpenID Connect provider
(node-oidc-provider, OpenID Certified) and a stand-in shaped like GitHub's OAuth API, both on
loopback ports: the redirect, the provider's login and consent pages, the callback, the one-time
code and its exchange, linking and unlinking, and every refusal of a provider's answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from github_shape import approve_github_authorization
from http_support import USER_PASSWORD, auth, login
from mfa_support import enrol
from oidc_support import ID_TOKEN_TAMPERS, authorize_in_browserless_session

PREFIX = "/api/user"


def settings_of(provider: Any, **extra: Any) -> dict[str, Any]:
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "verifies_email": True,
        **extra,
    }


@pytest.fixture
def idp(oidc_provider: Any) -> Any:
    return oidc_provider(name="idp")


@pytest.fixture
def sso_app(make_mail_app: Any, idp: Any) -> Any:
    def build(providers: dict[str, Any] | None = None, **options: Any) -> Flask:
        options = {"registration": True, "email_verification": "optional", **options}
        return make_mail_app(identity_providers=providers or {"idp": settings_of(idp)}, **options)

    return build


def start(client: FlaskClient, provider: str = "idp", next_path: str = "/after") -> str:
    answer = client.get(f"{PREFIX}/sso/{provider}/start?" + urlencode({"next": next_path}))
    assert answer.status_code == 302, answer.get_json()
    return answer.headers["Location"]


def callback(client: FlaskClient, location: str) -> dict[str, list[str]]:
    """Follow the provider's redirect into the app; return the query the app redirects to."""
    parts = urlsplit(location)
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def sign_in(client: FlaskClient, login_name: str = "alice", provider: str = "idp") -> Any:
    outcome = callback(
        client, authorize_in_browserless_session(start(client, provider), login_name)
    )
    assert "sso_code" in outcome, outcome
    return client.post(f"{PREFIX}/sso/exchange", json={"code": outcome["sso_code"][0]})


def test_a_first_sign_in_makes_an_account_and_the_next_one_opens_it(sso_app: Any) -> None:
    client = sso_app(default_permissions=["view"]).test_client()
    first = sign_in(client)
    assert first.status_code == 200, first.get_json()
    user = first.get_json()["user"]
    assert user["email"] == "alice@example.com" and user["emailVerified"] is True
    assert user["permissions"] == ["view"]
    token = first.get_json()["token"]
    assert client.get(f"{PREFIX}", headers=auth(token)).get_json()["username"] == user["username"]
    again = sign_in(app_client := client)
    assert again.get_json()["user"]["id"] == user["id"]
    (linked,) = app_client.get(f"{PREFIX}/identities", headers=auth(token)).get_json()["identities"]
    assert linked["provider"] == "idp" and "subject" not in linked


def test_the_callback_redirects_to_next_with_a_one_time_code_never_a_session(sso_app: Any) -> None:
    client = sso_app().test_client()
    location = authorize_in_browserless_session(start(client, next_path="/app?tab=2"), "alice")
    parts = urlsplit(location)
    answer = client.get(f"{parts.path}?{parts.query}")
    target = urlsplit(answer.headers["Location"])
    query = parse_qs(target.query)
    assert target.path == "/app" and query["tab"] == ["2"] and set(query) == {"tab", "sso_code"}
    assert "frappyauth_session" not in answer.headers.get("Set-Cookie", "")
    code = query["sso_code"][0]
    assert client.post(f"{PREFIX}/sso/exchange", json={"code": code}).status_code == 200
    replay = client.post(f"{PREFIX}/sso/exchange", json={"code": code})
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_token"


def test_the_flow_cookie_is_httponly_lax_and_scoped(sso_app: Any) -> None:
    client = sso_app().test_client()
    answer = client.get(f"{PREFIX}/sso/idp/start")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("frappyauth_sso=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/user/sso/" in cookie


def test_a_provider_sign_in_still_asks_for_the_second_factor(sso_app: Any, clock: Any) -> None:
    client = sso_app(totp=True).test_client()
    token = sign_in(client).get_json()["token"]
    # An account made through a provider has no password to enrol with: give it one.
    with client.application.app_context():
        from frappyauth.web.state import current_state

        services = current_state().services
        user = services.sessions.identify(token).user
        services.accounts.reset_password(user.id, USER_PASSWORD, _admin_actor())
    token = login(client, user.username, USER_PASSWORD)
    enrol(client, token, USER_PASSWORD, clock.now)
    pending = sign_in(client).get_json()
    assert pending["mfaRequired"] is True and "token" not in pending


def _admin_actor() -> Any:
    from frappyauth.core.models import Actor

    return Actor("admin")


def test_the_exchange_is_throttled_like_every_anonymous_write(sso_app: Any) -> None:
    client = sso_app(anonymous_rate_limit=2).test_client()
    answers = [client.post(f"{PREFIX}/sso/exchange", json={"code": "x" * 43}) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]


def test_a_refusal_at_the_provider_comes_back_as_an_error_code(sso_app: Any) -> None:
    client = sso_app().test_client()
    location = authorize_in_browserless_session(start(client), "alice", consent=False)
    assert callback(client, location) == {"sso_error": ["access_denied"]}


def test_a_tampered_replayed_or_foreign_state_is_refused(sso_app: Any) -> None:
    app = sso_app()
    client = app.test_client()
    location = authorize_in_browserless_session(start(client), "alice")
    tampered = location.replace("state=", "state=x")
    assert callback(client, tampered) == {"sso_error": ["invalid_state"]}
    # Another browser (no flow cookie) opening the real answer: a login CSRF, refused.
    assert callback(app.test_client(), location) == {"sso_error": ["invalid_state"]}
    # The cookie was cleared by the refusal above; a new flow, then the old answer replayed.
    client2 = app.test_client()
    first = authorize_in_browserless_session(start(client2), "alice")
    assert "sso_code" in callback(client2, first)
    start(client2)
    assert callback(client2, first) == {"sso_error": ["invalid_state"]}


def test_an_answer_naming_another_issuer_is_refused(sso_app: Any) -> None:
    client = sso_app().test_client()
    location = authorize_in_browserless_session(start(client), "alice")
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert "iss" in query  # node-oidc-provider sends RFC 9207's iss
    query["iss"] = "http://127.0.0.1:9/another-issuer"
    mixed = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"
    assert callback(client, mixed) == {"sso_error": ["wrong_issuer"]}


def test_a_mix_up_with_a_malicious_provider_is_refused(sso_app: Any, oidc_provider: Any) -> None:
    """The attacker's provider sends its own answer, with the honest flow's state, to the honest
    provider's callback: RFC 9207's iss names the attacker's issuer, and it is refused."""
    evil = oidc_provider(name="evil", redirect_uris=["http://localhost/api/user/sso/idp/callback"])
    client = sso_app().test_client()
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    evil_request = (
        evil.metadata()["authorization_endpoint"]
        + "?"
        + urlencode(
            {
                "client_id": evil.client_id,
                "redirect_uri": "http://localhost/api/user/sso/idp/callback",
                "response_type": "code",
                "scope": "openid email",
                "state": state,
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            }
        )
    )
    location = authorize_in_browserless_session(evil_request, "alice")
    assert parse_qs(urlsplit(location).query)["iss"] == [evil.issuer]
    assert callback(client, location) == {"sso_error": ["wrong_issuer"]}


@pytest.mark.parametrize("tamper", ID_TOKEN_TAMPERS)
def test_a_forged_or_wrong_id_token_is_refused(
    make_mail_app: Any, oidc_provider: Any, tamper: str
) -> None:
    provider = oidc_provider(name="forger", id_token_tamper=tamper)
    app = make_mail_app(registration=True, identity_providers={"forger": settings_of(provider)})
    client = app.test_client()
    location = authorize_in_browserless_session(start(client, "forger"), "alice")
    assert callback(client, location) == {"sso_error": ["invalid_id_token"]}


def test_a_new_signing_key_is_fetched_once_on_an_unknown_kid(
    make_mail_app: Any, oidc_provider: Any
) -> None:
    provider = oidc_provider(name="rotating")
    app = make_mail_app(registration=True, identity_providers={"rotating": settings_of(provider)})
    client = app.test_client()
    assert sign_in(client, provider="rotating").status_code == 200
    provider.rotate_signing_key()
    assert sign_in(client, provider="rotating").status_code == 200


@pytest.mark.parametrize(
    "next_path", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_next_never_leaves_the_site_or_its_allowed_origins(sso_app: Any, next_path: str) -> None:
    client = sso_app(allowed_origins=["https://app.example"]).test_client()
    answer = client.get(f"{PREFIX}/sso/idp/start?" + urlencode({"next": next_path}))
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad_request"
    assert start(client, next_path="https://app.example/done").startswith("http://127.0.0.1")


def test_an_unreachable_provider_is_a_503(make_mail_app: Any) -> None:
    settings = {"issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"}
    client = make_mail_app(identity_providers={"down": settings}).test_client()
    answer = client.get(f"{PREFIX}/sso/down/start")
    assert answer.status_code == 503 and answer.get_json()["error"] == "provider_unavailable"


def test_an_existing_address_gets_account_exists_and_can_then_link(
    sso_app: Any, clock: Any
) -> None:
    app = sso_app()
    client = app.test_client()
    admin = login(client, "Admin", "admin password 1234")
    created = client.post(
        f"{PREFIX}/users",
        json={"username": "alice", "password": USER_PASSWORD, "email": "alice@example.com"},
        headers=auth(admin),
    )
    assert created.status_code == 200, created.get_json()
    location = authorize_in_browserless_session(start(client), "alice")
    assert callback(client, location) == {"sso_error": ["account_exists"]}
    # The owner signs in with the password and links the provider from the account's settings.
    token = login(client, "alice", USER_PASSWORD)
    linking = client.post(
        f"{PREFIX}/sso/idp/link/start", json={"next": "/settings"}, headers=auth(token)
    )
    assert linking.status_code == 200, linking.get_json()
    linked = callback(client, authorize_in_browserless_session(linking.get_json()["url"], "alice"))
    assert linked == {"sso_linked": ["idp"]}
    assert sign_in(client).get_json()["user"]["username"] == "alice"


def test_linking_needs_a_recent_login(sso_app: Any, clock: Any) -> None:
    client = sso_app().test_client()
    admin = login(client, "Admin", "admin password 1234")
    clock.advance(minutes=11)
    answer = client.post(f"{PREFIX}/sso/idp/link/start", json={}, headers=auth(admin))
    assert answer.status_code == 403 and answer.get_json()["error"] == "recent_login_required"


def test_unlinking_the_last_way_in_is_refused_but_an_admin_may(sso_app: Any) -> None:
    client = sso_app().test_client()
    signed_in = sign_in(client).get_json()
    token, user_id = signed_in["token"], signed_in["user"]["id"]
    (linked,) = client.get(f"{PREFIX}/identities", headers=auth(token)).get_json()["identities"]
    refused = client.delete(f"{PREFIX}/identities/{linked['id']}", headers=auth(token))
    assert refused.status_code == 409 and refused.get_json()["error"] == "last_way_in"
    admin = login(client, "Admin", "admin password 1234")
    listed = client.get(f"{PREFIX}/users/{user_id}/identities", headers=auth(admin)).get_json()
    assert [i["id"] for i in listed["identities"]] == [linked["id"]]
    removed = client.delete(
        f"{PREFIX}/users/{user_id}/identities/{linked['id']}", headers=auth(admin)
    )
    assert removed.status_code == 200
    # Sessions the identity may have opened end with it.
    assert client.get(f"{PREFIX}/identities", headers=auth(token)).status_code == 401
    listed = client.get(f"{PREFIX}/users/{user_id}/identities", headers=auth(admin)).get_json()
    assert listed["identities"] == []


def test_providers_are_listed_for_the_front_ends_buttons(sso_app: Any, idp: Any) -> None:
    providers = {"idp": settings_of(idp, display_name="Corporate login")}
    client = sso_app(providers).test_client()
    assert client.get(f"{PREFIX}/providers").get_json() == {
        "providers": [{"name": "idp", "displayName": "Corporate login"}]
    }


def test_without_the_option_the_endpoints_say_it_is_off(make_app: Any) -> None:
    answer = make_app().test_client().get(f"{PREFIX}/providers")
    assert answer.status_code == 404 and "identity_providers" in answer.get_json()["message"]


def test_github_signs_in_with_its_numeric_id_and_primary_verified_address(
    make_mail_app: Any, github_like_provider: Any
) -> None:
    github = github_like_provider()
    settings = {
        "client_id": github.client_id,
        "client_secret": github.client_secret,
        "authorize_url": github.authorize_url,
        "token_url": github.access_token_url,
        "api_url": github.api_base_url,
    }
    client = make_mail_app(registration=True, identity_providers={"github": settings}).test_client()
    location = approve_github_authorization(start(client, "github"), "octo-alice")
    outcome = callback(client, location)
    user = client.post(f"{PREFIX}/sso/exchange", json={"code": outcome["sso_code"][0]}).get_json()
    assert user["user"]["email"] == "alice@example.com" and user["user"]["emailVerified"]
    assert user["user"]["username"] == "octo-alice"
    # An unverified primary address is no address: the account gets none.
    carol = callback(client, approve_github_authorization(start(client, "github"), "octo-carol"))
    answer = client.post(f"{PREFIX}/sso/exchange", json={"code": carol["sso_code"][0]}).get_json()
    assert "email" not in answer["user"]
