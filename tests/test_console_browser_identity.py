"""The console's identity providers in headless Chromium, against a real OpenID provider
(node-oidc-provider): link a provider from the account page, then sign in with its button."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from browser_support import Browser, ConsoleServer, chromium_or_skip, free_port
from http_support import ADMIN_PASSWORD

pytestmark = pytest.mark.slow  # a browser, a provider and a server


@pytest.fixture
def browser(tmp_path: Any) -> Iterator[Callable[[], Browser]]:
    binaries, windows = chromium_or_skip(), []

    def open_window() -> Browser:
        windows.append(Browser(binaries, tmp_path / f"profile-{len(windows)}"))
        return windows[-1]

    yield open_window
    errors = [error for window in windows for error in window.script_errors()]
    for window in windows:
        window.quit()
    assert not errors, errors


def at_the_provider(window: Browser, login: str, provider_url: str, done: Any) -> None:
    """Go through the provider's own pages (devInteractions) as they come, until `done()`: its
    sign-in as `login` (unless it remembers the browser), then its consent (unless given before).
    A provider that remembers both sends the browser straight back."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    driver = window.driver
    consent = "input[name=prompt][value=consent]"

    def next_page() -> str | None:
        if not driver.current_url.startswith(provider_url):
            try:
                return "done" if done() else None  # on the way there or back
            except WebDriverException:  # the page changed while it was read
                return None
        if driver.find_elements(By.CSS_SELECTOR, consent):
            return "consent"
        return "login" if driver.find_elements(By.NAME, "login") else None

    for _ in range(3):
        page = window.wait(next_page, "the provider's next page, or the console done")
        if page == "done":
            return
        if page == "login":
            driver.find_element(By.NAME, "login").send_keys(login)
            driver.find_element(By.NAME, "password").send_keys("any password")
            driver.find_element(By.NAME, "password").submit()
        else:
            driver.find_element(By.CSS_SELECTOR, consent).submit()
        window.wait(lambda page=page: next_page() != page, f"the provider to leave its {page} page")
    raise AssertionError("the provider never sent the browser back")


def test_link_a_provider_then_sign_in_with_its_button(browser: Any, oidc_provider: Any) -> None:
    port = free_port()
    idp = oidc_provider(
        name="idp", extra_redirect_uris=[f"http://127.0.0.1:{port}/api/user/sso/idp/callback"]
    )
    settings = {
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "display_name": "Test IdP",
    }
    server = ConsoleServer(port=port, identity_providers={"idp": settings})
    try:
        window = browser()
        window.driver.get(server.console)
        window.see("provider-list", "Sign in with Test IdP")
        window.sign_in(server.console, "admin", ADMIN_PASSWORD)
        window.driver.find_element("id", "nav-account").click()
        window.click_text("Link Test IdP")
        linked = "The provider is linked to your account."
        at_the_provider(window, "alice", idp.url, lambda: linked in window.text("message"))
        window.driver.find_element("id", "nav-account").click()
        window.see("identity-list", "idp (alice@example.com)")
        window.click_text("Sign out")
        window.find("provider-list").find_element("link text", "Sign in with Test IdP").click()
        at_the_provider(
            window, "alice", idp.url, lambda: "Signed in as admin" in window.text("who")
        )
    finally:
        server.stop()
