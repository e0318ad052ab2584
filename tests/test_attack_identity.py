"""Attacks on sign-in through identity providers, by an independent reviewer.

Each test FAILS while the weakness it names exists and passes once it is fixed; the docstring
says the attack, its impact and what a fix looks like. They use the suite's fixtures: the real
OpenID provider (`oidc_provider`, node-oidc-provider), the GitHub-shaped stand-in, and a small
hostile provider of this branch (`hostile`, from tests/hostile_oidc.py) whose every answer a test
can bend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from frappyauth.core.errors import FrappyAuthError, SignUpClosedError
from frappyauth.core.identity_providers import ProviderAccount
from frappyauth.core.models import Actor
from frappyauth.web.state import current_state
from github_shape import DEFAULT_GITHUB_ACCOUNTS, approve_github_authorization
from hostile_oidc import HostileIdp, hostile_idps
from http_support import USER_PASSWORD, auth, login
from oidc_support import authorize_in_browserless_session

PREFIX = "/api/user"
SITE = "http://localhost"


# helpers ---------------------------------------------------------------------------------------


def start(client: FlaskClient, provider: str, next_path: str | None = "/after") -> Any:
    query = "" if next_path is None else "?" + urlencode({"next": next_path})
    return client.get(f"{PREFIX}/sso/{provider}/start{query}")


def back_to_app(client: FlaskClient, location: str) -> str:
    """Open the provider's redirect into the app; return where the app sends the browser."""
    parts = urlsplit(location)
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def outcome_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def hostile_flow(client: FlaskClient, idp: HostileIdp, provider: str) -> dict[str, list[str]]:
    started = start(client, provider)
    assert started.status_code == 302, started.get_json()
    return outcome_of(back_to_app(client, idp.authorize(started.headers["Location"])))


def exchange(client: FlaskClient, outcome: dict[str, list[str]]) -> Any:
    assert "sso_code" in outcome, outcome
    return client.post(f"{PREFIX}/sso/exchange", json={"code": outcome["sso_code"][0]})


def leaves_the_site(location: str, allowed: tuple[str, ...] = ()) -> bool:
    """Whether a browser (WHATWG URL parsing, relative to a page of this site) leaves the site
    when it follows `location`: `//host`, `///host`, `////host`, `/\\host` all name another
    host; so does an absolute URL of an origin not allowed."""
    stripped = location.lstrip("\t\n\r ")
    if len(stripped) >= 2 and stripped[0] in "/\\" and stripped[1] in "/\\":
        return True
    parts = urlsplit(stripped)
    if parts.scheme:
        return f"{parts.scheme}://{parts.netloc}".lower() not in {SITE, *allowed}
    return False


def services(app: Flask) -> Any:
    with app.app_context():
        return current_state().services


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileIdp]]:
    """`hostile(**HostileIdp's fields)`: a hostile OpenID provider of this test's own."""
    yield from hostile_idps()


@pytest.fixture
def idp(oidc_provider: Any) -> Any:
    return oidc_provider(name="idp")


def idp_settings(provider: Any, **extra: Any) -> dict[str, Any]:
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "verifies_email": True,
        **extra,
    }


@pytest.fixture
def sso_app(make_mail_app: Any, idp: Any) -> Any:
    def build(**options: Any) -> Flask:
        options = {"registration": True, "email_verification": "optional", **options}
        return make_mail_app(identity_providers={"idp": idp_settings(idp)}, **options)

    return build


# CRITICAL: an open redirect that hands the one-time code to another site ------------------------


@pytest.mark.parametrize(
    "next_path", ["////evil.example/x", "/////evil.example", "///evil.example/x", "/.//evil"]
)
def test_attack_next_with_extra_slashes_never_sends_the_sso_code_off_site(
    sso_app: Any, next_path: str
) -> None:
    """`_safe_next` accepts `////evil.example/x` (urlsplit sees no netloc: an empty one, then the
    path `//evil.example/x`), and `_target` rebuilds it with urlunsplit as `//evil.example/x?
    sso_code=...`: a protocol-relative URL. A victim who follows
    `/api/user/sso/<p>/start?next=////evil.example/x` and is signed in at the provider (or signs in)
    lands on the attacker's site with a fresh one-time code, which the attacker exchanges within
    60 s for the victim's session (account takeover; only a second factor stops it).

    Fix: accept only `next` that starts with one "/" followed by neither "/" nor "\\" (after
    removing what browsers strip), and build the target by appending to the string rather than
    urlsplit/urlunsplit; check the final Location with the same rule."""
    client = sso_app().test_client()
    started = start(client, "idp", next_path)
    if started.status_code == 400:
        return  # refused at the start: fine
    assert started.status_code == 302, started.get_json()
    location = back_to_app(
        client, authorize_in_browserless_session(started.headers["Location"], "alice")
    )
    assert not leaves_the_site(location), f"the callback sends the sso_code to {location!r}"


