"""New-device sign-in alerts (option `new_device_alerts`), end to end over HTTP against a real SMTP
server: a mail for a browser and network not seen lately, and its single-use "this wasn't me"
link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from frappyauth.core.new_devices import approximate_network, browser_family
from conftest import NOW
from frappyauth.core.mailer import SmtpMailer
from http_support import ADMIN_PASSWORD, StoreSpy, auth, body, build_app, login
from smtp_support import FRONTEND_URL, HOST, SmtpServer, delivered, parts, token_in

PREFIX = "/api/user"
PASSWORD = "dora's own password"
ADDRESS = "dora@example.org"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
FIREFOX_NEWER = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
ALERTS = {"password_reset": True, "new_device_alerts": True}


@pytest.fixture
def app(make_mail_app: Any) -> Flask:
    app = make_mail_app(**ALERTS)
    client = app.test_client()
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    created = client.post(
        f"{PREFIX}/users",
        json={"username": "dora", "password": PASSWORD, "email": ADDRESS},
        headers=admin,
    )
    assert created.status_code == 200
    return app


def sign_in(app: Flask, agent: str = FIREFOX, address: str = "203.0.113.5") -> str:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = client.post(
        f"{PREFIX}/login",
        json={"username": "dora", "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.get_json()
    return body(response)["token"]


def alerts(app: Flask, server: SmtpServer) -> list[Any]:
    delivered(app)
    return [m for m in server.to(ADDRESS) if m["Subject"] == "New sign-in to your account"]


def test_an_accounts_first_device_is_learnt_without_a_mail(app, smtp_server) -> None:
    sign_in(app)
    sign_in(app)
    assert alerts(app, smtp_server) == []


def test_a_new_browser_gets_one_alert_and_a_known_one_none(app, smtp_server, ledger) -> None:
    sign_in(app, FIREFOX)
    sign_in(app, CHROME)
    [alert] = alerts(app, smtp_server)
    text, html = parts(alert)
    assert "Chrome" in text and "203.0.113.0/24" in text and "2100-01-01 12:00 UTC" in text
    assert "Chrome" in html and "this wasn" in html.lower()
    ledger.minted.add(token_in(alert))
    sign_in(app, CHROME)
    sign_in(app, FIREFOX_NEWER, "203.0.113.77")  # a newer Firefox in the same /24: known
    assert len(alerts(app, smtp_server)) == 1


def test_not_again_within_the_window_but_again_after_it(app, smtp_server, clock) -> None:
    sign_in(app, FIREFOX)
    sign_in(app, CHROME)
    clock.advance(days=89)
    sign_in(app, CHROME)  # seen 89 days ago: known, and seen again now
    assert len(alerts(app, smtp_server)) == 1
    clock.advance(days=91)
    sign_in(app, CHROME)  # not seen for 91 days
    assert len(alerts(app, smtp_server)) == 2


def test_a_new_network_fires_again_by_slash_24_and_slash_64(app, smtp_server) -> None:
    sign_in(app, FIREFOX, "203.0.113.5")
    sign_in(app, FIREFOX, "198.51.100.5")
    sign_in(app, FIREFOX, "198.51.100.200")
    assert len(alerts(app, smtp_server)) == 1
    sign_in(app, FIREFOX, "2001:db8:1:2::5")
    sign_in(app, FIREFOX, "2001:db8:1:2:ffff::1")
    assert len(alerts(app, smtp_server)) == 2
    assert "2001:db8:1:2::/64" in parts(alerts(app, smtp_server)[-1])[0]


def test_flooding_is_capped_per_account_and_hour(app, smtp_server, clock) -> None:
    sign_in(app, FIREFOX, "203.0.113.5")
    for network in range(1, 8):
        sign_in(app, FIREFOX, f"198.51.{network}.1")
    assert len(alerts(app, smtp_server)) == 3
    clock.advance(minutes=61)
    sign_in(app, CHROME, "192.0.2.1")
    assert len(alerts(app, smtp_server)) == 4


def test_the_link_ends_every_session_and_sends_a_reset_mail(
    app, smtp_server, ledger, user_store
) -> None:
    mine = sign_in(app, FIREFOX)
    theirs = sign_in(app, CHROME, "198.51.100.9")
    token = token_in(alerts(app, smtp_server)[-1])
    ledger.minted.add(token)
    client = app.test_client()
    reported = client.post(f"{PREFIX}/sign-in-report", json={"token": token})
    assert reported.status_code == 200 and body(reported) == {"status": "signed_out_everywhere"}
    for session in (mine, theirs):
        assert client.get(PREFIX, headers=auth(session)).status_code == 401
    stolen = client.post(f"{PREFIX}/login", json={"username": "dora", "password": PASSWORD})
    assert stolen.status_code == 401  # the password whoever signed in knew is void too
    delivered(app)
    reset_mail = smtp_server.to(ADDRESS)[-1]
    assert reset_mail["Subject"] == "Reset your password"
    reset_token = token_in(reset_mail)
    ledger.minted.add(reset_token)
    confirmed = client.post(
        f"{PREFIX}/password-reset/confirm",
        json={"token": reset_token, "password": "dora's brand new password"},
    )
    assert confirmed.status_code == 200
    assert login(client, "dora", "dora's brand new password")


def test_the_link_is_single_use(app, smtp_server, ledger) -> None:
    sign_in(app, FIREFOX)
    sign_in(app, CHROME)
    token = token_in(alerts(app, smtp_server)[-1])
    ledger.minted.add(token)
    client = app.test_client()
    assert client.post(f"{PREFIX}/sign-in-report", json={"token": token}).status_code == 200
    again = client.post(f"{PREFIX}/sign-in-report", json={"token": token})
    assert again.status_code == 400 and body(again)["error"] == "invalid_token"
    unknown = client.post(f"{PREFIX}/sign-in-report", json={"token": "not a token"})
    assert unknown.status_code == 400
    delivered(app)  # the reset mail, before the server stops


def test_the_link_survives_a_password_change_by_whoever_signed_in(app, smtp_server, ledger):
    sign_in(app, FIREFOX)
    theirs = sign_in(app, CHROME, "198.51.100.9")
    token = token_in(alerts(app, smtp_server)[-1])
    ledger.minted.add(token)
    client = app.test_client()
    changed = client.post(
        f"{PREFIX}/password",
        json={"oldPassword": PASSWORD, "newPassword": "the thief's password"},
        headers=auth(theirs),
    )
    assert changed.status_code == 200
    assert client.post(f"{PREFIX}/sign-in-report", json={"token": token}).status_code == 200
    assert client.get(PREFIX, headers=auth(theirs)).status_code == 401
    delivered(app)


def test_the_option_needs_the_password_reset_flow(make_mail_app) -> None:
    with pytest.raises(ValueError, match="new_device_alerts.*password_reset"):
        make_mail_app(new_device_alerts=True, email_change=True)


def test_off_by_default_the_link_endpoint_is_switched_off(make_app) -> None:
    client = make_app().test_client()
    answer = client.post(f"{PREFIX}/sign-in-report", json={"token": "x"})
    assert answer.status_code == 404 and "new_device_alerts" in body(answer)["message"]


def test_a_sign_in_from_a_known_device_costs_one_write_more(
    user_store,
    token_store,
    attempt_store,
    api_key_store,
    mail_token_store,
    device_store,
    smtp_server,
    clock,
    ledger,
) -> None:
    spies = {
        "user_store": StoreSpy(user_store),
        "token_store": StoreSpy(token_store),
        "attempt_store": StoreSpy(attempt_store),
        "api_key_store": StoreSpy(api_key_store),
        "mail_token_store": StoreSpy(mail_token_store),
        "device_store": StoreSpy(device_store),
    }
    mailer = SmtpMailer(HOST, smtp_server.port, timeout=5)

    def app_with(**options: Any) -> Flask:
        stores = {name: spy for name, spy in spies.items() if name != "user_store"}
        return build_app(
            spies["user_store"],
            clock=clock,
            ledger=ledger,
            mailer=mailer,
            frontend_url=FRONTEND_URL,
            password_reset=True,
            **stores,
            **options,
        )

    without, with_alerts = app_with(), app_with(new_device_alerts=True)
    admin = auth(login(without.test_client(), "admin", ADMIN_PASSWORD))
    without.test_client().post(
        f"{PREFIX}/users",
        json={"username": "dora", "password": PASSWORD, "email": ADDRESS},
        headers=admin,
    )
    sign_in(with_alerts)  # the first device: learnt

    def writes_of_a_sign_in(app: Flask) -> list[str]:
        for spy in spies.values():
            spy.calls.clear()
        sign_in(app)
        # A device store's `see` is an upsert: a write, though not named like one.
        return [call for spy in spies.values() for call in spy.calls if call == "see"] + [
            call for spy in spies.values() for call in spy.writes()
        ]

    on, off = writes_of_a_sign_in(with_alerts), writes_of_a_sign_in(without)
    assert on == ["see", *off]
    assert alerts(with_alerts, smtp_server) == []


def test_browser_families_and_networks() -> None:
    assert browser_family(FIREFOX) == browser_family(FIREFOX_NEWER) == "Firefox"
    assert browser_family(CHROME) == "Chrome"
    edge = CHROME + " Edg/126.0.0.0"
    assert browser_family(edge) == "Edge"
    safari = (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15"
    )
    assert browser_family(safari) == "Safari"
    assert browser_family("curl/8.5.0") == "curl"
    assert browser_family(None) == browser_family("") == browser_family("Mozilla/5.0") == "unknown"
    assert approximate_network("203.0.113.77") == "203.0.113.0/24"
    assert approximate_network("::ffff:203.0.113.77") == "203.0.113.0/24"
    assert approximate_network("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert approximate_network(None) == approximate_network("unix socket") == "unknown"


def test_an_alert_and_a_report_are_each_kept_once_in_the_audit_trail(
    make_mail_app, smtp_server, audit_store, ledger
) -> None:
    app = make_mail_app(**ALERTS, audit_trail=True)
    client = app.test_client()
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    client.post(
        f"{PREFIX}/users",
        json={"username": "dora", "password": PASSWORD, "email": ADDRESS},
        headers=admin,
    )
    user_id = body(client.get(f"{PREFIX}/users?q=dora", headers=admin))["users"][0]["id"]
    sign_in(app, FIREFOX)
    sign_in(app, CHROME, "198.51.100.9")
    token = token_in(alerts(app, smtp_server)[-1])
    ledger.minted.add(token)
    client.post(f"{PREFIX}/sign-in-report", json={"token": token})
    kept = audit_store.page(user_id, None, None, NOW - timedelta(days=1), 100)
    alerted = [entry for entry in kept if entry.event == "new-device-signed-in"]
    assert [entry.details for entry in alerted] == [
        {"browser": "Chrome", "network": "198.51.100.0/24"}
    ]
    assert [entry.event for entry in kept].count("sign-in-reported") == 1
    assert token not in str(kept)
    delivered(app)
