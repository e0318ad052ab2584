"""The linking rules of sign-in through identity providers, on each store: which account a
provider's identity opens, when an address may merge, sign-up, linking and unlinking, and the
single-use values of a flow. The provider itself is stubbed here by what it asserts (a
`ProviderAccount`); tests/test_http_identity.py drives a real OpenID provider end to end.

Each rule is one of the defences against pre-account hijacking (Sudhodanan & Paverd, 2022).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask

from frappyauth.core.errors import (
    AccountExistsError,
    IdentityLinkedElsewhereError,
    InvalidTokenError,
    LastWayInError,
    ProviderRefusedError,
    SignUpClosedError,
)
from frappyauth.core.federation import Federation
from frappyauth.core.identity_flows import IdentityFlows
from frappyauth.core.identity_providers import ProviderAccount
from frappyauth.core.models import Actor
from frappyauth.core.services import Services
from frappyauth.web.state import current_state
from http_support import USER_PASSWORD, auth, login

ISSUER = "http://127.0.0.1:9/issuer"  # never contacted: these tests stub what it asserts
PROVIDERS = {
    "corp": {
        "issuer": ISSUER,
        "client_id": "frappyauth-test",
        "client_secret": "client secret of the test",
        "verifies_email": True,
        "permissions_claim": "groups",
        "claim_permissions": {"staff": ["view"], "auditors": ["report", "view"]},
    },
    "entra": {
        "preset": "microsoft",
        "tenant": "00000000-0000-0000-0000-000000000001",
        "client_id": "frappyauth-test",
        "client_secret": "client secret of the test",
    },
}


def account(
    subject: str = "subject-1",
    email: str | None = "alice@example.org",
    verified: bool = True,
    provider: str = "corp",
    **claims: Any,
) -> ProviderAccount:
    issuer = ISSUER if provider == "corp" else "https://login.microsoftonline.com/t/v2.0"
    return ProviderAccount(provider, issuer, subject, email, verified, "alice", claims)


@pytest.fixture
def federated_app(make_mail_app: Any) -> Any:
    def build(**options: Any) -> Flask:
        return make_mail_app(identity_providers=PROVIDERS, **options)

    return build


def services(app: Flask) -> Services:
    with app.app_context():
        return current_state().services


def federation(app: Flask) -> Federation:
    found = services(app).federation
    assert found is not None
    return found


def flows(app: Flask) -> IdentityFlows:
    found = services(app).identity_flows
    assert found is not None
    return found


def signed_in_user(app: Flask, user: Any) -> Any:
    """The user a callback's one-time code signs in, through the code as the exchange takes it."""
    return flows(app).take_code(flows(app).issue_code(user))


def test_a_linked_identity_signs_in_its_user_and_never_by_address(federated_app: Any) -> None:
    app = federated_app(registration=True)
    fed = federation(app)
    first = signed_in_user(app, fed.sign_in(account(), None))
    # Same pair, another address claimed: still the same account (the pair identifies, not mail).
    again = signed_in_user(app, fed.sign_in(account(email="other@example.org"), None))
    assert again.id == first.id
    # Same address, another subject: not this account.
    with pytest.raises(AccountExistsError):
        fed.sign_in(account(subject="subject-2"), None)


def test_an_existing_address_is_not_merged_by_default(federated_app: Any) -> None:
    app = federated_app(registration=True, email_verification="optional")
    owner = services(app).accounts.create(
        "alice",
        USER_PASSWORD,
        email="alice@example.org",
        email_key="alice@example.org",
        email_verified=True,
    )
    with pytest.raises(AccountExistsError):
        federation(app).sign_in(account(), None)
    assert federation(app).identities_of(owner.id) == []