# HIGH: login CSRF with a one-time code made in another browser -----------------------------------


def test_attack_an_sso_code_is_refused_in_a_browser_that_did_not_run_the_flow(
    sso_app: Any,
) -> None:
    """The one-time code is a bearer value: any browser may exchange it. The attacker runs the
    flow with his own provider account (a script can, on demand), stops at the callback's redirect
    and sends the victim `https://app/<next>?sso_code=<his code>`; the documented front end
    (docs/react-spa.md) exchanges whatever `sso_code` its URL carries, so the victim is signed in to
    the attacker's account (login CSRF: what the victim then enters or links goes to the
    attacker). The flow cookie binds the *callback* to the browser, but nothing binds the
    *exchange*.

    Fix: bind the code to the browser that ran the flow: the callback replaces the flow cookie
    (Path `/api/user/sso/`, which covers `/sso/exchange`) by a short-lived signed cookie naming
    the code's hash, and the exchange refuses a code without it."""
    app = sso_app()
    attacker = app.test_client()
    started = start(attacker, "idp")
    location = back_to_app(
        attacker, authorize_in_browserless_session(started.headers["Location"], "alice")
    )
    code = outcome_of(location)["sso_code"][0]
    victim = app.test_client()  # never started a flow
    answer = victim.post(f"{PREFIX}/sso/exchange", json={"code": code})
    assert answer.status_code != 200, "a code made in the attacker's browser signs the victim in"


# HIGH: a provider configured by metadata_url can claim another provider's issuer ------------------


def test_attack_a_provider_found_by_metadata_url_cannot_sign_in_another_providers_users(
    make_mail_app: Any, hostile: Any
) -> None:
    """Identities are looked up by (issuer, subject) across all providers, and the issuer of a
    provider configured with `metadata_url` (no `issuer`) is whatever its discovery document says.
    A hostile or compromised provider so configured (a partner's IdP, a test tenant) publishes the
    issuer of another configured provider, signs ID tokens with that `iss` and the victim's
    `sub`, and its sign-in opens the victim's account (the ID token's `iss` is checked only
    against the same discovery document).

    Fix: pin each provider's issuer (required, or derived: Microsoft's from the tenant), refuse a
    discovered issuer that another configured provider has, and/or key links by provider name
    and issuer."""
    corp = hostile(client_id="corp-client", subject="victim")
    partner = hostile(client_id="partner-client", subject="victim")
    partner.issuer = corp.issuer  # the partner's discovery document names corp's issuer
    partner_settings = {
        "metadata_url": partner.metadata_url,
        "client_id": partner.client_id,
        "client_secret": partner.client_secret,
    }
    # Fixed: every provider's issuer is configured, never discovered, and no two share one.
    with pytest.raises(ValueError, match="'issuer'"):
        make_mail_app(identity_providers={"corp": corp.settings(), "partner": partner_settings})
    partner_settings["issuer"] = corp.issuer
    with pytest.raises(ValueError, match="two providers have the issuer"):
        make_mail_app(identity_providers={"corp": corp.settings(), "partner": partner_settings})
    # A partner whose discovery document names another issuer than its configured one is refused.
    partner_settings["issuer"] = "http://127.0.0.1:9/partner"
    app = make_mail_app(
        registration=True, identity_providers={"corp": corp.settings(), "partner": partner_settings}
    )
    client = app.test_client()
    assert exchange(client, hostile_flow(client, corp, "corp")).status_code == 200
    assert start(client, "partner").get_json()["error"] == "wrong_issuer"


# MEDIUM: two GitHub-shaped providers share the issuer "https://github.com" -----------------------


