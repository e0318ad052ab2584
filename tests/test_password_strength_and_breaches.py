"""The optional checks of a new password: zxcvbn's strength estimate (option `min_password_score`,
the `[strength]` extra) and the Pwned Passwords range API (option `breached_password_check`),
here against a loopback server shaped like the documented API."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from frappyauth import register_endpoints
from frappyauth.stores.memory import MemoryUserStore
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, login

BREACHED = "a breached long password"
PADDED = "a padded long password"  # in the answer only as padding, with count 0


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode("utf-8")).hexdigest().upper()


class RangeApi:
    """A loopback server answering `GET /range/<5 hex>` as the Pwned Passwords range API does."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.answer: str | None = None  # overrides the regular answer (a malformed one)
        self.stall = threading.Event()  # while clear and `stalling`, answers never come
        self.stalling = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                api.requests.append((self.path, dict(self.headers)))
                if api.stalling:
                    api.stall.wait(10)
                    return
                body = (api.answer if api.answer is not None else api.range(self.path)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/range/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def range(self, path: str) -> str:
        prefix = path.rsplit("/", 1)[-1]
        lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:1"]
        for password, count in ((BREACHED, 3), (PADDED, 0)):
            if sha1(password).startswith(prefix):
                lines.append(f"{sha1(password)[5:]}:{count}")
        return "\r\n".join(lines)

    def close(self) -> None:
        self.stall.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def range_api() -> Iterator[RangeApi]:
    api = RangeApi()
    yield api
    api.close()


def app_with(**options: Any) -> Flask:
    app = Flask("strength_test")
    register_endpoints(app, MemoryUserStore(), options_override={"bcrypt_cost": 4, **options})
    app.extensions["frappyauth"].services.accounts.create_initial_admin("admin", ADMIN_PASSWORD)
    return app


def create(app: Flask, password: str) -> Any:
    admin = auth(login(app.test_client(), "admin", ADMIN_PASSWORD))
    return app.test_client().post(
        "/api/user/users", json={"username": "bob", "password": password}, headers=admin
    )


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]


# the breached-password check


def breach_checking(api: RangeApi, **options: Any) -> Flask:
    return app_with(breached_password_check=True, breached_password_api=api.url, **options)


def test_a_breached_password_is_refused_and_only_five_hex_characters_leave(range_api) -> None:
    app = breach_checking(range_api)
    range_api.requests.clear()
    assert error(create(app, BREACHED)) == (400, "password_breached")
    [(path, headers)] = range_api.requests
    assert path == f"/range/{sha1(BREACHED)[:5]}"
    assert headers.get("Add-Padding") == "true"
    assert sha1(BREACHED)[5:] not in str(range_api.requests) and BREACHED not in str(headers)


def test_a_password_listed_only_as_padding_or_not_at_all_is_accepted(range_api) -> None:
    app = breach_checking(range_api)
    assert create(app, PADDED).status_code == 200
    assert (
        create(
            app_with(breached_password_check=True, breached_password_api=range_api.url),
            USER_PASSWORD,
        ).status_code
        == 200
    )


def test_a_login_never_asks_the_service(range_api) -> None:
    app = breach_checking(range_api)
    assert create(app, USER_PASSWORD).status_code == 200
    range_api.requests.clear()
    assert login(app.test_client(), "bob", USER_PASSWORD)
    assert range_api.requests == []


def test_a_malformed_answer_lets_the_password_through_with_a_warning(range_api, caplog) -> None:
    range_api.answer = "<html>not a range</html>"
    with caplog.at_level(logging.WARNING, logger="frappyauth"):
        assert create(breach_checking(range_api), BREACHED).status_code == 200
    assert "breached-password check failed" in caplog.text and BREACHED not in caplog.text


def test_an_unreachable_service_lets_the_password_through_with_a_warning(caplog) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    app = app_with(
        breached_password_check=True, breached_password_api=f"http://127.0.0.1:{port}/range/"
    )
    with caplog.at_level(logging.WARNING, logger="frappyauth"):
        assert create(app, BREACHED).status_code == 200
    assert "breached-password check failed" in caplog.text


def test_a_service_that_does_not_answer_in_time_does_not_block(range_api, caplog) -> None:
    range_api.stalling = True  # the answer waits until the test ends; the timeout is shorter
    app = breach_checking(range_api, breached_password_timeout=0.2)
    with caplog.at_level(logging.WARNING, logger="frappyauth"):
        assert create(app, BREACHED).status_code == 200
    assert "TimeoutError" in caplog.text or "URLError" in caplog.text


def test_without_the_option_nothing_is_asked(range_api) -> None:
    app = app_with(breached_password_api=range_api.url)
    assert create(app, BREACHED).status_code == 200 and range_api.requests == []


# the strength estimate


def test_a_password_scored_below_the_minimum_is_refused_with_advice() -> None:
    app = app_with(min_password_score=3)
    response = create(app, "aaaaaaaaaaaa")
    assert error(response) == (400, "password_too_weak")
    assert "Repeats like" in response.get_json()["message"]  # zxcvbn's feedback, passed on
    assert create(app, "violet kettle marches under nine lamps").status_code == 200


def test_without_a_minimum_no_estimate_is_made() -> None:
    assert create(app_with(), "aaaaaaaaaaaa").status_code == 200


def test_a_minimum_without_the_extra_is_a_clear_error_at_registration(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "zxcvbn", None)  # as if the [strength] extra were missing
    with pytest.raises(RuntimeError, match=r"frappyauth\[strength\]"):
        app_with(min_password_score=2)


def test_a_sign_up_and_a_reset_ask_the_service_once(
    range_api, make_mail_app, smtp_server, ledger
) -> None:
    from smtp_support import delivered, token_in

    app = make_mail_app(
        registration=True,
        password_reset=True,
        breached_password_check=True,
        breached_password_api=range_api.url,
    )
    client = app.test_client()
    range_api.requests.clear()
    signed_up = client.post(
        "/api/user/register",
        json={"username": "carol", "password": USER_PASSWORD, "email": "carol@example.org"},
    )
    assert signed_up.status_code == 200 and len(range_api.requests) == 1
    client.post("/api/user/password-reset", json={"email": "carol@example.org"})
    delivered(app)
    token = token_in(smtp_server.to("carol@example.org")[-1])
    ledger.minted.add(token)
    range_api.requests.clear()
    confirm = client.post(
        "/api/user/password-reset/confirm", json={"token": token, "password": "carol's new one!"}
    )
    assert confirm.status_code == 200 and len(range_api.requests) == 1
