"""The console's audit trail and impersonation in a real Chromium: the administrators' audit page
(filtered, page by page), "recent activity" on the account page, and the banner while impersonating
with its "end" button."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest

from browser_support import ConsoleServer
from http_support import ADMIN_PASSWORD, USER_PASSWORD

# The fixture: windows saved and checked at the end.
from test_console_browser import browser  # noqa: F401
from test_console_browser_mfa import sign_in_with_code

pytestmark = pytest.mark.slow
SUPPORT_PASSWORD = "support password 5678"
REASON = "ticket 4711"


@pytest.fixture
def server() -> Iterator[ConsoleServer]:
    running = ConsoleServer(
        audit_trail=True, totp=True, mfa_encryption_key="k" * 32, impersonation=True
    )
    yield running
    running.stop()


def admin_token(server: ConsoleServer) -> str:
    body = {"username": "admin", "password": ADMIN_PASSWORD}
    return server.call("POST", "/api/user/login", body)[1]["token"]


def create(server: ConsoleServer, token: str, username: str, password: str, *perms: str) -> str:
    body = {"username": username, "password": password, "permissions": list(perms)}
    status, user = server.call("POST", "/api/user/users", body, token)
    assert status == 200, user
    return user["id"]


def rows(window, table: str) -> list[str]:
    """The table's rows as text; read again when the console redraws it during the reading."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):
        try:
            return [
                row.text for row in window.find(table).find_elements("css selector", "tbody tr")
            ]
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"#{table} kept changing while it was read")


def test_the_audit_page_filters_and_pages_newest_first(server, browser) -> None:  # noqa: F811
    token = admin_token(server)
    bob = create(server, token, "bob", USER_PASSWORD, "view")
    for _ in range(26):  # more than a page of 25
        server.call("POST", "/api/user/login", {"username": "bob", "password": USER_PASSWORD})
    window = browser()
    window.sign_in(server.console, "admin", ADMIN_PASSWORD)
    window.click_text("Audit")
    window.see("audit-count", "25 entries, newest first")
    first = rows(window, "audit-table")
    admin_id = server.call("GET", "/api/user", token=token)[1]["id"]
    assert "login-succeeded" in first[0] and admin_id in first[0]  # the console's sign-in, newest
    assert "login-succeeded" in first[1] and bob in first[1]
    assert not window.visible("audit-newest")
    window.click_text("Older entries")
    window.wait(lambda: rows(window, "audit-table") != first, "the next page")
    older = rows(window, "audit-table")
    assert any("user-created" in row and bob in row for row in older)
    assert len(older) == 5  # 30 entries: the 26 sign-ins, 2 creations, 2 of the admin's
    window.click_text("Newest entries")
    window.wait(lambda: rows(window, "audit-table") == first, "the first page again")
    window.fill("audit-type", "user-created")
    window.click_text("Filter")
    window.wait(lambda: len(rows(window, "audit-table")) == 2, "the two creations")
    assert all("user-created" in row for row in rows(window, "audit-table"))


def test_recent_activity_shows_ones_own_events_and_others_by_role(server, browser) -> None:  # noqa: F811
    token = admin_token(server)
    bob = create(server, token, "bob", USER_PASSWORD, "view")
    server.call("POST", "/api/user/login", {"username": "bob", "password": "not the password"})
    server.call("POST", f"/api/user/users/{bob}/permissions", {"permissions": ["view", "x"]}, token)
    window = browser()
    window.sign_in(server.console, "bob", USER_PASSWORD)
    window.see("activity-list", "login-succeeded")
    text = window.text("activity-list")
    assert "permissions-changed · by administrator" in text
    assert "login-failed · refused" in text
    admin_id = server.call("GET", "/api/user", token=token)[1]["id"]
    assert admin_id not in text  # the administrator is named only by role


def test_the_banner_shows_while_impersonating_and_its_button_ends_it(server, browser) -> None:  # noqa: F811
    token = admin_token(server)
    create(server, token, "support", SUPPORT_PASSWORD, "admin", "impersonate")
    bob = create(server, token, "bob", USER_PASSWORD, "view")
    support = server.call(
        "POST", "/api/user/login", {"username": "support", "password": SUPPORT_PASSWORD}
    )[1]["token"]
    secret = server.call("POST", "/api/user/mfa/totp", {"password": SUPPORT_PASSWORD}, support)
    totp = pyotp.TOTP(secret[1]["secret"])
    server.call("POST", "/api/user/mfa/totp/confirm", {"code": totp.now()}, support)

    window = browser()
    sign_in_with_code(
        window, server.console, "support", SUPPORT_PASSWORD, totp.at(time.time() + 30)
    )
    window.see("who", "Signed in as support")
    assert not window.visible("impersonation-banner")
    window.click_text("Manage bob")
    window.wait(lambda: window.visible("impersonate-form"), "the impersonation form")
    window.fill("impersonate-reason", REASON)
    window.click_text("Impersonate")
    window.see("who", "Acting as bob")
    window.see("impersonation-text", "You are acting as bob until")
    assert window.visible("view-account") and not window.visible("nav-users")
    window.see("activity-list", "impersonation-started · by an administrator acting as you")
    assert REASON in window.text("activity-list")

    window.click_text("End impersonation")
    window.message("Impersonation ended.")
    assert window.visible("view-sign-in") and not window.visible("impersonation-banner")
    bob_token = server.call(
        "POST", "/api/user/login", {"username": "bob", "password": USER_PASSWORD}
    )[1]["token"]
    events = [
        e["event"] for e in server.call("GET", "/api/user/activity", token=bob_token)[1]["entries"]
    ]
    assert "impersonation-ended" in events and "impersonation-started" in events
    assert server.call("GET", "/api/user", token=support)[0] == 200  # one's own session stays
    assert (
        server.call("GET", f"/api/user/audit?user={bob}&type=impersonation-ended", token=token)[1][
            "entries"
        ][0]["impersonatorId"]
        == server.call("GET", "/api/user", token=support)[1]["id"]
    )
