"""The console's HTTP side: off by default, its files packaged and served with a strict policy."""

from __future__ import annotations

import ast
import re
import urllib.request
from pathlib import Path

import pytest

from frappyauth.core.options import build_options
from frappyauth.web.console import STATIC_FOLDER
from frappyauth.web.flows import ALL_ENDPOINTS
from frappyauth.web.openapi import openapi_document
from http_support import ADMIN_PASSWORD, body, login
from test_demo_and_cli import DemoServer

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(path.name for path in STATIC_FOLDER.iterdir())


def test_the_console_is_off_by_default(client) -> None:
    response = client.get("/api/user/console/")
    assert response.status_code == 404 and body(response)["error"] == "feature_disabled"
    assert "'console'" in body(response)["message"]
    assert client.get("/api/user/console/app.js").status_code == 404
    assert "/api/user/console/" not in openapi_document(build_options({}), ALL_ENDPOINTS)["paths"]


def test_the_option_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="'console'"):
        build_options({"console": "yes"})


@pytest.mark.parametrize("name", ["", *FILES])
def test_every_console_file_is_served_with_a_strict_policy(make_app, name) -> None:
    response = make_app(console=True).test_client().get(f"/api/user/console/{name}")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self';" in policy and "style-src 'self';" in policy and "'unsafe" not in policy
    )
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    expected = {"": "text/html", ".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
    assert response.mimetype == expected[Path(name).suffix]


def test_the_console_follows_the_api_prefix_and_is_in_the_openapi_document(make_app) -> None:
    client = make_app(console=True, api_prefix="/auth").test_client()
    assert client.get("/auth/console/").status_code == 200
    assert client.get("/auth/console").status_code in (
        301,
        308,
    )  # to the page, whose relative links then work
    options = build_options({"console": True, "api_prefix": "/auth"})
    assert "/auth/console/" in openapi_document(options, ALL_ENDPOINTS)["paths"]


@pytest.mark.parametrize(
    "path", ["../views.py", "..%2fviews.py", "%2e%2e/console.py", "nothing.js"]
)
def test_nothing_outside_the_console_folder_is_served(make_app, path) -> None:
    assert make_app(console=True).test_client().get(f"/api/user/console/{path}").status_code == 404


def test_the_page_has_no_inline_script_or_style_and_loads_nothing_from_elsewhere() -> None:
    for name in FILES:
        text = (STATIC_FOLDER / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), name  # no CDN, no other origin
        assert (
            "localStorage" not in text
            and "sessionStorage" not in text
            and "document.cookie" not in text
        )
        assert "innerHTML" not in text, name  # server text goes in as textContent only
    page = (STATIC_FOLDER / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and "<style" not in page
    assert not re.search(
        r"\sstyle=|\son[a-z]+=", page
    )  # no inline style attributes or event handlers
    # A form sent before the script took it over must not put a password in a URL (and in access
    # logs).
    forms = re.findall(r"<form[^>]*>", page)
    assert forms and all('method="post"' in form for form in forms)


def test_setup_packages_every_console_file() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    call = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setup"
    )
    package_data = ast.literal_eval(next(k.value for k in call.keywords if k.arg == "package_data"))
    patterns = package_data["frappyauth.web"]
    assert {
        name for name in FILES if any(Path("console_static", name).match(p) for p in patterns)
    } == set(FILES)


def test_a_console_write_passes_the_origin_check_that_any_cookie_write_does(make_app) -> None:
    client = make_app(console=True).test_client()
    login(client, "Admin", ADMIN_PASSWORD)  # the cookie, as the console's page holds it
    new_user = {"username": "gil", "password": "a long enough password"}
    assert client.post("/api/user/users", json=new_user).status_code == 403
    assert (
        client.post(
            "/api/user/users", json=new_user, headers={"Origin": "https://evil.example"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/user/users", json=new_user, headers={"Origin": "http://localhost"}
        ).status_code
        == 200
    )


@pytest.mark.slow
def test_the_demo_turns_the_console_on_and_prints_its_address() -> None:
    server = DemoServer(FRAPPYAUTH_ADMIN_PASSWORD=ADMIN_PASSWORD)
    try:
        line = server.stdout_line()
        assert line == (
            f"frappyauth demo: the console is at http://127.0.0.1:{server.port}/api/user/console/\n"
        )
        server.wait_until_listening()
        with urllib.request.urlopen(line.split(" at ")[1].strip(), timeout=10) as response:
            assert (
                response.status == 200
                and "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            )
    finally:
        server.kill()