@pytest.mark.parametrize(
    ("provider", "claim_verified", "local_verified", "outcome"),
    [
        ("corp", True, True, "merged"),
        (
            "corp",
            True,
            False,
            "refused",
        ),  # the local address was never verified: maybe a squatter's
        # An unproven address is ignored entirely: it finds no account and names none.
        ("corp", False, True, "separate"),  # the provider does not vouch for the address
        ("entra", True, True, "separate"),  # nor does a provider that does not verify addresses
    ],
)
def test_the_merge_option_merges_only_verified_on_both_sides(
    federated_app: Any, provider: str, claim_verified: bool, local_verified: bool, outcome: str
) -> None:
    app = federated_app(
        registration=True, email_verification="optional", identity_merge_verified_email=True
    )
    owner = services(app).accounts.create(
        "alice",
        USER_PASSWORD,
        email="alice@example.org",
        email_key="alice@example.org",
        email_verified=local_verified,
    )
    claim = account(provider=provider, verified=claim_verified)
    if outcome == "refused":
        with pytest.raises(AccountExistsError):
            federation(app).sign_in(claim, None)
        return
    user = federation(app).sign_in(claim, None)
    if outcome == "merged":
        assert user.id == owner.id
    else:
        assert user.id != owner.id and user.email is None and user.email_key is None


def test_sign_up_through_a_provider_needs_registration(federated_app: Any) -> None:
    app = federated_app(password_reset=True)
    with pytest.raises(SignUpClosedError):
        federation(app).sign_in(account(), None)
    assert services(app).context.stores.users.count() == 1  # the seeded admin only


def test_a_new_account_gets_default_and_claimed_permissions_and_no_password(
    federated_app: Any,
) -> None:
    app = federated_app(registration=True, default_permissions=["read"])
    user = signed_in_user(app, federation(app).sign_in(account(groups=["auditors", "x"]), None))
    assert user.permissions == ("read", "report", "view")
    assert user.email_verified is True
    client = app.test_client()
    for password in ("", "!", USER_PASSWORD):  # no password opens it
        answer = client.post(
            "/api/user/login", json={"username": user.username, "password": password}
        )
        assert answer.status_code in (400, 401)


def test_sign_up_can_be_restricted_to_address_domains(federated_app: Any) -> None:
    app = federated_app(registration=True, identity_sign_up_domains=["corp.example"])
    with pytest.raises(SignUpClosedError):
        federation(app).sign_in(account(email="alice@gmail.example"), None)
    user = signed_in_user(app, federation(app).sign_in(account(email="Bob@Corp.Example"), None))
    assert user.email_key == "bob@corp.example"


def test_linking_to_an_unverified_account_ends_other_sessions_and_voids_mailed_links(
    federated_app: Any,
) -> None:
    app = federated_app(password_reset=True, email_verification="optional")
    client = app.test_client()
    owner = services(app).accounts.create(
        "alice", USER_PASSWORD, email="alice@example.org", email_key="alice@example.org"
    )
    squatter_token = login(client, "alice", USER_PASSWORD)  # e.g. whoever registered the address
    mail = services(app).mail
    assert mail is not None
    link = mail.tokens.issue(owner, "password_reset", "alice@example.org")
    federation(app).link(owner.id, account(), None)
    assert client.get("/api/user", headers=auth(squatter_token)).status_code == 401
    with pytest.raises(InvalidTokenError):
        mail.tokens.redeem(link, "password_reset")


def test_an_identity_linked_elsewhere_is_refused(federated_app: Any) -> None:
    app = federated_app(registration=True)
    federation(app).sign_in(account(), None)
    other = services(app).accounts.create("bob", USER_PASSWORD)
    with pytest.raises(IdentityLinkedElsewhereError):
        federation(app).link(other.id, account(), None)


def test_the_last_way_in_cannot_be_unlinked_but_an_admin_can(federated_app: Any) -> None:
    app = federated_app(registration=True)
    fed = federation(app)
    user = signed_in_user(app, fed.sign_in(account(), None))
    (only,) = fed.identities_of(user.id)
    with pytest.raises(LastWayInError):
        fed.unlink(user, only.identity_id, Actor(user.id))
    fed.sign_in(account(subject="subject-2", email=None), None)  # unlinked, address-less: new
    fed.link(user.id, account(subject="subject-3", email=None), None)
    fed.unlink(user, only.identity_id, Actor(user.id))  # another identity is left
    (left,) = fed.identities_of(user.id)
    fed.unlink(user, left.identity_id, Actor("admin"), by_admin=True)
    assert fed.identities_of(user.id) == []


