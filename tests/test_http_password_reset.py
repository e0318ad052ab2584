"""Forgotten password by mail (option `password_reset`), end to end over HTTP against a real SMTP
server."""

from __future__ import annotations

import io
import logging
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import NOW
from frappyauth.core.mailer import LoggingMailer, MailMessage
from frappyauth.core.models import username_key
from frappyauth.core.protocols import AttemptStore, SessionStore, UserStore
from frappyauth.stores.memory import MemoryApiKeyStore
from http_support import ADMIN_PASSWORD, SecretLedger, StoreSpy, auth, build_app, login
from smtp_support import FRONTEND_URL, SmtpServer, delivered, parts, token_in
from threads import run_in_threads

RESET = "/api/user/password-reset"
CONFIRM = "/api/user/password-reset/confirm"
ANN_PASSWORD, NEW_PASSWORD = "ann's first password", "ann's brand new password"


@pytest.fixture
def app(make_mail_app: Any) -> Flask:
    return make_mail_app(password_reset=True, api_keys=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    created = client.post(
        "/api/user/users",
        json={"username": "ann", "password": ANN_PASSWORD, "email": "Ann@Example.ORG"},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    assert created.status_code == 200 and created.get_json()["email"] == "Ann@example.org"
    return client


def reset_token(
    app: Flask, client: FlaskClient, server: SmtpServer, ledger: SecretLedger, **body: str
) -> str:
    response = client.post(RESET, json=body or {"email": "ann@example.org"})
    assert (response.status_code, response.get_json()) == (200, {"status": "reset_requested"})
    delivered(app)
    token = token_in(server.to("Ann@example.org")[-1])
    ledger.minted.add(
        token
    )  # from here on, the ledger fails the test if a response or log line shows it
    return token


def test_the_mail_has_both_parts_and_a_link_to_the_front_end(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    token = reset_token(app, client, smtp_server, ledger)
    message = smtp_server.last()
    assert (message["From"], message["To"], message["Subject"]) == (
        "auth@example.org",
        "Ann@example.org",
        "Reset your password",
    )
    text, html = parts(message)
    link = f"https://app.example/account/reset-password?token={token}"
    assert link in text and f'href="{link}"' in html and "ann" in text and "within 1 hour:" in text
    assert len(token) >= 43  # 256 bits, URL-safe


def test_reset_ends_every_session_and_api_key_clears_the_throttle_and_verifies(
    app: Flask,
    client: FlaskClient,
    smtp_server: SmtpServer,
    ledger: SecretLedger,
    attempt_store: AttemptStore,
) -> None:
    session = login(client, "ann", ANN_PASSWORD)
    api_key = client.post("/api/user/key", headers=auth(session)).get_json()["apiKey"]
    assert (
        client.post(
            "/api/user/login", json={"username": "ann", "password": "not her password"}
        ).status_code
        == 401
    )
    token = reset_token(app, client, smtp_server, ledger, username="ANN")
    response = client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 200
    assert (
        response.get_json()["hasApiKey"] is False and response.get_json()["emailVerified"] is True
    )
    assert client.get("/api/user", headers=auth(session)).status_code == 401
    assert (
        client.get("/api/things", headers={"Authorization": f"Token {api_key}"}).status_code == 401
    )
    assert (
        attempt_store.get(f"pair:{username_key('ann')}|127.0.0.1", NOW) is None
    )  # the failure above
    assert (
        client.post(
            "/api/user/login", json={"username": "ann", "password": ANN_PASSWORD}
        ).status_code
        == 401
    )
    login(client, "ann", NEW_PASSWORD)
    delivered(app)
    notice = smtp_server.last()
    assert (notice["To"], notice["Subject"]) == ("Ann@example.org", "Your password was reset")
    assert "token=" not in parts(notice)[0] + parts(notice)[1]


def test_a_token_works_once(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    token = reset_token(app, client, smtp_server, ledger)
    assert client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD}).status_code == 200
    again = client.post(CONFIRM, json={"token": token, "password": "yet another password"})
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_token")
    login(client, "ann", NEW_PASSWORD)


def test_an_unknown_address_or_username_gets_the_same_answer_and_no_mail(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer
) -> None:
    answers = [
        client.post(RESET, json=body)
        for body in (
            {"email": "ann@example.org"},
            {"email": "nobody@example.org"},
            {"username": "ann"},
            {"username": "nobody"},
        )
    ]
    assert {(r.status_code, r.get_data(as_text=True)) for r in answers} == {
        (200, answers[0].get_data(as_text=True))
    }
    assert {tuple(sorted(r.headers.keys())) for r in answers} == {
        tuple(sorted(answers[0].headers.keys()))
    }
    delivered(app)
    assert [m["To"] for m in smtp_server.inbox.messages] == ["Ann@example.org", "Ann@example.org"]


def test_the_answer_does_not_wait_for_the_mail(make_mail_app: Any, ledger: SecretLedger) -> None:
    """The request path never touches the mail server: a mailer stuck for good does not delay the
    answer."""
    release, released = threading.Event(), []

    class StuckMailer:
        def send(self, message: MailMessage) -> None:
            released.append(release.wait(5))  # False: it was still stuck when the wait gave up

    app = make_mail_app(password_reset=True)
    app.extensions["frappyauth"].services.mail.outbox.mailer = StuckMailer()
    client = app.test_client()
    client.post(
        "/api/user/users",
        json={"username": "ann", "password": ANN_PASSWORD, "email": "ann@example.org"},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    assert client.post(RESET, json={"email": "ann@example.org"}).status_code == 200
    release.set()  # only now, after the answer, is the mailer let go
    delivered(app)
    assert released == [True]


def test_asking_for_an_existing_or_a_missing_account_does_the_same_work(
    user_store: UserStore,
    token_store: SessionStore,
    mail_token_store: Any,
    attempt_store: AttemptStore,
    clock: Any,
    ledger: SecretLedger,
) -> None:
    """The same store calls on the request path, and the token stored on the outbox's thread: no
    timing difference tells whether an account exists (measured: 376 vs 373 µs median on the
    memory store)."""
    token_threads: list[str] = []

    class ThreadNoting:
        def __getattr__(self, name: str) -> Any:
            token_threads.append(threading.current_thread().name)
            return getattr(mail_token_store, name)

    users, attempts = StoreSpy(user_store), StoreSpy(attempt_store)
    app = build_app(
        users,
        token_store,
        clock,
        ledger,
        mailer=LoggingMailer(io.StringIO()),
        mail_token_store=ThreadNoting(),
        attempt_store=attempts,
        api_key_store=MemoryApiKeyStore(),
        password_reset=True,
        frontend_url=FRONTEND_URL,
    )
    token_threads.clear()  # registration checks that the store has the protocol's methods
    client = app.test_client()
    client.post(
        "/api/user/users",
        json={"username": "ann", "password": ANN_PASSWORD, "email": "ann@example.org"},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    calls = {}
    for address in ("ann@example.org", "nobody@example.org"):
        users.calls.clear(), attempts.calls.clear()
        client.post(RESET, json={"email": address}, environ_base={"REMOTE_ADDR": "10.7.7.7"})
        calls[address] = (list(attempts.calls), list(users.calls))
    assert (
        calls["ann@example.org"]
        == calls["nobody@example.org"]
        == (
            ["increment", "increment", "increment"],
            ["get_by_email"],
        )  # anonymous, address, account
    )
    delivered(app)
    assert token_threads == ["frappyauth-outbox"]


@pytest.mark.parametrize(
    "breaker", ["expired", "password_changed", "address_changed", "user_deleted", "other_user"]
)
def test_a_void_token_is_an_invalid_token(
    app: Flask,
    client: FlaskClient,
    smtp_server: SmtpServer,
    ledger: SecretLedger,
    clock: Any,
    breaker: str,
) -> None:
    token = reset_token(app, client, smtp_server, ledger)
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    ann_id = client.get("/api/user/users", headers=admin).get_json()["users"][1]["id"]
    if breaker == "expired":
        clock.advance(hours=1)
    elif breaker == "password_changed":
        client.post(
            f"/api/user/users/{ann_id}/password",
            json={"password": "admin set this one"},
            headers=admin,
        )
    elif breaker == "address_changed":
        users = app.extensions["frappyauth"].services.stores.users
        users.set_email(ann_id, "ann@example.com", "ann@example.com", False)
    elif breaker == "user_deleted":
        client.delete(f"/api/user/users/{ann_id}", headers=admin)
    # a token is bound to its user: ann's token cannot reset bob's password, nor can bob's reset
    # ann's
    else:
        client.post(
            "/api/user/users",
            json={"username": "bob", "password": ANN_PASSWORD, "email": "bob@example.org"},
            headers=admin,
        )
        client.post(RESET, json={"email": "bob@example.org"})
        delivered(app)
        bobs = token_in(smtp_server.last())
        ledger.minted.add(bobs)
        assert (
            client.post(CONFIRM, json={"token": bobs, "password": NEW_PASSWORD}).status_code == 200
        )
        login(client, "bob", NEW_PASSWORD)
        assert (
            client.post(
                "/api/user/login", json={"username": "ann", "password": NEW_PASSWORD}
            ).status_code
            == 401
        )
        return
    response = client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_token")


def test_a_token_expires_after_an_hour_but_not_before(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger, clock: Any
) -> None:
    token = reset_token(app, client, smtp_server, ledger)
    clock.advance(minutes=59, seconds=59)
    assert client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, "A" * 2000])
def test_bad_tokens_are_answered_alike(client: FlaskClient, token: str) -> None:
    response = client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 400 and response.get_json() == {
        "error": "invalid_token",
        "message": "The link is invalid or has expired.",
    }


def test_a_too_short_password_is_refused_and_leaves_the_token_usable(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    token = reset_token(app, client, smtp_server, ledger)
    response = client.post(CONFIRM, json={"token": token, "password": "short"})
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_password")
    assert client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD}).status_code == 200


def test_a_link_ignores_the_host_the_request_named(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer
) -> None:
    """Reset poisoning: a Host header of the attacker's choosing must not end up in the victim's
    link."""
    client.post(RESET, json={"email": "ann@example.org"}, headers={"Host": "evil.example"})
    delivered(app)
    text, html = parts(smtp_server.last())
    assert (
        "evil.example" not in text + html
        and "https://app.example/account/reset-password?token=" in text
    )


def test_a_stopped_mail_server_changes_no_answer_and_asking_again_works(
    app: Flask,
    client: FlaskClient,
    smtp_server: SmtpServer,
    ledger: SecretLedger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.stop()
    response = client.post(RESET, json={"email": "ann@example.org"})
    assert (response.status_code, response.get_json()) == (200, {"status": "reset_requested"})
    delivered(app)
    failures = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "not sent" in r.getMessage()
    ]
    assert failures and "ConnectionRefusedError" in failures[0]
    smtp_server.start()
    token = reset_token(app, client, smtp_server, ledger)
    assert client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD}).status_code == 200