def test_attack_a_github_enterprise_provider_does_not_share_github_com_identities(
    make_mail_app: Any, github_like_provider: Any
) -> None:
    """The github preset sets `issuer` to https://github.com for every provider that uses it, and
    the subject is the numeric user id. A deployer who adds GitHub Enterprise Server (`preset:
    github` with its own URLs, as the docs' settings table suggests) next to github.com makes
    user 583231 of the enterprise server and user 583231 of github.com the same identity: whoever
    holds that id on either opens the account.

    Fix: derive the GitHub issuer from the configured `api_url`/`authorize_url` (or require an
    explicit, unique `issuer` when the URLs are not github.com's)."""
    github = github_like_provider(name="github")
    mallory = {
        "id": DEFAULT_GITHUB_ACCOUNTS[0]["id"],  # the same numeric id, on another server
        "login": "mallory-ghe",
        "name": "Mallory",
        "email": None,
        "emails": [
            {"email": "mallory@ghe.example", "primary": True, "verified": True, "visibility": None}
        ],
    }
    ghe = github_like_provider(name="ghe", accounts=[mallory])

    def settings(provider: Any, **extra: Any) -> dict[str, Any]:
        return {
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "authorize_url": provider.authorize_url,
            "token_url": provider.access_token_url,
            "api_url": provider.api_base_url,
            **extra,
        }

    providers = {"github": settings(github), "ghe": settings(ghe, preset="github")}
    app = make_mail_app(registration=True, identity_providers=providers)
    alice_client = app.test_client()
    alice = outcome_of(
        back_to_app(
            alice_client,
            approve_github_authorization(
                start(alice_client, "github").headers["Location"], "octo-alice"
            ),
        )
    )
    alice_id = exchange(alice_client, alice).get_json()["user"]["id"]
    client = app.test_client()
    outcome = outcome_of(
        back_to_app(
            client,
            approve_github_authorization(start(client, "ghe").headers["Location"], "mallory-ghe"),
        )
    )
    if "sso_code" not in outcome:
        return
    assert exchange(client, outcome).get_json()["user"]["id"] != alice_id


# HIGH: pre-account hijacking, trojan identifier and non-verifying IdP ---------------------------

ENTRA_ISSUER = "https://login.microsoftonline.com/t/v2.0"
CORP_ISSUER = "http://127.0.0.1:9/issuer"  # never contacted: these tests stub what it asserts
STUB_PROVIDERS = {
    "corp": {
        "issuer": CORP_ISSUER,
        "client_id": "frappyauth-test",
        "client_secret": "client secret of the test",
        "verifies_email": True,
    },
    "entra": {
        "preset": "microsoft",
        "tenant": "00000000-0000-0000-0000-000000000001",
        "client_id": "frappyauth-test",
        "client_secret": "client secret of the test",
    },
}
VICTIM = "victim@example.org"


def stub_account(provider: str, subject: str, email: str | None, verified: bool) -> ProviderAccount:
    issuer = CORP_ISSUER if provider == "corp" else ENTRA_ISSUER
    return ProviderAccount(provider, issuer, subject, email, verified, "mallory", {})


@pytest.fixture
def stub_app(make_mail_app: Any) -> Any:
    def build(**options: Any) -> Flask:
        options = {"password_reset": True, "email_verification": "optional", **options}
        return make_mail_app(identity_providers=STUB_PROVIDERS, **options)

    return build


def recover_by_mail(app: Flask, user: Any, email: str) -> Any:
    """The address's owner uses "forgot password": the mailed link, then a new password."""
    mail = services(app).mail
    link = mail.tokens.issue(user, "password_reset", email)
    return mail.password_reset.confirm(link, "the owner's new password 1", Actor(None))


def test_attack_trojan_identifier_does_not_survive_the_owners_recovery(stub_app: Any) -> None:
    """Trojan identifier (Sudhodanan & Paverd 2022, section 4.3). The attacker registers with the
    victim's address (unverified: `email_verification` optional), signs in with his password and
    links HIS OWN provider identity. The victim cannot register (the address is taken), so uses
    "forgot password": the reset proves the address (it is marked verified), ends sessions, but
    keeps the identities (they are separate credentials). The
    attacker then signs in through his provider into what is now the victim's account. The rule
    "linking to an unverified account ends the other sessions" does not help: the attacker is the
    one linking.

    Fix: refuse to link a provider to an account whose address is not verified (when it has one),
    and/or when a recovery first proves the address, remove identities (and other first factors)
    added while it was unproven."""
    app = stub_app(registration=True)
    squatter = services(app).accounts.create(
        "mallory", USER_PASSWORD, email=VICTIM, email_key=VICTIM
    )
    attacker_identity = stub_account("corp", "mallory-at-corp", "mallory@corp.example", True)
    federation = services(app).federation
    try:
        federation.link(squatter.id, attacker_identity, None)
    except FrappyAuthError:
        return  # linking to an unverified address refused: fine
    recovered = recover_by_mail(app, squatter, VICTIM)
    assert recovered.email_verified  # the victim now holds the account
    try:
        opened = federation.sign_in(attacker_identity, None)
    except FrappyAuthError:
        return
    assert opened.id != recovered.id, "the attacker's identity still opens the recovered account"


