"""Self sign-up (option `registration`) and address verification (option `email_verification`), end
to end
over HTTP against a real SMTP server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from http_support import ADMIN_PASSWORD, SecretLedger, auth, login
from smtp_support import SmtpServer, delivered, parts, token_in
from threads import run_in_threads

REGISTER, VERIFY, RESEND = (
    "/api/user/register",
    "/api/user/verify-email",
    "/api/user/verify-email/resend",
)
PASSWORD = "carol's own password"


def sign_up(
    client: FlaskClient,
    username: str = "carol",
    email: str = "Carol@Example.org",
    environ_base: dict | None = None,
    **extra: Any,
) -> Any:
    return client.post(
        REGISTER,
        json={"username": username, "password": PASSWORD, "email": email, **extra},
        environ_base=environ_base or {},
    )


def mailed_token(app: Flask, server: SmtpServer, ledger: SecretLedger, to: str) -> str:
    delivered(app)
    token = token_in(server.to(to)[-1])
    ledger.minted.add(token)
    return token


@pytest.fixture
def app(make_mail_app: Any) -> Flask:
    return make_mail_app(
        registration=True, email_verification="required", default_permissions=["view"]
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_an_unverified_login_is_refused_before_any_session_exists(
    app: Flask, client: FlaskClient, token_store, user_store
) -> None:
    from frappyauth.core import signals

    succeeded: list[Any] = []
    signals.login_succeeded.connect(succeeded.append, sender=app)
    try:
        assert sign_up(client).status_code == 202
        refused = client.post("/api/user/login", json={"username": "carol", "password": PASSWORD})
    finally:
        signals.login_succeeded.disconnect(succeeded.append, sender=app)
    assert refused.status_code == 403 and "Set-Cookie" not in refused.headers
    carol = user_store.get_by_username("carol")
    now = app.extensions["frappyauth"].services.context.clock()
    assert token_store.list_for_user(carol.id, now) == [] and succeeded == []


def test_sign_up_verify_then_log_in(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    response = sign_up(client, profile={"name": "Carol"})
    assert (response.status_code, response.get_json()) == (202, {"status": "verification_sent"})
    refused = client.post("/api/user/login", json={"username": "carol", "password": PASSWORD})
    assert (refused.status_code, refused.get_json()["error"]) == (403, "email_not_verified")
    token = mailed_token(app, smtp_server, ledger, "Carol@example.org")
    message = smtp_server.last()
    text, html = parts(message)
    assert message["Subject"] == "Confirm your email address" and "Carol@example.org" in text
    assert f"https://app.example/account/verify-email?token={token}" in html
    verified = client.post(VERIFY, json={"token": token})
    assert verified.status_code == 200
    user = verified.get_json()
    assert (
        user["username"],
        user["email"],
        user["emailVerified"],
        user["permissions"],
        user["profile"],
    ) == ("carol", "Carol@example.org", True, ["view"], {"name": "Carol"})
    session = login(client, "carol", PASSWORD)
    assert client.get("/api/user", headers=auth(session)).get_json()["emailVerified"] is True
    again = client.post(VERIFY, json={"token": token})
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_token")


def test_a_refused_unverified_login_leaves_no_session(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer
) -> None:
    sign_up(client)
    assert (
        client.post("/api/user/login", json={"username": "carol", "password": PASSWORD}).status_code
        == 403
    )
    carol = app.extensions["frappyauth"].services.stores.users.get_by_username("carol")
    assert (
        app.extensions["frappyauth"].services.stores.sessions.list_for_user(
            carol.id, app.extensions["frappyauth"].services.context.clock()
        )
        == []
    )


def test_a_wrong_password_of_an_unverified_user_is_a_plain_401(
    client: FlaskClient, smtp_server: SmtpServer
) -> None:
    """The 403 comes only after the right password: it tells a guesser nothing."""
    sign_up(client)
    response = client.post(
        "/api/user/login", json={"username": "carol", "password": "some other password"}
    )
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_credentials")


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_notice(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    first = sign_up(client)
    second = sign_up(client, username="mallory", email="CAROL@example.org")
    assert (first.status_code, first.get_data()) == (second.status_code, second.get_data())
    delivered(app)
    notice = smtp_server.last()
    assert (
        notice["To"] == "CAROL@example.org" and notice["Subject"] == "You already have an account"
    )
    assert "token=" not in parts(notice)[0] and "carol" in parts(notice)[0]
    assert app.extensions["frappyauth"].services.stores.users.get_by_username("mallory") is None


def test_a_taken_username_is_409(client: FlaskClient, smtp_server: SmtpServer) -> None:
    sign_up(client)
    response = sign_up(client, username="CAROL", email="other@example.org")
    assert (response.status_code, response.get_json()["error"]) == (409, "username_taken")


def test_resend_sends_a_new_link_and_earlier_links_stay_valid_until_one_is_used(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    smtp_server.stop()  # the first mail is lost
    sign_up(client)
    delivered(app)
    smtp_server.start()
    answer = client.post(RESEND, json={"email": "carol@example.org"})
    assert (answer.status_code, answer.get_json()) == (202, {"status": "verification_sent"})
    unknown = client.post(RESEND, json={"email": "nobody@example.org"})
    assert (unknown.status_code, unknown.get_data()) == (answer.status_code, answer.get_data())
    first = mailed_token(app, smtp_server, ledger, "Carol@example.org")
    client.post(RESEND, json={"email": "carol@example.org"})
    second = mailed_token(app, smtp_server, ledger, "Carol@example.org")
    assert first != second and len(smtp_server.inbox.messages) == 2
    assert client.post(VERIFY, json={"token": first}).status_code == 200
    assert (
        client.post(VERIFY, json={"token": second}).status_code == 400
    )  # the address is verified: used up


def test_resend_for_a_verified_address_sends_nothing(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    sign_up(client)
    client.post(VERIFY, json={"token": mailed_token(app, smtp_server, ledger, "Carol@example.org")})
    session = login(client, "carol", PASSWORD)
    assert client.post(RESEND, json={}, headers=auth(session)).status_code == 202
    delivered(app)
    assert len(smtp_server.inbox.messages) == 1


def test_a_password_reset_counts_as_verification(
    make_mail_app: Any, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    app = make_mail_app(registration=True, email_verification="required", password_reset=True)
    client = app.test_client()
    sign_up(client)
    client.post("/api/user/password-reset", json={"email": "carol@example.org"})
    delivered(app)
    token = token_in(smtp_server.last())
    ledger.minted.add(token)
    confirmed = client.post(
        "/api/user/password-reset/confirm",
        json={"token": token, "password": "a new password for carol"},
    )
    assert confirmed.status_code == 200
    login(client, "carol", "a new password for carol")


def test_a_verification_token_is_no_reset_token(
    make_mail_app: Any, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    app = make_mail_app(registration=True, email_verification="optional", password_reset=True)
    client = app.test_client()
    sign_up(client)
    token = mailed_token(app, smtp_server, ledger, "Carol@example.org")
    wrong_use = client.post(
        "/api/user/password-reset/confirm", json={"token": token, "password": "stolen password!"}
    )
    assert (wrong_use.status_code, wrong_use.get_json()["error"]) == (400, "invalid_token")
    assert (
        client.post(VERIFY, json={"token": token}).status_code == 200
    )  # not used up by the wrong purpose


def test_optional_verification_lets_unverified_users_log_in(
    make_mail_app: Any, smtp_server: SmtpServer
) -> None:
    client = make_mail_app(registration=True, email_verification="optional").test_client()
    sign_up(client)
    assert (
        client.get("/api/user", headers=auth(login(client, "carol", PASSWORD))).get_json()[
            "emailVerified"
        ]
        is False
    )


def test_without_verification_sign_up_answers_like_create(
    make_mail_app: Any, smtp_server: SmtpServer
) -> None:
    app = make_mail_app(registration=True)
    client = app.test_client()
    created = sign_up(client)
    assert created.status_code == 200 and created.get_json()["email"] == "Carol@example.org"
    assert created.get_json()["emailVerified"] is False
    taken = sign_up(client, username="dave", email="carol@EXAMPLE.org")
    assert (taken.status_code, taken.get_json()["error"]) == (409, "email_taken")
    login(client, "carol", PASSWORD)
    delivered(app)
    assert smtp_server.inbox.messages == []


def test_a_mail_server_outage_does_not_change_the_answer(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.stop()
    response = sign_up(client)
    assert (response.status_code, response.get_json()) == (202, {"status": "verification_sent"})
    delivered(app)
    assert any(
        "verify_email not sent: ConnectionRefusedError" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


@pytest.mark.parametrize(
    "body",
    [
        {"username": "carol", "password": PASSWORD},
        {"username": "carol", "password": PASSWORD, "email": "nope"},
        {"username": "carol", "password": "short", "email": "carol@example.org"},
        {"username": " carol", "password": PASSWORD, "email": "carol@example.org"},
        {"username": "carol", "password": PASSWORD, "email": "carol@example.org", "profile": []},
        {"username": "carol", "password": PASSWORD, "email": "a" * 250 + "@example.org"},
    ],
)
def test_malformed_sign_ups_are_400_and_create_nothing(
    app: Flask, client: FlaskClient, body: dict
) -> None:
    assert client.post(REGISTER, json=body).status_code == 400
    assert app.extensions["frappyauth"].services.stores.users.count() == 1  # the admin


def test_sign_ups_are_throttled_per_client_address(
    client: FlaskClient, smtp_server: SmtpServer
) -> None:
    for number in range(5):
        assert (
            sign_up(client, username=f"user{number}", email=f"u{number}@example.org").status_code
            == 202
        )
    refused = sign_up(client, username="user5", email="u5@example.org")
    assert (refused.status_code, refused.get_json()["error"]) == (429, "too_many_requests")


def test_admin_created_addresses_are_normalised_and_unique(
    client: FlaskClient, smtp_server: SmtpServer
) -> None:
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    first = client.post(
        "/api/user/users",
        json={"username": "erin", "password": PASSWORD, "email": "Erin@EXAMPLE.org"},
        headers=admin,
    )
    assert first.get_json()["email"] == "Erin@example.org"
    second = client.post(
        "/api/user/users",
        json={"username": "fred", "password": PASSWORD, "email": "erin@example.org"},
        headers=admin,
    )
    assert (second.status_code, second.get_json()["error"]) == (409, "email_taken")
    bad = client.post(
        "/api/user/users",
        json={"username": "gina", "password": PASSWORD, "email": "x"},
        headers=admin,
    )
    assert (bad.status_code, bad.get_json()["error"]) == (400, "invalid_email")


def test_parallel_sign_ups_with_one_address_make_one_account(
    backend: Any, make_mail_app: Any, smtp_server: SmtpServer
) -> None:
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: concurrency is tested on the memory store")
    app = make_mail_app(registration=True, email_verification="required", mail_rate_limit=100)
    answers: list[int] = []
    run_in_threads(
        lambda n: answers.append(
            sign_up(
                app.test_client(),
                username=f"racer{n:02d}",
                environ_base={"REMOTE_ADDR": f"10.2.0.{n}"},
            ).status_code
        ),
        [(n,) for n in range(24)],
    )
    assert answers == [202] * 24
    users = app.extensions["frappyauth"].services.stores.users
    assert users.count() == 2 and users.get_by_email("carol@example.org") is not None
    delivered(app)
    subjects = sorted(message["Subject"] for message in smtp_server.inbox.messages)
    assert subjects == ["Confirm your email address"] + ["You already have an account"] * 23