def test_requests_are_throttled_per_account_and_per_client_address(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer
) -> None:
    for number in range(5):  # mail_rate_limit, each from another address
        assert (
            client.post(
                RESET,
                json={"email": "ann@example.org"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{number}"},
            ).status_code
            == 200
        )
    refused = client.post(
        RESET, json={"email": "ann@example.org"}, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )
    assert (refused.status_code, refused.get_json()["error"]) == (429, "too_many_requests")
    assert int(refused.headers["Retry-After"]) > 0
    for number in range(5):  # one address, other accounts (missing ones count alike)
        assert (
            client.post(
                RESET,
                json={"email": f"n{number}@example.org"},
                environ_base={"REMOTE_ADDR": "10.9.9.9"},
            ).status_code
            == 200
        )
    assert (
        client.post(
            RESET, json={"email": "x@example.org"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
        ).status_code
        == 429
    )
    for number in range(5):  # an IPv6 client counts by its /64 network, as in the login throttle
        status = client.post(
            RESET,
            json={"email": f"v6{number}@example.org"},
            environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{number + 1}"},
        ).status_code
        assert status == 200
    assert (
        client.post(
            RESET,
            json={"email": "v6x@example.org"},
            environ_base={"REMOTE_ADDR": "2001:db8:1:2:ffff::9"},
        ).status_code
        == 429
    )
    delivered(app)
    assert len(smtp_server.inbox.messages) == 5


def test_parallel_requests_cannot_pass_the_limit(
    backend: Any, app: Flask, client: FlaskClient, smtp_server: SmtpServer
) -> None:
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: concurrency is tested on the memory store")
    statuses: list[int] = []
    run_in_threads(
        lambda: statuses.append(
            app.test_client().post(RESET, json={"email": "ann@example.org"}).status_code
        ),
        [()] * 24,
    )
    assert sorted(statuses) == [200] * 5 + [429] * 19
    delivered(app)
    assert len(smtp_server.inbox.messages) == 5


def test_parallel_confirms_of_one_token_let_exactly_one_through(
    backend: Any, app: Flask, client: FlaskClient, smtp_server: SmtpServer, ledger: SecretLedger
) -> None:
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: concurrency is tested on the memory store")
    token = reset_token(app, client, smtp_server, ledger)
    statuses: list[int] = []
    run_in_threads(
        lambda n: statuses.append(
            app.test_client()
            .post(
                CONFIRM,
                json={"token": token, "password": f"parallel password {n:02d}"},
                environ_base={"REMOTE_ADDR": f"10.1.0.{n}"},
            )
            .status_code
        ),
        [(n,) for n in range(24)],
    )
    assert sorted(statuses) == [200] + [400] * 23


def test_malformed_requests_are_400(client: FlaskClient) -> None:
    for body in (
        {},
        {"email": "ann@example.org", "username": "ann"},
        {"email": "not an address"},
        {"email": {"$ne": None}},
        {"username": 7},
    ):
        assert client.post(RESET, json=body).status_code == 400, body
    for body in (
        {"token": "t"},
        {"password": NEW_PASSWORD},
        {"token": ["t"], "password": NEW_PASSWORD},
    ):
        assert client.post(CONFIRM, json=body).status_code == 400, body