@pytest.mark.parametrize(
    ("provider", "asserted_verified"),
    [("entra", True), ("corp", False)],
    ids=["non_verifying_provider", "unverified_claim"],
)
def test_attack_an_unproven_provider_address_does_not_survive_the_owners_recovery(
    stub_app: Any, provider: str, asserted_verified: bool
) -> None:
    """Non-verifying IdP (Sudhodanan & Paverd 2022, section 4.5). The attacker signs up through a
    provider whose address is not proven (Entra ID's `email`, or any `email_verified: false`)
    with the victim's address. The new account keeps that address and its unique key (the GitHub
    path drops an unverified address; the OpenID path keeps it). The victim, unable to register,
    recovers the account by mail, which marks the address verified; the attacker's identity stays
    linked and opens the victim's account.

    Fix: give a new provider-made account only a proven address (as for GitHub), or, when a
    recovery proves an address first, remove identities linked while it was unproven."""
    app = stub_app(registration=True)
    attacker = stub_account(provider, "mallory-sub", VICTIM, asserted_verified)
    federation = services(app).federation
    made = federation.sign_in(attacker, None)
    if made.email_key is None:
        return  # the unproven address was not kept: fine
    recovered = recover_by_mail(app, made, VICTIM)
    try:
        opened = federation.sign_in(attacker, None)
    except FrappyAuthError:
        return
    assert opened.id != recovered.id, "the attacker's identity opens the recovered account"


@pytest.mark.parametrize(
    ("provider", "asserted_verified"),
    [("entra", True), ("corp", False)],
    ids=["non_verifying_provider", "unverified_claim"],
)
def test_attack_sign_up_domains_are_not_granted_on_an_unproven_address(
    stub_app: Any, provider: str, asserted_verified: bool
) -> None:
    """`identity_sign_up_domains` ("only for these address domains, e.g. a company's") is checked
    against the provider's `email` whether or not it is proven: anyone at a provider that lets
    users type their address (or an Entra tenant admin) claims `someone@corp.example` and gets an
    account on a site meant for the company's staff.

    Fix: with `identity_sign_up_domains`, require `verifies_email` and `email_verified`."""
    app = stub_app(registration=True, identity_sign_up_domains=["corp.example"])
    claimed = stub_account(provider, "outsider", "outsider@corp.example", asserted_verified)
    with pytest.raises(SignUpClosedError):
        services(app).federation.sign_in(claimed, None)


# MEDIUM: a linking flow outlives the session that started it -----------------------------------


def test_attack_a_linking_flow_dies_with_the_session_that_started_it(
    make_mail_app: Any, hostile: Any
) -> None:
    """`POST /sso/<p>/link/start` stores only the user's id with the state; the callback links to
    that user whatever became of the session. An attacker with a freshly stolen session starts a
    link; the owner notices and recovers (an admin reset: every session ends); up to 10 minutes
    later the attacker's callback still links his provider identity, and recovery keeps
    identities, so he keeps a way in.

    Fix: bind the linking state to the session (its hash, or the credential binding as for the
    sign-in code) and at the callback require that session to be still valid."""
    provider = hostile(subject="attacker")
    app = make_mail_app(registration=True, identity_providers={"h": provider.settings()})
    owner = services(app).accounts.create("victim", USER_PASSWORD)
    thief = app.test_client()
    token = login(thief, "victim", USER_PASSWORD)
    linking = thief.post(
        f"{PREFIX}/sso/h/link/start", json={"next": "/settings"}, headers=auth(token)
    )
    assert linking.status_code == 200, linking.get_json()
    services(app).accounts.reset_password(owner.id, "the owner's new password 1", Actor("admin"))
    assert thief.get(PREFIX, headers=auth(token)).status_code == 401
    back_to_app(thief, provider.authorize(linking.get_json()["url"]))
    assert services(app).federation.identities_of(owner.id) == [], "linked after the recovery"


