"""Sign-in by an emailed code or link (option `email_sign_in`), end to end over HTTP against a real
SMTP server, on every store."""

from __future__ import annotations

import io
import re
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frappyauth.core import signals
from frappyauth.core.email_sign_in import (
    CODE_DIGITS,
    EMAIL_SIGN_IN_CODE,
    MAX_CODE_TRIES,
    TRIES_PREFIX,
)
from frappyauth.core.mailer import LoggingMailer, SmtpMailer
from frappyauth.stores.memory import MemoryApiKeyStore, MemoryAttemptStore, MemoryMailTokenStore
from http_support import ADMIN_PASSWORD, SecretLedger, StoreSpy, auth, body, build_app, login
from mfa_support import code as totp_code
from mfa_support import enrol, second_step
from smtp_support import FRONTEND_URL, HOST, SmtpServer, delivered, parts, token_in
from threads import run_in_threads

ASK = "/api/user/login/email"
CONFIRM = "/api/user/login/email/confirm"
ANN_PASSWORD = "ann's first password"
CODE_IN_TEXT = re.compile(r"^([0-9]{8})$", re.MULTILINE)


@pytest.fixture
def app(make_mail_app: Any) -> Flask:
    return make_mail_app(email_sign_in=True)


def add_ann(client: FlaskClient, email: str = "Ann@Example.ORG") -> str:
    created = client.post(
        "/api/user/users",
        json={"username": "ann", "password": ANN_PASSWORD, "email": email},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    assert created.status_code == 200, created.get_json()
    return created.get_json()["id"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    add_ann(client)
    return client


def mailed(
    app: Flask, client: FlaskClient, server: SmtpServer, ledger: SecretLedger, **environ: str
) -> tuple[str, str]:
    """Ask for a sign-in mail for Ann; return its code and its link's token (both then watched by
    the ledger: no response or log line may show them)."""
    asked = client.post(ASK, json={"email": "ann@example.org"}, environ_base=environ)
    assert (asked.status_code, asked.get_json()) == (202, {"status": "code_sent"})
    delivered(app)
    message = server.to("Ann@example.org")[-1]
    found = CODE_IN_TEXT.search(parts(message)[0])
    assert found is not None, parts(message)[0]
    code, token = found.group(1), token_in(message)
    ledger.minted.update({code, token})
    return code, token


def confirm(client: FlaskClient, **sent: str) -> Any:
    return client.post(CONFIRM, json=sent)


def test_the_mail_has_a_code_and_a_link_and_the_code_signs_in_like_a_login(
    app, client, smtp_server, ledger
) -> None:
    code, token = mailed(app, client, smtp_server, ledger)
    message = smtp_server.last()
    assert (message["To"], message["Subject"]) == ("Ann@example.org", "Your sign-in code")
    text, html = parts(message)
    link = f"https://app.example/account/email-sign-in?token={token}"
    assert link in text and f'href="{link}"' in html and code in html and "10 minutes" in text
    answer = confirm(client, email="ANN@example.org", code=code)
    assert answer.status_code == 200 and set(body(answer)) == {"user", "token"}
    assert body(answer)["user"]["username"] == "ann"
    assert "Authorization=" in answer.headers["Set-Cookie"]
    assert client.get("/api/user", headers=auth(body(answer)["token"])).status_code == 200


def test_the_link_signs_in_and_voids_the_code(app, client, smtp_server, ledger) -> None:
    code, token = mailed(app, client, smtp_server, ledger)
    answer = confirm(client, token=token)
    assert answer.status_code == 200 and body(answer)["user"]["username"] == "ann"
    for spent in ({"token": token}, {"email": "ann@example.org", "code": code}):
        refused = confirm(client, **spent)
        assert (refused.status_code, body(refused)["error"]) == (401, "invalid_code")


def test_a_code_works_once_and_voids_the_link(app, client, smtp_server, ledger) -> None:
    code, token = mailed(app, client, smtp_server, ledger)
    assert confirm(client, email="ann@example.org", code=code).status_code == 200
    for spent in ({"email": "ann@example.org", "code": code}, {"token": token}):
        refused = confirm(client, **spent)
        assert (refused.status_code, body(refused)["error"]) == (401, "invalid_code")


def test_a_new_mail_voids_the_earlier_code(app, client, smtp_server, ledger) -> None:
    first, _ = mailed(app, client, smtp_server, ledger)
    second, _ = mailed(app, client, smtp_server, ledger)
    if first != second:  # one chance in 10^8 that they are the same
        assert confirm(client, email="ann@example.org", code=first).status_code == 401
    assert confirm(client, email="ann@example.org", code=second).status_code == 200


def test_a_code_is_bound_to_its_address(app, client, smtp_server, ledger) -> None:
    add_other = client.post(
        "/api/user/users",
        json={"username": "bea", "password": ANN_PASSWORD, "email": "bea@example.org"},
        headers=auth(login(client, "admin", ADMIN_PASSWORD)),
    )
    assert add_other.status_code == 200
    code, _ = mailed(app, client, smtp_server, ledger)
    refused = confirm(client, email="bea@example.org", code=code)
    assert (refused.status_code, body(refused)["error"]) == (401, "invalid_code")
    assert confirm(client, email="ann@example.org", code=code).status_code == 200


def test_a_code_expires_after_ten_minutes(app, client, smtp_server, ledger, clock) -> None:
    code, token = mailed(app, client, smtp_server, ledger)
    clock.advance(minutes=10)
    for late in ({"email": "ann@example.org", "code": code}, {"token": token}):
        refused = confirm(client, **late)
        assert (refused.status_code, body(refused)["error"]) == (401, "invalid_code")


def test_a_code_before_its_ten_minutes_are_over_works(
    app, client, smtp_server, ledger, clock
) -> None:
    code, _ = mailed(app, client, smtp_server, ledger)
    clock.advance(minutes=9, seconds=59)
    assert confirm(client, email="ann@example.org", code=code).status_code == 200


def test_a_password_change_voids_the_code(app, client, smtp_server, ledger) -> None:
    code, token = mailed(app, client, smtp_server, ledger)
    ann = login(app.test_client(), "ann", ANN_PASSWORD)
    changed = app.test_client().post(
        "/api/user/password",
        json={"oldPassword": ANN_PASSWORD, "newPassword": "ann's second password"},
        headers=auth(ann),
    )
    assert changed.status_code == 200
    assert confirm(client, email="ann@example.org", code=code).status_code == 401
    assert confirm(client, token=token).status_code == 401


def test_after_the_allowed_wrong_codes_the_code_dies(app, client, smtp_server, ledger) -> None:
    code, token = mailed(app, client, smtp_server, ledger)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(MAX_CODE_TRIES):
        refused = confirm(client, email="ann@example.org", code=wrong)
        assert (refused.status_code, body(refused)["error"]) == (401, "invalid_code")
    refused = confirm(client, email="ann@example.org", code=code)
    assert (refused.status_code, body(refused)["error"]) == (401, "invalid_code")
    assert confirm(client, token=token).status_code == 401  # the link died with it
    fresh, _ = mailed(app, client, smtp_server, ledger)  # a new mail, new tries
    assert confirm(client, email="ann@example.org", code=fresh).status_code == 200


def test_wrong_codes_are_counted_like_passwords(make_mail_app, smtp_server, ledger) -> None:
    app = make_mail_app(email_sign_in=True, max_failed_logins=3)
    client = app.test_client()
    add_ann(client)
    code, _ = mailed(app, client, smtp_server, ledger)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(3):
        assert confirm(client, email="ann@example.org", code=wrong).status_code == 401
    throttled = confirm(client, email="ann@example.org", code=code)
    assert (throttled.status_code, body(throttled)["error"]) == (429, "too_many_attempts")
    assert int(throttled.headers["Retry-After"]) > 0


def test_asking_is_throttled_per_account_and_per_client_address(app, client, smtp_server) -> None:
    for number in range(5):  # mail_rate_limit, each from another address
        asked = client.post(
            ASK, json={"email": "ann@example.org"}, environ_base={"REMOTE_ADDR": f"10.0.0.{number}"}
        )
        assert asked.status_code == 202
    refused = client.post(
        ASK, json={"email": "ann@example.org"}, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )
    assert (refused.status_code, body(refused)["error"]) == (429, "too_many_requests")
    for number in range(5):  # one address, other accounts (missing ones count alike)
        asked = client.post(
            ASK, json={"email": f"n{number}@example.org"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
        )
        assert asked.status_code == 202
    refused = client.post(
        ASK, json={"email": "x@example.org"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert refused.status_code == 429
    delivered(app)
    assert len(smtp_server.inbox.messages) == 5


def test_any_address_gets_the_same_answer_and_only_a_verified_one_a_mail(
    make_mail_app, smtp_server
) -> None:
    app = make_mail_app(email_sign_in=True, email_verification="optional")
    client = app.test_client()
    add_ann(client)  # an address an administrator set: not verified
    answers = [
        client.post(ASK, json={"email": address})
        for address in ("ann@example.org", "nobody@example.org", "admin@example.org")
    ]
    assert {(r.status_code, r.get_data(as_text=True)) for r in answers} == {
        (202, answers[0].get_data(as_text=True))
    }
    assert {tuple(sorted(r.headers.keys())) for r in answers} == {
        tuple(sorted(answers[0].headers.keys()))
    }
    delivered(app)
    assert smtp_server.inbox.messages == []


class RequestThreadSpy(StoreSpy):
    """A `StoreSpy` that records only the calls made on the test's own thread (the request's)."""

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if threading.current_thread() is not threading.main_thread():
            return method
        return super().__getattr__(name)


def test_asking_for_a_known_or_an_unknown_address_does_the_same_work(
    user_store, token_store, clock, ledger
) -> None:
    """The same store calls on the request path; the code and the link are stored on the outbox's
    thread: no timing difference tells whether an account exists."""
    mail_threads: list[str] = []
    mail_tokens = MemoryMailTokenStore()

    class ThreadNoting:
        def __getattr__(self, name: str) -> Any:
            mail_threads.append(threading.current_thread().name)
            return getattr(mail_tokens, name)

    users, attempts = RequestThreadSpy(user_store), RequestThreadSpy(MemoryAttemptStore())
    app = build_app(
        users,
        token_store,
        clock,
        ledger,
        mailer=LoggingMailer(io.StringIO()),
        mail_token_store=ThreadNoting(),
        attempt_store=attempts,
        api_key_store=MemoryApiKeyStore(),
        email_sign_in=True,
        frontend_url=FRONTEND_URL,
    )
    mail_threads.clear()  # registration checks that the store has the protocol's methods
    client = app.test_client()
    add_ann(client)
    calls = {}
    for address in ("ann@example.org", "nobody@example.org"):
        users.calls.clear(), attempts.calls.clear()
        client.post(ASK, json={"email": address}, environ_base={"REMOTE_ADDR": "10.7.7.7"})
        delivered(
            app
        )  # what the outbox's thread does is not counted: it is not on the request path
        calls[address] = (list(attempts.calls), list(users.calls))
    assert calls["ann@example.org"] == calls["nobody@example.org"]
    assert calls["ann@example.org"] == (["increment"] * 3, ["get_by_email"])
    delivered(app)
    assert mail_threads and set(mail_threads) == {"frappyauth-outbox"}


def test_a_user_with_totp_still_owes_the_second_step(
    make_mail_app, smtp_server, ledger, clock
) -> None:
    app = make_mail_app(email_sign_in=True, totp=True)
    client = app.test_client()
    add_ann(client)
    ann = login(app.test_client(), "ann", ANN_PASSWORD)
    secret, _ = enrol(app.test_client(), ann, ANN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    code, _ = mailed(app, client, smtp_server, ledger)
    pending = confirm(client, email="ann@example.org", code=code)
    assert pending.status_code == 200 and "Set-Cookie" not in pending.headers
    assert body(pending)["mfaRequired"] is True and "token" not in body(pending)
    finished = second_step(client, body(pending)["mfaToken"], code=totp_code(secret, clock.now))
    assert finished.status_code == 200 and body(finished)["user"]["username"] == "ann"


def test_a_trusted_device_skips_the_second_step_after_a_code_too(
    make_mail_app, smtp_server, ledger, clock
) -> None:
    app = make_mail_app(email_sign_in=True, totp=True, trusted_devices=True)
    client = app.test_client()
    add_ann(client)
    ann = login(app.test_client(), "ann", ANN_PASSWORD)
    secret, _ = enrol(app.test_client(), ann, ANN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    code, _ = mailed(app, client, smtp_server, ledger)
    pending = body(confirm(client, email="ann@example.org", code=code))
    trusted = second_step(
        client, pending["mfaToken"], code=totp_code(secret, clock.now), trustDevice=True
    )
    assert trusted.status_code == 200
    code, _ = mailed(app, client, smtp_server, ledger)
    assert set(body(confirm(client, email="ann@example.org", code=code))) == {"user", "token"}


@pytest.mark.parametrize(
    "sent, status",
    [
        ({}, 400),
        ({"email": "ann@example.org"}, 400),
        ({"code": "12345678"}, 400),
        ({"email": "ann@example.org", "code": "1234567"}, 400),
        ({"email": "ann@example.org", "code": "123456789"}, 400),
        ({"email": "ann@example.org", "code": "1234567a"}, 400),
        ({"email": "ann@example.org", "code": "١٢٣٤٥٦٧٨"}, 400),  # digits, but not ASCII ones
        ({"email": "ann@example.org", "code": 12345678}, 400),
        ({"email": "not an address", "code": "12345678"}, 400),
        ({"email": "ann@example.org", "code": "12345678", "token": "x"}, 400),
        ({"token": None}, 400),
        ({"token": "x" * 129}, 401),
        ({"token": "not a token"}, 401),
        ({"email": "ann@example.org", "code": "12345678"}, 401),
    ],
)
def test_refusals_of_confirm(client, sent, status) -> None:
    refused = client.post(CONFIRM, json=sent)
    assert refused.status_code == status and "error" in body(refused)


@pytest.mark.parametrize("sent", [{}, {"email": None}, {"email": 5}, {"email": "not an address"}])
def test_refusals_of_asking(app, client, smtp_server, sent) -> None:
    assert client.post(ASK, json=sent).status_code == 400
    delivered(app)
    assert smtp_server.inbox.messages == []


def test_with_the_option_off_the_endpoints_are_404(make_mail_app) -> None:
    client = make_mail_app(password_reset=True).test_client()
    off = client.post(ASK, json={"email": "ann@example.org"})
    assert (off.status_code, body(off)["error"]) == (404, "feature_disabled")
    assert "email_sign_in" in body(off)["message"]


def test_the_option_needs_the_mail_set_up(make_app, smtp_server) -> None:
    with pytest.raises(ValueError, match="'frontend_url' is needed by the mail flows"):
        make_app(email_sign_in=True, mailer=LoggingMailer(io.StringIO()))
    with pytest.raises(ValueError, match="need a mailer"):
        make_app(email_sign_in=True, frontend_url=FRONTEND_URL)


class ForcedInterleaving:
    """Stores that hold every check of a code until all `threads` have counted their try: the worst
    interleaving for a counter that is read, then written."""

    def __init__(self, threads: int) -> None:
        self.attempts, self.mail_tokens = MemoryAttemptStore(), MemoryMailTokenStore()
        self._threads, self._counted, self._lock = threads, 0, threading.Lock()
        self.all_counted = threading.Event()
        self.checks = 0

    def increment(self, key: str, *args: Any) -> Any:
        counter = self.attempts.increment(key, *args)
        if key.startswith(TRIES_PREFIX):
            with self._lock:
                self._counted += 1
                if self._counted == self._threads:
                    self.all_counted.set()
        return counter

    def take(self, token_hash: str, purpose: str, now: Any) -> Any:
        if purpose == EMAIL_SIGN_IN_CODE:
            assert self.all_counted.wait(10), "not every thread counted its try"
            with self._lock:
                self.checks += 1
        return self.mail_tokens.take(token_hash, purpose, now)


@pytest.mark.parametrize("threads, right", [(24, 24), (24, 12), (24, 1), (MAX_CODE_TRIES, 5)])
def test_24_threads_at_one_code_check_at_most_the_allowed_tries_and_one_signs_in(
    backend, user_store, token_store, clock, ledger, smtp_server, threads, right
) -> None:
    """`right` of the threads send the right code, the others a wrong one; with as many threads
    as tries allowed, every one is checked at once and exactly one signs in."""
    if not backend.thread_safe:
        pytest.skip("mongomock is not thread-safe: concurrency is tested on the memory store")
    forced = ForcedInterleaving(threads)

    class Attempts:
        def __getattr__(self, name: str) -> Any:
            return forced.increment if name == "increment" else getattr(forced.attempts, name)

    class MailTokens:
        def __getattr__(self, name: str) -> Any:
            return forced.take if name == "take" else getattr(forced.mail_tokens, name)

    app = build_app(
        user_store,
        token_store,
        clock,
        ledger,
        mailer=SmtpMailer(HOST, smtp_server.port, from_address="auth@example.org", timeout=5),
        mail_token_store=MailTokens(),
        attempt_store=Attempts(),
        api_key_store=MemoryApiKeyStore(),
        email_sign_in=True,
        frontend_url=FRONTEND_URL,
    )
    client = app.test_client()
    add_ann(client)
    code, _ = mailed(app, client, smtp_server, ledger)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    statuses: list[int] = []
    run_in_threads(
        lambda n: statuses.append(
            app.test_client()
            .post(
                CONFIRM,
                json={"email": "ann@example.org", "code": code if n < right else wrong},
                environ_base={"REMOTE_ADDR": f"10.2.0.{n}"},  # apart: the login throttle stays out
            )
            .status_code
        ),
        [(n,) for n in range(threads)],
    )
    if threads == right == MAX_CODE_TRIES:
        assert forced.checks == MAX_CODE_TRIES and sorted(statuses) == [200] + [401] * 4
        return
    # Every try was counted before any was checked, so only the first MAX_CODE_TRIES were checked
    # (the later ones voided the code: a flood kills it, and its owner asks for another).
    assert forced.checks == MAX_CODE_TRIES
    assert statuses.count(200) <= 1 and set(statuses) <= {200, 401}


def test_the_documented_code_has_the_digits_of_the_core(client) -> None:
    document = body(client.get("/api/user/openapi.json"))
    schema = document["paths"]["/api/user/login/email/confirm"]["post"]["requestBody"]["content"]
    pattern = schema["application/json"]["schema"]["properties"]["code"]["pattern"]
    assert pattern == f"^[0-9]{{{CODE_DIGITS}}}$"


def test_a_wrong_code_is_announced_as_a_failed_login(app, client, smtp_server, ledger) -> None:
    failed: list[dict[str, Any]] = []
    code, _ = mailed(app, client, smtp_server, ledger)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    with signals.login_failed.connected_to(lambda _app, **seen: failed.append(seen), app):
        assert confirm(client, email="ann@example.org", code=wrong).status_code == 401
        assert confirm(client, token="not a token").status_code == 401
        assert confirm(client, email="ann@example.org", code=code).status_code == 200
    assert [seen["user_id"] for seen in failed] == [None, None]
