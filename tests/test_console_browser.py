"""The console in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium).

Each test saves the last screen of every window under tests/browser-artifacts/ (kept out of the
repository), and the page's console log too when it failed; a script error or a
Content-Security-Policy violation in a page's console fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from browser_support import Browser, ConsoleServer, chromium_or_skip
from http_support import ADMIN_PASSWORD, USER_PASSWORD

pytestmark = pytest.mark.slow  # a browser and a server per test
NEW_PASSWORD = "a brand new password"


@pytest.fixture
def server() -> Iterator[ConsoleServer]:
    running = ConsoleServer()
    yield running
    running.stop()


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[..., Browser]]:
    binaries = chromium_or_skip()
    windows: list[Browser] = []

    def open_window(**size: int) -> Browser:
        windows.append(Browser(binaries, tmp_path / f"profile-{len(windows)}", **size))
        return windows[-1]

    yield open_window
    report = getattr(request.node, "report_call", None)
    failed = report is None or report.failed
    try:
        for number, window in enumerate(windows):
            window.save(f"{request.node.name}-{number}", failed)
        errors = [error for window in windows for error in window.script_errors()]
    finally:
        for window in windows:
            window.quit()
    assert not errors, errors


def test_admin_creates_a_user_who_makes_a_key_and_is_signed_out_by_the_admin(
    server, browser
) -> None:
    hostile = '<img src=x onerror="alert(1)">'
    token = server.call(
        "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]["token"]
    server.call("POST", "/api/user/users", {"username": hostile, "password": USER_PASSWORD}, token)
    admin = browser()
    admin.sign_in(server.console, "admin", ADMIN_PASSWORD)
    admin.see("user-count", "2 users in all")
    admin.see("user-table", hostile)  # shown as text, never parsed as HTML
    assert admin.driver.find_elements("css selector", "#user-table img") == []
    admin.fill("create-username", "carol")
    admin.fill("create-password", USER_PASSWORD)
    admin.click_text("Create user")
    admin.message("carol created.")
    admin.fill("search-prefix", "CA")
    admin.click_text("Search")
    admin.see("user-count", '1 user starting with "CA"')
    admin.click_text("Manage carol")
    admin.see("detail-title", "carol")
    admin.fill("detail-permissions", "view")
    admin.click_text("Save permissions")
    admin.message("Permissions saved.")
    admin.see("user-table", "carol view")

    carol = browser()
    carol.sign_in(server.console, "carol", USER_PASSWORD)
    assert carol.visible("view-account") and not carol.visible("nav-users")
    carol.fill("key-name", "ci")
    carol.fill("key-scopes", "view")
    carol.click_text("Create key")
    carol.message("copy it now")
    api_key = carol.find("new-key-value").get_attribute("value")
    assert server.call("GET", "/api/things", token=f"Token {api_key}") == (200, {"for": "carol"})
    carol.click_text("Done")
    assert not carol.visible("new-key") and carol.find("new-key-value").get_attribute("value") == ""
    carol.see("key-list", "ci: view; expires")
    carol.click_text("Revoke key ci")
    carol.message("Key ci revoked.")
    assert server.call("GET", "/api/things", token=f"Token {api_key}")[0] == 401

    carol.fill("key-name", "left on screen")
    carol.click_text("Create key")
    carol.message("copy it now")
    admin.click_text("Manage carol")
    admin.see("detail-sessions", "1 active session.")
    admin.click_text("End all sessions")
    admin.message("1 session ended.")
    carol.click_text("My account")
    carol.message("Your session has ended: please sign in again.")
    assert carol.visible("view-sign-in") and not carol.visible("nav")
    assert carol.find("new-key-value").get_attribute("value") == "" and not carol.visible("new-key")


@pytest.fixture
def strict_server() -> Iterator[ConsoleServer]:
    running = ConsoleServer(max_failed_logins=2, lockout_seconds=900)
    yield running
    running.stop()


def test_sign_in_shows_busy_then_explains_401_429_and_503(strict_server, browser) -> None:
    window = browser()
    window.driver.get(strict_server.console)
    window.wait(lambda: window.visible("view-sign-in"), "the sign-in form")
    window.fill("sign-in-username", "admin")
    window.fill("sign-in-password", "not the password")
    strict_server.gate.closed = True
    window.click_text("Sign in")
    assert strict_server.gate.reached.wait(15), "the login never reached the store"
    assert window.visible("busy") and window.find("busy").text == "Working…"
    assert window.driver.execute_script("return document.body.getAttribute('aria-busy')") == "true"
    assert not window.find("sign-in-form").find_element("css selector", "button").is_enabled()
    strict_server.gate.closed = False
    strict_server.gate.opened.set()
    window.message("Wrong username or password.")
    assert not window.visible("busy")

    window.click_text("Sign in")
    window.message("Wrong username or password.")
    window.click_text("Sign in")
    window.message("Too many failed attempts. Try again in 15 minutes.")

    strict_server.users.failing.add("*")
    window.fill("sign-in-username", "someone")
    window.click_text("Sign in")
    window.message("The user store is unavailable. Try again in 7 seconds.")
    assert window.visible("view-sign-in")


@pytest.fixture
def small_pages() -> Iterator[ConsoleServer]:
    running = ConsoleServer(page_size=2, max_failed_logins=1)
    yield running
    running.stop()


def test_admin_pages_resets_unlocks_revokes_keys_and_deletes_with_confirmation(
    small_pages, browser
) -> None:
    server = small_pages
    admin_token = server.call(
        "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]["token"]
    for name in ["bea", "dan", "eve"]:
        server.call(
            "POST", "/api/user/users", {"username": name, "password": USER_PASSWORD}, admin_token
        )
    dan = server.call("POST", "/api/user/login", {"username": "dan", "password": USER_PASSWORD})[1][
        "token"
    ]
    server.call("POST", "/api/user/keys", {"name": "deploy"}, dan)
    assert (
        server.call("POST", "/api/user/login", {"username": "dan", "password": "wrong"})[0] == 401
    )
    assert (
        server.call("POST", "/api/user/login", {"username": "dan", "password": USER_PASSWORD})[0]
        == 429
    )

    admin = browser(width=390, height=844)  # a phone
    admin.sign_in(server.console, "admin", ADMIN_PASSWORD)
    assert admin.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )
    admin.see("page-label", "Page 1 of 2")
    admin.click_text("Next page")
    admin.see("page-label", "Page 2 of 2")
    admin.see("user-table", "eve")
    admin.click_text("Manage dan")
    admin.see("detail-keys", "deploy")
    admin.click_text("Unlock sign-in")
    admin.message("Unlocked")
    assert (
        server.call("POST", "/api/user/login", {"username": "dan", "password": USER_PASSWORD})[0]
        == 200
    )
    admin.click_text("Revoke all API keys")
    admin.message("1 API key revoked.")
    admin.fill("detail-password", NEW_PASSWORD)
    admin.click_text("Reset password")
    admin.message("Password reset")
    assert server.call("GET", "/api/user", token=dan)[0] == 401
    assert (
        server.call("POST", "/api/user/login", {"username": "dan", "password": NEW_PASSWORD})[0]
        == 200
    )

    admin.click_text("Delete user…")
    admin.see("delete-question", "Delete dan for good?")
    admin.click_text("Cancel")
    assert not admin.visible("delete-confirm")
    admin.click_text("Delete user…")
    admin.click_text("Yes, delete")
    admin.message("dan deleted.")
    admin.see("user-count", "3 users in all")

    admin.click_text("Previous page")
    admin.click_text("Manage admin")
    admin.fill("detail-permissions", "view")
    admin.click_text("Save permissions")
    admin.message("This is the last administrator: give another user the admin permission first")
    assert (
        admin.find("detail-permissions").get_attribute("value") == "admin"
    )  # what the user still holds


@pytest.fixture
def keyless_server() -> Iterator[ConsoleServer]:
    running = ConsoleServer(api_keys=False)
    yield running
    running.stop()


def test_account_view_by_keyboard_at_phone_width_ends_sessions(keyless_server, browser) -> None:
    server = keyless_server
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    admin_token = server.call(
        "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]["token"]
    server.call(
        "POST", "/api/user/users", {"username": "fay", "password": USER_PASSWORD}, admin_token
    )

    def other_session() -> str:
        return server.call(
            "POST", "/api/user/login", {"username": "fay", "password": USER_PASSWORD}
        )[1]["token"]

    phone = browser(width=390, height=844)
    phone.driver.get(server.console)
    phone.wait(lambda: phone.visible("view-sign-in"), "the sign-in form")
    assert phone.driver.switch_to.active_element.get_attribute("id") == "sign-in-username"
    ActionChains(phone.driver).send_keys("fay", Keys.TAB, USER_PASSWORD, Keys.ENTER).perform()
    phone.see("who", "Signed in as fay")
    unlabelled = (
        "return [...document.querySelectorAll('input, select')].filter(f => "
        "!f.labels.length).map(f => f.id)"
    )
    assert phone.driver.execute_script(unlabelled) == []
    assert phone.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )
    assert not phone.visible("keys-card")  # API keys are off on this server

    elsewhere = other_session()
    phone.fill("old-password", USER_PASSWORD)
    phone.fill("new-password", NEW_PASSWORD)
    phone.click_text("Change password")
    phone.message("Password changed. Your other sessions have ended.")
    assert server.call("GET", "/api/user", token=elsewhere)[0] == 401
    phone.see("session-list", "This session")

    elsewhere = server.call(
        "POST", "/api/user/login", {"username": "fay", "password": NEW_PASSWORD}
    )[1]["token"]
    phone.click_text("Log out other sessions")
    phone.message("1 other session ended.")
    assert server.call("GET", "/api/user", token=elsewhere)[0] == 401
    phone.click_text("Log out everywhere")
    phone.message("You are signed out everywhere.")
    phone.driver.refresh()
    phone.wait(lambda: phone.visible("view-sign-in"), "the sign-in form after a reload")


def test_a_message_ends_with_its_view_and_nothing_switched_off_is_asked_for(
    keyless_server, browser
) -> None:
    """Passkeys and API keys are off here: the console never asks for them (a 404 the browser would
    log as an error), and the banner of one view does not follow the admin to the next."""
    admin = browser()
    admin.sign_in(keyless_server.console, "admin", ADMIN_PASSWORD)
    admin.click_text("Manage admin")
    admin.see("detail-sessions", "1 active session.")
    admin.idle()
    assert not admin.visible("detail-revoke-keys")
    admin.fill("detail-permissions", "view")
    admin.click_text("Save permissions")
    admin.message("This is the last administrator")
    admin.find("nav-account").click()
    admin.wait(lambda: admin.visible("view-account"), "the account view")
    admin.idle()
    assert not admin.visible("message") and admin.text("message") == ""
    assert not admin.visible("passkey-card") and not admin.visible("keys-card")
    admin.find("nav-users").click()
    admin.wait(lambda: admin.visible("view-users"), "the users view")
    admin.idle()
    assert not admin.visible("message")
    log = [entry["message"] for entry in admin.read_console_log()]
    assert [line for line in log if "status of 404" in line] == []
    assert any("status of 409" in line for line in log)  # the log does show refused requests
