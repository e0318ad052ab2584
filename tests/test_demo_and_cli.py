"""Out of the box: the demo server over real HTTP, the `flask frappyauth` commands, the compose
file."""

from __future__ import annotations

import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from backends import MONGO_BACKEND_PARAMS
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, login

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(
    base: str, method: str, path: str, payload: Any = None, token: str | None = None
) -> tuple[int, Any]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class DemoServer:
    """`python -m frappyauth_demo` in a subprocess on a free loopback port."""

    def __init__(self, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("FRAPPYAUTH_", "MONGODB_URI"))
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "frappyauth_demo", "--port", str(self.port)],
            cwd=ROOT,
            env={**environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_until_listening(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stderr.read()
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("the demo server did not start listening")

    def stdout_line(self, seconds: float = 30) -> str:
        ready, _, _ = select.select([self.process.stdout], [], [], seconds)
        assert ready, "the demo server printed nothing"
        return self.process.stdout.readline()

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        return self.process.wait(timeout=15)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def demo():
    servers: list[DemoServer] = []
    yield lambda **env: servers.append(DemoServer(**env)) or servers[-1]
    for server in servers:
        server.kill()


@pytest.mark.slow
def test_the_demo_serves_the_whole_flow_over_http(demo) -> None:
    server = demo(FRAPPYAUTH_ADMIN_USER="root", FRAPPYAUTH_ADMIN_PASSWORD=ADMIN_PASSWORD)
    server.wait_until_listening()
    status, answer = call(
        server.base, "POST", "/api/user/login", {"username": "root", "password": ADMIN_PASSWORD}
    )
    assert status == 200 and answer["user"]["permissions"] == ["admin"]
    admin = answer["token"]
    status, _ = call(
        server.base,
        "POST",
        "/api/user/users",
        {"username": "carol", "password": USER_PASSWORD},
        admin,
    )
    assert status == 200
    carol = call(
        server.base, "POST", "/api/user/login", {"username": "carol", "password": USER_PASSWORD}
    )[1]["token"]
    assert call(server.base, "GET", "/api/things", token=carol) == (
        200,
        {"things": ["apple", "pear"], "for": "carol"},
    )
    assert call(server.base, "GET", "/api/admin-report", token=carol)[0] == 403
    api_key = call(server.base, "POST", "/api/user/key", token=carol)[1]["apiKey"]
    assert call(server.base, "GET", "/api/things", token=f"Token {api_key}")[0] == 200
    assert server.interrupt() == 0
    assert "POST /api/user/login" in server.process.stderr.read()  # requests are logged


def test_the_demo_shows_the_reset_flow_with_the_logging_mailer(demo) -> None:
    server = demo(FRAPPYAUTH_ADMIN_PASSWORD=ADMIN_PASSWORD)
    server.wait_until_listening()
    admin = call(
        server.base, "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]["token"]
    call(
        server.base,
        "POST",
        "/api/user/users",
        {"username": "carol", "password": USER_PASSWORD, "email": "carol@example.org"},
        admin,
    )
    assert call(
        server.base, "POST", "/api/user/password-reset", {"email": "carol@example.org"}
    ) == (200, {"status": "reset_requested"})
    lines: queue.Queue[str] = (
        queue.Queue()
    )  # select() cannot see lines already in the pipe's read buffer
    threading.Thread(
        target=lambda: [lines.put(line) for line in server.process.stderr], daemon=True
    ).start()
    link = None
    while (
        link is None
    ):  # the logging mailer prints the mail to standard error, between request log lines
        link = re.search(r"(http://\S+/account/reset-password\?token=(\S+))", lines.get(timeout=30))
    url, token = link.groups()
    assert url.startswith(server.base)  # the demo's own page, on the address it was started on
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200 and page.headers["Referrer-Policy"] == "no-referrer"
        assert token not in page.read().decode()  # the page reads the token from its URL
    new_password = "carol's new password"
    status, user = call(
        server.base,
        "POST",
        "/api/user/password-reset/confirm",
        {"token": token, "password": new_password},
    )
    assert status == 200 and user["username"] == "carol"
    assert (
        call(
            server.base, "POST", "/api/user/login", {"username": "carol", "password": new_password}
        )[0]
        == 200
    )


@pytest.mark.slow
def test_the_demo_generates_and_prints_an_admin_password_once(demo) -> None:
    server = demo()
    printed = server.stdout_line()
    match = re.fullmatch(
        r"frappyauth demo: created admin 'admin' with password (\S{20,})\n", printed
    )
    assert match, printed
    server.wait_until_listening()
    status, _ = call(
        server.base, "POST", "/api/user/login", {"username": "admin", "password": match.group(1)}
    )
    assert status == 200
    server.interrupt()
    assert match.group(1) not in server.process.stderr.read()  # printed once, never logged


@pytest.mark.slow
def test_the_demo_turns_totp_on_says_how_and_logs_in_with_two_factors(demo) -> None:
    import pyotp

    server = demo(FRAPPYAUTH_ADMIN_PASSWORD=ADMIN_PASSWORD, FRAPPYAUTH_TOTP="1")
    printed = server.stdout_line()  # the admin's password was given: this is the first line
    assert (
        printed.startswith("frappyauth demo: TOTP is on: ")
        and "/api/user/mfa/totp/confirm {code}" in printed
    )
    server.wait_until_listening()
    token = call(
        server.base, "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]["token"]
    secret = call(server.base, "POST", "/api/user/mfa/totp", {"password": ADMIN_PASSWORD}, token)[
        1
    ]["secret"]
    status, answer = call(
        server.base, "POST", "/api/user/mfa/totp/confirm", {"code": pyotp.TOTP(secret).now()}, token
    )
    assert status == 200
    pending = call(
        server.base, "POST", "/api/user/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )[1]
    assert pending["mfaRequired"] is True and "token" not in pending
    status, done = call(
        server.base,
        "POST",
        "/api/user/login/mfa",
        {"mfaToken": pending["mfaToken"], "recoveryCode": answer["recoveryCodes"][0]},
    )
    assert status == 200 and done["user"]["mfa"] == {"totp": True, "passkeys": 0}
    assert server.interrupt() == 0


def test_the_demo_refuses_totp_on_mongodb_without_a_shared_key() -> None:
    from frappyauth_demo.app import create_app

    with pytest.raises(
        SystemExit, match="FRAPPYAUTH_TOTP with MONGODB_URI needs FRAPPYAUTH_MFA_KEY"
    ):
        create_app({"FRAPPYAUTH_TOTP": "1", "MONGODB_URI": "mongodb://127.0.0.1:9/x"})


@pytest.mark.slow
def test_the_demo_refuses_a_weak_admin_password_with_one_clear_line(demo) -> None:
    server = demo(FRAPPYAUTH_ADMIN_PASSWORD="short")
    assert server.process.wait(timeout=30) == 1
    error = server.process.stderr.read()
    assert "cannot create the admin: The password must have at least 12 characters." in error
    assert "Traceback" not in error and "short" not in error  # the rejected password is not echoed


# the CLI


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, password=None: runner.invoke(
        args=["frappyauth", *args], input=None if password is None else f"{password}\n{password}\n"
    )


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_cli_creates_users_and_admins_that_can_log_in(app, cli) -> None:
    result = cli(
        "create-user",
        "carol",
        "--permission",
        "view",
        "--permission",
        "edit",
        password=USER_PASSWORD,
    )
    assert result.exit_code == 0 and "['view', 'edit']" in result.output
    assert USER_PASSWORD not in result.output
    assert cli("create-admin", "second", password=USER_PASSWORD).exit_code == 0
    assert login(app.test_client(), "carol", USER_PASSWORD) and login(
        app.test_client(), "second", USER_PASSWORD
    )


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_cli_init_admin_creates_an_admin_only_on_an_empty_store(make_app, user_store) -> None:
    runner = make_app().test_cli_runner()
    for user in user_store.list_page(0, 10)[
        0
    ]:  # the test app seeded an admin; start from an empty store
        user_store.delete(user.id)
    first = runner.invoke(
        args=["frappyauth", "init-admin", "root"], input=f"{USER_PASSWORD}\n{USER_PASSWORD}\n"
    )
    second = runner.invoke(
        args=["frappyauth", "init-admin", "other"], input=f"{USER_PASSWORD}\n{USER_PASSWORD}\n"
    )
    assert first.exit_code == 0 and "Created 'root'" in first.output and "['admin']" in first.output
    assert second.exit_code == 0 and "nothing was created" in second.output
    assert user_store.count() == 1 and user_store.get_by_username("root").permissions == ("admin",)


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_cli_set_password_ends_sessions(app, cli, user_token) -> None:
    result = cli("set-password", "BOB", password="a brand new password")
    assert result.exit_code == 0
    client = app.test_client()
    assert client.get("/api/user", headers=auth(user_token)).status_code == 401
    assert login(client, "bob", "a brand new password")


def test_cli_lists_users(cli, user_token) -> None:
    result = cli("list-users")
    assert result.exit_code == 0 and "Admin" in result.output and "bob" in result.output
    assert "2 shown, 2 in all" in result.output


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
@pytest.mark.parametrize(
    "args, password, message",
    [
        (("create-user", "admin"), USER_PASSWORD, "already taken"),
        (("create-user", "x"), "short", "at least 12"),
        (("set-password", "nobody"), USER_PASSWORD, "no user"),
        (("create-user", "bad\tname"), USER_PASSWORD, "printable"),
    ],
)
def test_cli_errors_are_clear_and_change_nothing(cli, user_store, args, password, message) -> None:
    result = cli(*args, password=password)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert user_store.count() == 1


# docker-compose.yml


@pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed"
)
def test_the_compose_file_is_valid_and_wires_the_app_to_a_healthy_mongodb() -> None:
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "FRAPPYAUTH_ADMIN_PASSWORD": ""},
    )
    assert result.returncode == 0, result.stderr
    config = result.stdout
    assert "image: mongo:7" in config and "condition: service_healthy" in config
    assert "MONGODB_URI: mongodb://mongo:27017/frappyauth" in config and "mongosh" in config
    assert re.search(
        r"WEB_CONCURRENCY: ['\"]?2", config
    )  # several workers only where MongoDB is shared
    assert re.search(r"published: \"?5000\"?|127\.0\.0\.1:5000:5000", config)


# the CLI on the demo's app, loaded as `flask --app` loads it

UNREACHABLE_MONGODB = "mongodb://127.0.0.1:9/demo?serverSelectionTimeoutMS=300"
DEMO_ENVIRONMENT = {"MONGODB_URI": None, "FRAPPYAUTH_TOTP": None, "FRAPPYAUTH_ADMIN_PASSWORD": None}


def flask_on_the_demo(*args: str, **environ: str | None) -> Any:
    """`flask --app frappyauth_demo:create_app() ...` in this process (click's runner)."""
    from click.testing import CliRunner
    from flask.cli import cli as flask_cli

    return CliRunner().invoke(
        flask_cli,
        ["--app", "frappyauth_demo:create_app()", *args],
        env={**DEMO_ENVIRONMENT, **environ},
    )


def test_cli_help_prints_help_only_without_loading_the_app(monkeypatch) -> None:
    """Without a database at all: the app's start-up would stop at the unreachable MongoDB."""
    import frappyauth_demo
    from frappyauth.web.commands import cli as frappyauth_cli

    monkeypatch.setattr(frappyauth_demo, "create_app", lambda: pytest.fail("the app was loaded"))
    for command in ["", *frappyauth_cli.commands]:
        args = ["frappyauth", command, "--help"] if command else ["frappyauth", "--help"]
        result = flask_on_the_demo(*[a for a in args if a], MONGODB_URI=UNREACHABLE_MONGODB)
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"Usage: flask frappyauth {command}".rstrip())
        assert "created admin" not in result.output


def test_cli_help_answers_while_mongodb_is_unreachable() -> None:
    result = flask_on_the_demo("frappyauth", "--help", MONGODB_URI=UNREACHABLE_MONGODB)
    assert result.exit_code == 0 and "create-user" in result.output
    assert "cannot reach MongoDB" not in result.output


def test_cli_on_the_memory_demo_refuses_writes_and_prints_no_admin_password() -> None:
    created = flask_on_the_demo("frappyauth", "create-user", "bob", "--password", USER_PASSWORD)
    unlocked = flask_on_the_demo("frappyauth", "unlock", "bob")
    for result in (created, unlocked):
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: This app keeps its users in memory")
        assert result.output.count("\n") == 1 and "MONGODB_URI" in result.output
    listed = flask_on_the_demo("frappyauth", "list-users")
    assert listed.exit_code == 0 and "created admin" not in listed.output
    assert "0 shown, 0 in all" in listed.output and "in memory" in listed.output


def test_set_password_help_says_what_the_reference_table_says(app) -> None:
    """Account recovery: the command's help (and so the generated CLI reference) names the keys."""
    result = app.test_cli_runner().invoke(args=["frappyauth", "set-password", "--help"])
    assert (
        "Account recovery: set a user's password, end their sessions, revoke their API keys."
        in " ".join(result.output.split())
    )
    table = (ROOT / "docs" / "cli.md").read_text()
    assert (
        "| `set-password USERNAME` | account recovery: sets the user's password, ends their "
        in (table)
    )


def test_the_compose_file_names_both_compose_commands() -> None:
    header = (ROOT / "docker-compose.yml").read_text().split("services:")[0]
    assert "`docker compose up`" in header and "`docker-compose up`" in header


def test_the_demo_signs_in_through_a_provider_from_the_environment(oidc_provider) -> None:
    from urllib.parse import parse_qs, urlsplit

    from frappyauth_demo.app import create_app
    from oidc_support import authorize_in_browserless_session

    provider = oidc_provider(name="oidc")
    app = create_app(
        {
            "FRAPPYAUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "FRAPPYAUTH_OIDC_ISSUER": provider.issuer,
            "FRAPPYAUTH_OIDC_CLIENT_ID": provider.client_id,
            "FRAPPYAUTH_OIDC_CLIENT_SECRET": provider.client_secret,
            "FRAPPYAUTH_OIDC_DISPLAY_NAME": "Test provider",
        }
    )
    client = app.test_client()
    assert client.get("/api/user/providers").get_json()["providers"] == [
        {"name": "oidc", "displayName": "Test provider"}
    ]
    start = client.get("/api/user/sso/oidc/start?next=/").headers["Location"]
    back = urlsplit(authorize_in_browserless_session(start, "alice"))
    code = parse_qs(urlsplit(client.get(f"{back.path}?{back.query}").headers["Location"]).query)
    answer = client.post("/api/user/sso/exchange", json={"code": code["sso_code"][0]})
    # A generic provider's addresses count only with `verifies_email`: this account has none.
    assert answer.status_code == 200 and "email" not in answer.get_json()["user"]


def test_the_demo_refuses_a_provider_on_mongodb_without_a_shared_key() -> None:
    from frappyauth_demo.app import create_app

    with pytest.raises(SystemExit, match="needs FRAPPYAUTH_SECRET_KEY"):
        create_app({"FRAPPYAUTH_OIDC_ISSUER": "https://x.example", "MONGODB_URI": "mongodb://h/x"})
