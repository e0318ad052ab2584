"""A real server on a loopback port and real headless Chromium windows for the console's browser
tests.

Debian's `chromium` and `chromium-driver` (which `.ci/run` installs) are driven with Selenium. Each
window has its own fresh profile, so two windows are two browsers with their own cookies. The tests
wait for what a person would see (WebDriverWait polls the page); they never sleep.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from frappyauth import initial_user_check, register_endpoints
from frappyauth import check_login_state
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemoryIdentityStore,
    MemoryMailTokenStore,
    MemoryAuditStore,
    MemoryDeviceStore,
    MemoryMfaStore,
    MemoryRoleStore,
    MemorySessionStore,
    MemoryTrustedDeviceStore,
    MemoryUserStore,
)
from http_support import ADMIN_PASSWORD, StoreSpy

ARTIFACTS = Path(__file__).with_name(
    "browser-artifacts"
)  # in .gitignore: screenshots and console logs
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1000,800",
]
WAIT_SECONDS = 15


def chromium_or_skip() -> tuple[str, str]:
    """The paths of Debian's chromium and chromedriver; skip (saying why) when they are not
    installed."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip(
            "the browser tests need Debian's chromium and chromium-driver (`apt-get install -y "
            "chromium "
            "chromium-driver`, as .ci/run does); they are not installed here"
        )
    pytest.importorskip("selenium", reason="the browser tests need selenium (the test extra)")
    return browser, driver


class Gate:
    """Holds login requests in the user store until released: the console's busy state, seen for
    sure."""

    def __init__(self) -> None:
        self.closed = False
        self.reached = threading.Event()
        self.opened = threading.Event()

    def pass_through(self) -> None:
        if self.closed:
            self.reached.set()
            assert self.opened.wait(WAIT_SECONDS), "the test never opened the gate"


class GatedUsers(StoreSpy):
    def __init__(self, store: Any, gate: Gate) -> None:
        super().__init__(store)
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        method = super().__getattr__(name)
        if name != "get_by_username":
            return method

        def gated(*args: Any, **kwargs: Any) -> Any:
            self._gate.pass_through()
            return method(*args, **kwargs)

        return gated


def free_port() -> int:
    """A loopback port free now (the kernel's choice; nothing else here takes ports meanwhile)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ConsoleServer:
    """The library with the console on, memory stores and a seeded `admin`, served in a thread."""

    def __init__(self, port: int = 0, **options: Any) -> None:
        """`port` 0 takes a free one; a test that must name the server's address before it starts
        (a provider's redirect URI) passes one from `free_port()`."""
        self.gate = Gate()
        self.users = GatedUsers(MemoryUserStore(), self.gate)
        app = Flask("frappyauth_console_test")
        app.secret_key = "the console test's secret key, which signs provider flows"
        register_endpoints(
            app,
            self.users,
            MemorySessionStore(),  # type: ignore[arg-type]
            {"bcrypt_cost": 4, "console": True, "api_keys": True, **options},
            api_key_store=MemoryApiKeyStore(),
            attempt_store=MemoryAttemptStore(),
            mfa_store=MemoryMfaStore(),
            mail_token_store=MemoryMailTokenStore(),
            identity_store=MemoryIdentityStore(),
            audit_store=MemoryAuditStore(),
            role_store=MemoryRoleStore(),
            trusted_device_store=MemoryTrustedDeviceStore(),
            device_store=MemoryDeviceStore(),
        )

        @app.route("/api/things")
        def things() -> Any:
            return {"for": check_login_state("view", allow_api_key=True).username}

        initial_user_check(app, "admin", ADMIN_PASSWORD)
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.console = self.base + "/api/user/console/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """A request from outside the browser (a script, a CI job)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", token)
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self) -> None:
        self.gate.opened.set()
        self.server.shutdown()
        self.thread.join(WAIT_SECONDS)


class Browser:
    """One Chromium window on the console, with the few moves a person makes."""

    def __init__(
        self,
        binaries: tuple[str, str],
        profile: Path,
        width: int = 1000,
        height: int = 800,
        language: str | None = None,
    ) -> None:
        """`language` sets the browser's own language and the `Accept-Language` it sends."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = binaries[0]
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        if language is not None:
            options.add_argument(f"--lang={language}")
            options.add_experimental_option("prefs", {"intl.accept_languages": language})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(
            options=options, service=Service(executable_path=binaries[1])
        )
        self.driver.set_window_size(width, height)
        self.console_log: list[dict[str, Any]] = []

    def wait(self, condition: Any, what: str) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS).until(lambda _: condition(), message=what)

    def find(self, element_id: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, element_id)

    def visible(self, element_id: str) -> bool:
        return self.find(element_id).is_displayed()

    def fill(self, element_id: str, text: str) -> None:
        field = self.find(element_id)
        field.clear()
        field.send_keys(text)

    def click_text(self, label: str) -> None:
        """Click the button whose accessible name (aria-label, else its text) is `label`."""
        from selenium.webdriver.common.by import By

        quoted = json.dumps(
            label, ensure_ascii=False
        )  # an XPath string literal, for labels without '"'
        path = (
            f"//button[@aria-label={quoted} or (not(@aria-label) and normalize-space()={quoted})]"
        )
        self.wait(
            lambda: any(
                b.is_displayed() and b.is_enabled()
                for b in self.driver.find_elements(By.XPATH, path)
            ),
            f"a button {label!r}",
        )
        next(b for b in self.driver.find_elements(By.XPATH, path) if b.is_displayed()).click()

    def text(self, element_id: str) -> str:
        return self.find(element_id).text

    def see(self, element_id: str, expected: str) -> None:
        self.wait(lambda: expected in self.text(element_id), f"{expected!r} in #{element_id}")

    def message(self, expected: str) -> None:
        self.see("message", expected)

    def idle(self) -> None:
        self.wait(lambda: not self.visible("busy"), "the console to finish its calls")

    def sign_in(self, console: str, username: str, password: str) -> None:
        self.driver.get(console)
        self.wait(lambda: self.visible("view-sign-in"), "the sign-in form")
        self.fill("sign-in-username", username)
        self.fill("sign-in-password", password)
        self.find("sign-in-password").submit()
        self.see("who", f"Signed in as {username}")
        self.idle()

    def read_console_log(self) -> list[dict[str, Any]]:
        self.console_log += self.driver.get_log("browser")
        return self.console_log

    def script_errors(self) -> list[str]:
        """Script errors and policy violations in the page's console (refused requests are
        expected)."""
        return [
            entry["message"]
            for entry in self.read_console_log()
            if "Content Security Policy" in entry["message"] or "Uncaught" in entry["message"]
        ]

    def save(self, name: str, failed: bool) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        if failed:
            lines = [f"{entry['level']} {entry['message']}" for entry in self.read_console_log()]
            (ARTIFACTS / f"{name}.console.log").write_text(
                "\n".join(lines) + "\n", encoding="utf-8"
            )

    def quit(self) -> None:
        self.driver.quit()
