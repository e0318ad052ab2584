"""The console's second factor in a real Chromium: TOTP enrolment from the QR code's key, the
login's second step with a code and with a recovery code, turning it off, an administrator's
reset; a passkey added and used with Chromium's virtual authenticator (the DevTools WebAuthn
domain)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest

from browser_support import ConsoleServer
from http_support import ADMIN_PASSWORD, USER_PASSWORD

# The fixture: windows saved and checked at the end.
from test_console_browser import browser  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[ConsoleServer]:
    running = ConsoleServer(totp=True, mfa_encryption_key="k" * 32)
    yield running
    running.stop()


def sign_in_with_code(window, console: str, username: str, password: str, code: str) -> None:
    window.driver.get(console)
    window.wait(lambda: window.visible("view-sign-in"), "the sign-in form")
    window.fill("sign-in-username", username)
    window.fill("sign-in-password", password)
    window.click_text("Sign in")
    window.wait(lambda: window.visible("mfa-form"), "the second step")
    window.fill("mfa-code", code)
    window.click_text("Continue")


def test_totp_is_turned_on_from_the_shown_key_then_asked_for_at_sign_in(
    server,
    browser,  # noqa: F811
) -> None:
    window = browser()
    window.sign_in(server.console, "admin", ADMIN_PASSWORD)
    window.click_text("My account")
    window.see("totp-state", "Off")
    window.fill("totp-start-password", ADMIN_PASSWORD)
    window.click_text("Set up two-step sign-in")
    window.wait(lambda: window.visible("totp-enrol"), "the QR code")
    assert (
        window.driver.execute_script("return document.getElementById('totp-qr').naturalWidth") > 0
    )
    totp = pyotp.TOTP(window.find("totp-secret").get_attribute("value"))
    window.fill("totp-confirm-code", totp.now())
    window.click_text("Turn on")
    window.message("Two-step sign-in is on.")
    codes = [item.text for item in window.find("recovery-list").find_elements("css selector", "li")]
    assert len(codes) == 10
    window.click_text("I have saved them")
    window.see("totp-state", "On")
    window.click_text("Sign out")

    sign_in_with_code(window, server.console, "admin", ADMIN_PASSWORD, "000000")
    window.message("The code is wrong.")
    window.fill("mfa-code", codes[0])
    window.click_text("Continue")
    window.see("who", "Signed in as admin")
    window.click_text("Sign out")

    sign_in_with_code(
        window, server.console, "admin", ADMIN_PASSWORD, totp.at(time.time() + 30)
    )  # the next step
    window.see("who", "Signed in as admin")
    window.click_text("My account")
    window.fill("totp-manage-password", ADMIN_PASSWORD)
    window.fill("totp-manage-code", codes[1])
    window.click_text("Turn off two-step sign-in")
    window.message("Two-step sign-in is off.")
    window.see("totp-state", "Off")


def test_an_admin_resets_a_users_second_factor(server, browser) -> None:  # noqa: F811
    token = server.call(
        "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]["token"]
    server.call("POST", "/api/user/users", {"username": "hal", "password": USER_PASSWORD}, token)
    hal = server.call("POST", "/api/user/login", {"username": "hal", "password": USER_PASSWORD})[1][
        "token"
    ]
    secret = server.call("POST", "/api/user/mfa/totp", {"password": USER_PASSWORD}, hal)[1][
        "secret"
    ]
    assert (
        server.call("POST", "/api/user/mfa/totp/confirm", {"code": pyotp.TOTP(secret).now()}, hal)[
            0
        ]
        == 200
    )
    assert server.call("POST", "/api/user/login", {"username": "hal", "password": USER_PASSWORD})[
        1
    ]["mfaRequired"]

    admin = browser()
    admin.sign_in(server.console, "admin", ADMIN_PASSWORD)
    admin.click_text("Manage hal")
    admin.click_text("Reset second factor")
    admin.message("Second factor reset")
    assert (
        "token"
        in server.call("POST", "/api/user/login", {"username": "hal", "password": USER_PASSWORD})[1]
    )


@pytest.fixture
def passkey_server() -> Iterator[ConsoleServer]:
    running = ConsoleServer(passkeys=True, mfa_encryption_key="k" * 32)
    yield running
    running.stop()


def test_a_passkey_is_added_then_used_at_sign_in_with_chromiums_virtual_authenticator(
    passkey_server,
    browser,  # noqa: F811
) -> None:
    # WebAuthn needs a domain for its relying party: localhost is one (127.0.0.1 is not), and a
    # secure context.
    console = passkey_server.console.replace("127.0.0.1", "localhost")
    window = browser()
    window.driver.execute_cdp_cmd("WebAuthn.enable", {})
    window.driver.execute_cdp_cmd(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    window.sign_in(console, "admin", ADMIN_PASSWORD)
    window.click_text("My account")
    window.fill("passkey-name", "laptop")
    window.click_text("Add a passkey")
    window.message("Passkey laptop added.")
    window.see("passkey-list", "laptop: added")
    window.click_text("Sign out")

    window.fill("sign-in-username", "admin")
    window.fill("sign-in-password", ADMIN_PASSWORD)
    window.click_text("Sign in")
    window.wait(lambda: window.visible("mfa-passkey"), "the passkey button of the second step")
    assert not window.visible(
        "mfa-code-part"
    )  # no TOTP on this account: only the passkey is offered
    window.click_text("Use a passkey")
    window.see("who", "Signed in as admin")
    window.click_text("My account")
    window.see("passkey-list", "last used")
    window.click_text("Remove passkey laptop")
    window.message("Passkey laptop removed.")
    answer = passkey_server.call(
        "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]
    assert "token" in answer and "mfaRequired" not in answer  # no second factor is left
