"""The console's roles page, a user's roles and suspension on the user card, and the account's
trusted devices, in a real Chromium (issue 26's console parts); and none of it asked for when the
options are off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from browser_support import ConsoleServer
from http_support import ADMIN_PASSWORD, USER_PASSWORD

# The fixture: windows saved and checked at the end.
from test_console_browser import browser  # noqa: F401

pytestmark = pytest.mark.slow
USERS = "/api/user/users"


def admin_token(server: ConsoleServer) -> str:
    answer = server.call(
        "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )
    return str(answer[1]["token"])


def create_user(server: ConsoleServer, name: str) -> dict[str, Any]:
    status, user = server.call(
        "POST", USERS, {"username": name, "password": USER_PASSWORD}, admin_token(server)
    )
    assert status == 200, user
    return dict(user)


def user(server: ConsoleServer, name: str) -> dict[str, Any]:
    """The user as the server has it now."""
    [found] = server.call("GET", f"{USERS}?q={name}", token=admin_token(server))[1]["users"]
    return dict(found)


def click_in_table(window: Any, label: str) -> None:
    """Click a button of a table the view draws anew when its rows arrive: once the console is
    idle, and again if the button was replaced between finding and clicking it."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(3):
        window.idle()
        try:
            window.click_text(label)
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"the button {label!r} kept being replaced")


@pytest.fixture
def server() -> Iterator[ConsoleServer]:
    running = ConsoleServer(roles=True, suspension=True)
    yield running
    running.stop()


def test_roles_are_made_granted_and_deleted_by_force_only_after_a_confirmation(
    server,
    browser,  # noqa: F811
) -> None:
    create_user(server, "dora")
    admin = browser()
    admin.sign_in(server.console, "admin", ADMIN_PASSWORD)
    admin.click_text("Roles")
    admin.see("role-count", "No roles yet.")
    for name, permissions in (("editor", "edit, view"), ("spare", "view")):
        admin.fill("role-name", name)
        admin.fill("role-permissions", permissions)
        admin.click_text("Save role")
        admin.message(f"Role {name} saved.")
    admin.see("role-count", "2 roles")
    admin.see("role-table", "editor edit, view")
    click_in_table(admin, "Edit role editor")
    assert admin.find("role-name").get_attribute("value") == "editor"
    admin.fill("role-permissions", "edit, view, publish")
    admin.click_text("Save role")
    admin.see("role-table", "editor edit, view, publish")

    admin.click_text("Users")
    click_in_table(admin, "Manage dora")
    admin.see("detail-effective", "Effective permissions: none")
    admin.fill("detail-roles", "editor")
    admin.click_text("Save roles")
    admin.message("Roles saved.")
    admin.see("detail-effective", "publish")
    assert user(server, "dora")["roles"] == ["editor"]
    admin.fill("detail-roles", "no-such-role")
    admin.click_text("Save roles")
    admin.message("No role named 'no-such-role'.")
    assert admin.find("detail-roles").get_attribute("value") == "editor"  # what she still holds

    admin.click_text("Roles")
    click_in_table(admin, "Delete role spare")  # nobody holds it: no question asked
    admin.message("Role spare deleted.")
    click_in_table(admin, "Delete role editor")
    admin.see("role-delete-question", "Users hold the role editor.")
    admin.click_text("Cancel")
    assert not admin.visible("role-delete-confirm")
    assert user(server, "dora")["roles"] == ["editor"]
    click_in_table(admin, "Delete role editor")
    admin.click_text("Delete anyway")
    admin.message("Role editor deleted.")
    admin.see("role-count", "No roles yet.")
    assert user(server, "dora")["roles"] == []


def test_a_suspended_user_is_signed_out_refused_and_let_back_in(server, browser) -> None:  # noqa: F811
    create_user(server, "erin")
    erin = browser()
    erin.sign_in(server.console, "erin", USER_PASSWORD)
    assert not erin.visible("nav-roles")
    admin = browser()
    admin.sign_in(server.console, "admin", ADMIN_PASSWORD)
    click_in_table(admin, "Manage erin")
    admin.see("suspension-state", "Not suspended.")
    assert not admin.visible("unsuspend")
    admin.fill("suspend-reason", "left the company")
    admin.click_text("Suspend")
    admin.message("erin is suspended: their sessions ended.")
    admin.see("suspension-state", "Suspended since")
    assert not admin.visible("suspend-form")

    erin.click_text("My account")
    erin.message("Your session has ended: please sign in again.")
    erin.fill("sign-in-username", "erin")
    erin.fill("sign-in-password", USER_PASSWORD)
    erin.click_text("Sign in")
    erin.message("This account is suspended.")

    admin.click_text("Unsuspend")
    admin.message("erin is no longer suspended.")
    admin.see("suspension-state", "Not suspended.")
    erin.sign_in(server.console, "erin", USER_PASSWORD)