# LOW: unlink race leaves an account with no way in ---------------------------------------------


def test_attack_concurrent_unlinks_leave_a_way_in(make_mail_app: Any) -> None:
    """`Federation.unlink` reads the user's identities, checks "not the last", then deletes: two
    DELETE /identities/<id> at once (one per identity) both see two and both delete, leaving an
    account without a password with no way in (only an administrator can set one).

    Fix: make the check and the delete one step (a per-user lock in memory; in MongoDB a
    conditional delete, e.g. a counter or a `$expr` on the count, or a transaction)."""
    app = make_mail_app(registration=True, identity_providers=STUB_PROVIDERS)
    federation = services(app).federation
    user = federation.sign_in(stub_account("corp", "one", None, False), None)
    federation.link(user.id, stub_account("corp", "two", None, False), None)
    ids = [i.identity_id for i in federation.identities_of(user.id)]
    assert len(ids) == 2
    store = services(app).context.stores.identities
    real_list = store.list_for_user
    barrier = threading.Barrier(2, timeout=3)

    def list_then_wait(user_id: str) -> Any:
        found = real_list(user_id)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    store.list_for_user = list_then_wait  # type: ignore[method-assign]

    def unlink(identity_id: str) -> None:
        try:
            federation.unlink(user, identity_id, Actor(user.id))
        except FrappyAuthError:
            pass

    threads = [threading.Thread(target=unlink, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    store.list_for_user = real_list  # type: ignore[method-assign]
    assert federation.identities_of(user.id), "both identities were unlinked: no way in is left"


# LOW: ID token audience ------------------------------------------------------------------------


def test_attack_an_id_token_for_another_audience_is_refused(
    make_mail_app: Any, hostile: Any
) -> None:
    """Authlib 1.9's `parse_id_token` checks `aud` only through `azp`: an ID token with
    `aud: "another-client"` and `azp: <our client id>` is accepted (claims_options names `iss`
    only, and joserfc checks a claim's value only when an option names it). Issue 25 asks for the
    audience to be checked.

    Fix: add `"aud": {"essential": True, "values": [client_id]}` to claims_options (and keep the
    azp rule for several audiences)."""
    provider = hostile()
    provider.claims = {"aud": "another-client", "azp": provider.client_id}
    app = make_mail_app(registration=True, identity_providers={"h": provider.settings()})
    assert hostile_flow(app.test_client(), provider, "h") == {"sso_error": ["invalid_id_token"]}


# LOW: a 500 from a provider's answer -----------------------------------------------------------


def test_attack_a_token_answer_with_an_infinite_lifetime_is_no_500(
    make_mail_app: Any, hostile: Any
) -> None:
    """`{"expires_in": 1e400}` parses as infinity; Authlib's token turns it into an int and raises
    OverflowError, which `_provider_call` does not catch: a 500 from the callback (a provider's
    answer, however odd, is never a 500). Fix: catch OverflowError (or any Exception from the
    provider call) as `invalid_id_token`/`provider_error`."""
    provider = hostile()
    provider.raw_token = lambda: (
        200,
        "application/json",
        b'{"access_token": "a", "token_type": "Bearer", "expires_in": 1e400}',
    )
    app = make_mail_app(registration=True, identity_providers={"h": provider.settings()})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    started = start(client, "h")
    parts = urlsplit(provider.authorize(started.headers["Location"]))
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 302, answer.get_data(as_text=True)


# LOW: a hostile preferred_username makes sign-up impossible -----------------------------------


def test_attack_a_name_hint_with_an_invisible_character_still_gets_an_account(
    make_mail_app: Any,
) -> None:
    """`candidate_usernames` drops non-printable characters but keeps default-ignorable ones that
    are printable (U+FE0F, a variation selector): `Accounts.create` refuses every candidate with
    400 (not DuplicateUsernameError), and the loop gives up: that user can never sign up
    (`sso_error=bad_request`). Fix: drop default-ignorable code points in `candidate_usernames`, and
    fall back to the next candidate (or `user-<random>`) on any refused name."""
    app = make_mail_app(registration=True, identity_providers=STUB_PROVIDERS)
    account = ProviderAccount("corp", CORP_ISSUER, "zed", None, False, "zed\ufe0f", {})
    made = services(app).federation.sign_in(account, None)
    assert made.username


# INFO: the flow cookie is signed, not encrypted -------------------------------------------------


def test_attack_the_flow_cookie_does_not_disclose_the_pkce_verifier(
    make_mail_app: Any, oidc_provider: Any
) -> None:
    """The flow cookie is itsdangerous-signed JSON: readable by anyone who sees it (a proxy or
    an APM that records cookies, a browser extension). It carries the PKCE `code_verifier` next
    to the `state`, and it is sent with the very request that carries the authorization `code`
    (the callback): whoever logs that request's headers has both halves PKCE was meant to keep
    apart. Fix: keep the verifier and nonce server-side with the hashed state (the mail-token
    store already holds it), or encrypt the cookie."""
    provider = oidc_provider(name="idp")
    app = make_mail_app(identity_providers={"idp": idp_settings(provider)})
    started = start(app.test_client(), "idp")
    cookie = started.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    _, payload = URLSafeTimedSerializer("irrelevant", salt="x").loads_unsafe(cookie)
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert set(payload) == {"provider", "state", "redirect_uri", "next", "linking"}
    assert payload["state"] == query["state"][0]  # nothing the authorization URL does not carry


# LOW: the merge joins addresses that only Unicode case folding makes equal -----------------------


@pytest.mark.parametrize(
    ("local", "claimed"),
    [("kim@corp.example", "\u212aim@corp.example"), ("file@corp.example", "\ufb01le@corp.example")],
    ids=["kelvin_sign", "fi_ligature"],
)
def test_attack_the_verified_merge_needs_the_same_address_not_the_same_key(
    stub_app: Any, local: str, claimed: str
) -> None:
    """With `identity_merge_verified_email`, an unlinked identity merges into the local account
    whose `email_key` equals the provider's. The key is `str.casefold()` of the address, which
    maps distinct mailboxes together: "\u212aim" (Kelvin sign) and "kim", "\ufb01le" (ligature)
    and "file", "straße" and "strasse". A provider that verified the attacker's mailbox with such
    a local part merges him into the victim's verified account. Narrow (the attacker needs such a
    mailbox at the victim's domain, and the deployer the merge option), but the merge is the one
    place where an address decides who gets an account.

    Fix: merge only when the normalised addresses are equal up to ASCII case (or exactly), not
    merely their keys."""
    app = stub_app(identity_merge_verified_email=True)
    victim = services(app).accounts.create(
        "kim", USER_PASSWORD, email=local, email_key=local, email_verified=True
    )
    attacker = stub_account("corp", "attacker-sub", claimed, True)
    try:
        opened = services(app).federation.sign_in(attacker, None)
    except FrappyAuthError:
        return  # not merged: fine
    assert opened.id != victim.id, f"{claimed!r} was merged into {local!r}'s account"


# MEDIUM: unlinking an identity leaves the sessions it opened -----------------------------------


def test_attack_unlinking_an_identity_ends_the_sessions_it_opened(
    make_mail_app: Any, hostile: Any
) -> None:
    """The owner finds a provider identity he does not know on his account (the trojan of the
    tests above, or one linked with a stolen session) and removes it: `DELETE /identities/<id>`
    deletes the link, but every session that identity opened stays valid (24 h by default), so
    the attacker keeps the account. A password change would end them; an unlink, which removes
    a credential, does not.

    Fix: end the sessions started through the identity (record the identity on the session), or
    every other session of the account, when an identity is unlinked (by the owner or an
    administrator)."""
    provider = hostile(subject="attacker")
    app = make_mail_app(registration=True, identity_providers={"h": provider.settings()})
    owner = services(app).accounts.create("victim", USER_PASSWORD)
    services(app).federation.link(owner.id, _account_of(provider, "attacker"), None)
    attacker = app.test_client()
    signed_in = exchange(attacker, hostile_flow(attacker, provider, "h")).get_json()
    assert signed_in["user"]["id"] == owner.id
    owner_client = app.test_client()
    token = login(owner_client, "victim", USER_PASSWORD)
    (linked,) = owner_client.get(f"{PREFIX}/identities", headers=auth(token)).get_json()[
        "identities"
    ]
    removed = owner_client.delete(f"{PREFIX}/identities/{linked['id']}", headers=auth(token))
    assert removed.status_code == 200, removed.get_json()
    still = attacker.get(PREFIX, headers=auth(signed_in["token"]))
    assert still.status_code == 401, "the unlinked identity's session still works"


def _account_of(provider: HostileIdp, subject: str) -> ProviderAccount:
    return ProviderAccount("h", provider.issuer, subject, None, False, subject, {})
