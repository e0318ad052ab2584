"""Changing one's address with a link to the new one (option `email_change`), end to end over HTTP
against a
real SMTP server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from http_support import ADMIN_PASSWORD, SecretLedger, auth, login
from smtp_support import SmtpServer, delivered, parts, token_in

CHANGE, CONFIRM = "/api/user/email", "/api/user/email/confirm"
PASSWORD = "dora's own password"


@pytest.fixture
def app(make_mail_app: Any) -> Flask:
    return make_mail_app(email_change=True, password_reset=True, api_keys=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    for name in ("dora", "eve"):
        client.post(
            "/api/user/users",
            json={"username": name, "password": PASSWORD, "email": f"{name}@example.org"},
            headers=admin,
        )
    return client


@pytest.fixture
def dora(client: FlaskClient) -> dict[str, str]:
    return auth(login(client, "dora", PASSWORD))


def change_token(app: Flask, server: SmtpServer, ledger: SecretLedger, to: str) -> str:
    delivered(app)
    token = token_in(server.to(to)[-1])
    ledger.minted.add(token)
    return token


def test_the_address_changes_only_on_confirmation_and_the_old_one_is_told(
    app: Flask,
    client: FlaskClient,
    dora: dict[str, str],
    smtp_server: SmtpServer,
    ledger: SecretLedger,
) -> None:
    response = client.post(
        CHANGE, json={"password": PASSWORD, "email": "Dora@New.example.com"}, headers=dora
    )
    assert (response.status_code, response.get_json()) == (202, {"status": "confirmation_sent"})
    assert client.get("/api/user", headers=dora).get_json()["email"] == "dora@example.org"
    token = change_token(app, smtp_server, ledger, "Dora@new.example.com")
    notice = smtp_server.to("dora@example.org")[-1]
    assert (
        notice["Subject"] == "Your email address is being changed"
        and "Dora@new.example.com" in parts(notice)[0]
    )
    assert "token=" not in parts(notice)[0]
    link_mail = smtp_server.to("Dora@new.example.com")[-1]
    assert f"https://app.example/account/confirm-email?token={token}" in parts(link_mail)[1]
    confirmed = client.post(CONFIRM, json={"token": token})
    assert confirmed.status_code == 200
    assert (confirmed.get_json()["email"], confirmed.get_json()["emailVerified"]) == (
        "Dora@new.example.com",
        True,
    )
    assert client.get("/api/user", headers=dora).get_json()["email"] == "Dora@new.example.com"
    again = client.post(CONFIRM, json={"token": token})
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_token")


def test_after_a_change_reset_mails_go_to_the_new_address_and_old_reset_links_are_void(
    app: Flask,
    client: FlaskClient,
    dora: dict[str, str],
    smtp_server: SmtpServer,
    ledger: SecretLedger,
) -> None:
    client.post("/api/user/password-reset", json={"email": "dora@example.org"})
    old_reset = change_token(app, smtp_server, ledger, "dora@example.org")
    client.post(CHANGE, json={"password": PASSWORD, "email": "dora@example.com"}, headers=dora)
    client.post(CONFIRM, json={"token": change_token(app, smtp_server, ledger, "dora@example.com")})
    void = client.post(
        "/api/user/password-reset/confirm",
        json={"token": old_reset, "password": "taken over account"},
    )
    assert (void.status_code, void.get_json()["error"]) == (400, "invalid_token")
    client.post(
        "/api/user/password-reset", json={"email": "dora@example.org"}
    )  # the old address: no account now
    client.post("/api/user/password-reset", json={"email": "dora@example.com"})
    delivered(app)
    assert (
        smtp_server.last()["To"] == "dora@example.com"
        and smtp_server.last()["Subject"] == "Reset your password"
    )
    assert (
        len(smtp_server.to("dora@example.org")) == 2
    )  # the first reset mail and the change notice, no more


def test_a_wrong_password_is_403_and_sends_nothing(
    app: Flask, client: FlaskClient, dora: dict[str, str], smtp_server: SmtpServer
) -> None:
    response = client.post(
        CHANGE, json={"password": "not dora's password", "email": "x@example.com"}, headers=dora
    )
    assert response.status_code == 403
    delivered(app)
    assert smtp_server.inbox.messages == []


def test_a_taken_address_gets_the_same_answer_and_a_notice_not_a_link(
    app: Flask, client: FlaskClient, dora: dict[str, str], smtp_server: SmtpServer
) -> None:
    taken = client.post(
        CHANGE, json={"password": PASSWORD, "email": "EVE@example.org"}, headers=dora
    )
    free = client.post(
        CHANGE, json={"password": PASSWORD, "email": "free@example.org"}, headers=dora
    )
    assert (taken.status_code, taken.get_data()) == (free.status_code, free.get_data())
    delivered(app)
    to_eve = smtp_server.to("EVE@example.org")
    assert len(to_eve) == 1 and "token=" not in parts(to_eve[0])[0]


def test_ones_own_mailbox_does_not_tell_a_taken_address_from_a_free_one(
    app: Flask, client: FlaskClient, dora: dict[str, str], smtp_server: SmtpServer
) -> None:
    """The old address is told of every request: were it told only of free addresses, its owner (who
    may be the one probing) would learn which addresses have accounts."""
    own = "dora@example.org"
    for address in ("EVE@example.org", "free@example.org"):
        before = len(smtp_server.to(own))
        client.post(CHANGE, json={"password": PASSWORD, "email": address}, headers=dora)
        delivered(app)
        assert len(smtp_server.to(own)) == before + 1, address


def test_an_address_taken_before_confirmation_is_409_and_nothing_changes(
    app: Flask,
    client: FlaskClient,
    dora: dict[str, str],
    smtp_server: SmtpServer,
    ledger: SecretLedger,
) -> None:
    client.post(CHANGE, json={"password": PASSWORD, "email": "shared@example.org"}, headers=dora)
    token = change_token(app, smtp_server, ledger, "shared@example.org")
    eve = auth(login(client, "eve", PASSWORD))
    client.post(CHANGE, json={"password": PASSWORD, "email": "shared@example.org"}, headers=eve)
    assert (
        client.post(
            CONFIRM, json={"token": change_token(app, smtp_server, ledger, "shared@example.org")}
        ).status_code
        == 200
    )
    response = client.post(CONFIRM, json={"token": token})
    assert (response.status_code, response.get_json()["error"]) == (409, "email_taken")
    assert client.get("/api/user", headers=dora).get_json()["email"] == "dora@example.org"


def test_a_password_change_voids_a_pending_change(
    app: Flask,
    client: FlaskClient,
    dora: dict[str, str],
    smtp_server: SmtpServer,
    ledger: SecretLedger,
) -> None:
    client.post(CHANGE, json={"password": PASSWORD, "email": "dora@example.com"}, headers=dora)
    token = change_token(app, smtp_server, ledger, "dora@example.com")
    client.post(
        "/api/user/password",
        json={"oldPassword": PASSWORD, "newPassword": "dora's next password"},
        headers=dora,
    )
    assert client.post(CONFIRM, json={"token": token}).status_code == 400


def test_a_session_is_needed_and_an_api_key_is_not_enough(app: Flask, client: FlaskClient) -> None:
    fresh = app.test_client()  # no cookie
    assert (
        fresh.post(CHANGE, json={"password": PASSWORD, "email": "x@example.com"}).status_code == 401
    )
    api_key = client.post(
        "/api/user/key", headers=auth(login(client, "dora", PASSWORD))
    ).get_json()["apiKey"]
    assert (
        fresh.post(
            CHANGE,
            json={"password": PASSWORD, "email": "x@example.com"},
            headers={"Authorization": f"Token {api_key}"},
        ).status_code
        == 403
    )


def test_an_outage_changes_no_answer(
    app: Flask,
    client: FlaskClient,
    dora: dict[str, str],
    smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.stop()
    response = client.post(
        CHANGE, json={"password": PASSWORD, "email": "dora@example.com"}, headers=dora
    )
    assert response.status_code == 202
    delivered(app)
    assert any(
        "confirm_email_change not sent" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_many_accounts_cannot_flood_one_mailbox(
    make_mail_app: Any, smtp_server: SmtpServer
) -> None:
    app = make_mail_app(email_change=True, mail_rate_limit=3)
    client = app.test_client()
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    answers = []
    for name in ("dora", "eve"):
        client.post(
            "/api/user/users",
            json={"username": name, "password": PASSWORD, "email": f"{name}@example.org"},
            headers=admin,
        )
        session = auth(login(client, name, PASSWORD))
        answers += [
            client.post(
                CHANGE,
                json={"password": PASSWORD, "email": "target@example.org"},
                headers=session,
                environ_base={"REMOTE_ADDR": f"203.0.113.{len(answers)}"},
            ).status_code
            for _ in range(2)
        ]
    assert answers == [202, 202, 202, 429]
