"""The console in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

Each test saves the last screen of every window under tests/browser-artifacts/ (kept out of the repository),
and the page's console log too when it failed; a script error or a Content-Security-Policy violation in a
page's console fails the test.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from browser_support import Browser, ConsoleServer, chromium_or_skip
from http_support import ADMIN_PASSWORD, USER_PASSWORD

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


def test_admin_creates_a_user_who_makes_a_key_and_is_signed_out_by_the_admin(server, browser) -> None:
    admin = browser()
    admin.sign_in(server.console, "admin", ADMIN_PASSWORD)
    admin.see("user-count", "1 user in all")
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

    admin.click_text("Manage carol")
    admin.see("detail-sessions", "1 active session.")
    admin.click_text("End all sessions")
    admin.message("1 session ended.")
    carol.click_text("My account")
    carol.message("Your session has ended: please sign in again.")
    assert carol.visible("view-sign-in") and not carol.visible("nav")
