"""Make the console screenshots of docs/console.md: `python tests/console_screenshots.py docs`
(needs chromium).

Small on purpose: one window of each view at 720 px wide, the part a reader needs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from browser_support import Browser, ConsoleServer, chromium_or_skip
from http_support import ADMIN_PASSWORD, USER_PASSWORD


def main(folder: Path) -> None:
    server = ConsoleServer()
    token = server.call(
        "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]["token"]
    for name, permissions in [("alice", ["view", "edit"]), ("bob", ["view"]), ("carol", [])]:
        server.call(
            "POST",
            "/api/user/users",
            {"username": name, "password": USER_PASSWORD, "permissions": permissions},
            token,
        )
    with tempfile.TemporaryDirectory() as profiles:
        window = Browser(chromium_or_skip(), Path(profiles) / "shots", width=720, height=700)
        try:
            window.driver.get(server.console)
            window.wait(lambda: window.visible("view-sign-in"), "the sign-in form")
            window.fill("sign-in-username", "admin")
            window.driver.save_screenshot(str(folder / "console-sign-in.png"))
            window.sign_in(server.console, "admin", ADMIN_PASSWORD)
            window.click_text("Manage bob")
            window.see("detail-title", "bob")
            window.driver.execute_script("window.scrollTo(0, 0)")
            window.driver.save_screenshot(str(folder / "console-users.png"))
            window.click_text("My account")
            window.fill("key-name", "ci")
            window.click_text("Create key")
            window.message("copy it now")
            window.driver.execute_script("document.getElementById('keys-title').scrollIntoView()")
            window.driver.save_screenshot(str(folder / "console-account.png"))
        finally:
            window.quit()
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