def test_a_user_with_a_password_may_unlink_every_identity(federated_app: Any) -> None:
    app = federated_app()
    user = services(app).accounts.create("carol", USER_PASSWORD)
    federation(app).link(user.id, account(email=None), None)
    (only,) = federation(app).identities_of(user.id)
    federation(app).unlink(user, only.identity_id, Actor(user.id))
    assert federation(app).identities_of(user.id) == []


def test_a_sign_in_code_is_single_use_short_lived_and_void_after_a_password_change(
    federated_app: Any, clock: Any
) -> None:
    app = federated_app(registration=True)
    user, codes = federation(app).sign_in(account(), None), flows(app)
    code = codes.issue_code(user)
    assert codes.take_code(code).id == user.id
    with pytest.raises(InvalidTokenError):
        codes.take_code(code)
    late = codes.issue_code(user)
    clock.advance(seconds=61)
    with pytest.raises(InvalidTokenError):
        codes.take_code(late)
    void = codes.issue_code(user)
    services(app).accounts.reset_password(user.id, "a brand new password 123", Actor("admin"))
    with pytest.raises(InvalidTokenError):
        codes.take_code(void)


def test_a_flow_state_is_single_use_and_lasts_ten_minutes(federated_app: Any, clock: Any) -> None:
    fed = flows(federated_app())
    state = fed.begin_flow(None, "127.0.0.1")
    assert fed.end_flow(state) is None
    with pytest.raises(ProviderRefusedError) as replayed:
        fed.end_flow(state)
    assert replayed.value.code == "invalid_state"
    old = fed.begin_flow(None, "127.0.0.1")
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(ProviderRefusedError):
        fed.end_flow(old)


def test_racing_first_sign_ins_with_one_identity_leave_one_account_and_one_link(
    federated_app: Any, backend: Any
) -> None:
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe; on MongoDB the unique indexes decide")
    app = federated_app(registration=True)
    fed, users = federation(app), services(app).context.stores.users
    store = fed._identities
    barrier, waited, signed_in, refused = threading.Barrier(24), threading.local(), [], []
    original_find = store.find

    def find_then_wait(issuer: str, subject: str) -> Any:
        found = original_find(issuer, subject)
        if not getattr(waited, "once", False):
            waited.once = True
            barrier.wait(timeout=10)  # all 24 saw "not linked" before any of them creates
        return found

    store.find = find_then_wait  # type: ignore[method-assign]

    def sign_in() -> None:
        try:
            signed_in.append(fed.sign_in(account(), None).id)
        except AccountExistsError:  # lost the race before the winner's link was stored
            refused.append(1)

    threads = [threading.Thread(target=sign_in) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.find = original_find  # type: ignore[method-assign]
    assert users.count() == 2  # the admin and one new account
    linked = original_find(ISSUER, "subject-1")
    assert linked is not None and len(signed_in) + len(refused) == 24
    assert set(signed_in) == {linked.user_id}
    assert len(store.list_for_user(linked.user_id)) == 1


def test_a_password_reset_keeps_identities_and_ends_sessions(federated_app: Any) -> None:
    """Linked identities are separate credentials: a reset (by an administrator, or by mail through
    the same `Accounts` write) leaves them, listed and removable, and ends every session."""
    app = federated_app()
    client = app.test_client()
    user = services(app).accounts.create("dora", USER_PASSWORD)
    federation(app).link(user.id, account(email=None), None)
    token = login(client, "dora", USER_PASSWORD)
    services(app).accounts.reset_password(user.id, "another long password 12", Actor("admin"))
    assert client.get("/api/user", headers=auth(token)).status_code == 401
    assert [i.provider for i in federation(app).identities_of(user.id)] == ["corp"]


def test_deleting_a_user_deletes_its_identities(federated_app: Any) -> None:
    app = federated_app()
    user = services(app).accounts.create("erin", USER_PASSWORD)
    federation(app).link(user.id, account(email=None), None)
    services(app).accounts.delete(user.id, Actor("admin"))
    assert federation(app).identities_of(user.id) == []
    assert services(app).context.stores.identities.find(ISSUER, "subject-1") is None