def test_the_roles_page_and_user_card_speak_german(server, browser) -> None:  # noqa: F811
    create_user(server, "fritz")
    window = browser(language="de")
    window.driver.get(server.console)
    window.wait(lambda: window.visible("view-sign-in"), "the sign-in form")
    window.fill("sign-in-username", "admin")
    window.fill("sign-in-password", ADMIN_PASSWORD)
    window.click_text("Anmelden")
    window.see("who", "Angemeldet als admin")
    window.click_text("Rollen")
    window.see("role-count", "Noch keine Rollen.")
    window.click_text("Benutzer")
    click_in_table(window, "fritz verwalten")
    window.see("suspension-state", "Nicht gesperrt.")
    window.see("detail-effective", "Wirksame Berechtigungen: keine")


def test_with_the_options_off_nothing_of_it_shows_or_is_asked_for(browser) -> None:  # noqa: F811
    plain = ConsoleServer()
    try:
        create_user(plain, "gus")
        admin = browser()
        admin.sign_in(plain.console, "admin", ADMIN_PASSWORD)
        click_in_table(admin, "Manage gus")
        admin.see("detail-title", "gus")
        admin.idle()
        assert not admin.visible("nav-roles")
        assert not admin.visible("roles-form") and not admin.visible("suspension")
        admin.click_text("My account")
        admin.idle()
        assert not admin.visible("devices-card")
        refused = [e["message"] for e in admin.read_console_log() if "404" in e["message"]]
        assert refused == []
    finally:
        plain.stop()


@pytest.fixture
def device_server() -> Iterator[ConsoleServer]:
    running = ConsoleServer(totp=True, mfa_encryption_key="k" * 32, trusted_devices=True)
    yield running
    running.stop()


def sign_in_with_code(window, console: str, code: str, trust: bool) -> None:
    window.driver.get(console)
    window.wait(lambda: window.visible("view-sign-in"), "the sign-in form")
    window.fill("sign-in-username", "hal")
    window.fill("sign-in-password", USER_PASSWORD)
    window.click_text("Sign in")
    window.wait(lambda: window.visible("mfa-trust-part"), "the second step, offering trust")
    window.fill("mfa-code", code)
    if trust:
        window.find("mfa-trust").click()
    window.click_text("Continue")
    window.see("who", "Signed in as hal")
    window.idle()


def test_a_trusted_browser_skips_the_second_step_until_it_is_forgotten(
    device_server,
    browser,  # noqa: F811
) -> None:
    server = device_server
    create_user(server, "hal")
    hal = server.call("POST", "/api/user/login", {"username": "hal", "password": USER_PASSWORD})
    token = hal[1]["token"]
    secret = server.call("POST", "/api/user/mfa/totp", {"password": USER_PASSWORD}, token)[1]
    totp = pyotp.TOTP(secret["secret"])
    confirmed = server.call("POST", "/api/user/mfa/totp/confirm", {"code": totp.now()}, token)
    # Another device, trusted from a script with a recovery code.
    pending = server.call("POST", "/api/user/login", {"username": "hal", "password": USER_PASSWORD})
    body = {"mfaToken": pending[1]["mfaToken"], "recoveryCode": confirmed[1]["recoveryCodes"][0]}
    assert server.call("POST", "/api/user/login/mfa", {**body, "trustDevice": True})[0] == 200

    window = browser()
    sign_in_with_code(window, server.console, totp.at(time.time() + 30), trust=True)
    window.see("device-list", "This browser:")
    window.see("device-list", "Python-urllib")
    window.find("device-list").find_element(
        "xpath", ".//li[contains(., 'Python-urllib')]/button"
    ).click()
    window.message("Device forgotten")
    window.wait(
        lambda: "Python-urllib" not in window.text("device-list"), "the script's device gone"
    )

    window.click_text("Sign out")
    window.fill("sign-in-username", "hal")
    window.fill("sign-in-password", USER_PASSWORD)
    window.click_text("Sign in")
    window.see("who", "Signed in as hal")  # no second step: this browser is trusted
    window.idle()
    window.click_text("Forget all devices")
    window.message("1 device forgotten.")
    window.see("device-list", "No trusted devices.")
    window.click_text("Sign out")
    window.fill("sign-in-username", "hal")
    window.fill("sign-in-password", USER_PASSWORD)
    window.click_text("Sign in")
    window.wait(lambda: window.visible("mfa-form"), "the second step again")
