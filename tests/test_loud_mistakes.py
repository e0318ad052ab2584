"""Mistakes a new user makes, each observed once, each answered with a message that says what to
do."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from backends import BACKENDS, MONGO_BACKEND_PARAMS
from frappyauth import register_endpoints
from frappyauth.stores.memory import MemoryUserStore
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, login

ROOT = Path(__file__).resolve().parent.parent


def clean_environment() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FRAPPYAUTH_", "MONGODB_URI", "GUNICORN_", "WEB_CONCURRENCY"))
    }


# the README


def test_the_readmes_example_lets_its_admin_use_every_route_it_declares() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Use it\n+```python\n(.*?)```", readme, re.DOTALL)
    assert example, "the README has no 'Use it' example"
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(example.group(1), "README.md", "exec"), namespace)
    app, password = (
        namespace["app"],
        re.search(r'initial_user_check\(app, "admin", "([^"]+)"\)', readme).group(1),
    )
    client = app.test_client()
    token = login(client, "admin", password)
    routes = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/api/user", "/static"))
    ]
    assert routes, "the example declares no route of its own"
    for route in routes:
        response = client.get(route, headers=auth(token))
        assert response.status_code == 200, (route, response.get_json())


# options


@pytest.mark.parametrize(
    "name, suggestion",
    [
        ("api_key", "'api_keys'"),
        ("pagesize", "'page_size'"),
        ("tokenExpiration", "'token_expiration'"),
    ],
)
def test_an_unknown_option_names_the_closest_known_one(name, suggestion) -> None:
    with pytest.raises(
        ValueError, match=f"Unknown frappyauth option '{name}'. Did you mean {suggestion}\\?"
    ):
        register_endpoints(Flask("x"), MemoryUserStore(), options_override={name: True})


def test_an_option_like_no_other_lists_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"Known options: api_prefix, token_expiration, .*page_size"
    ):
        register_endpoints(Flask("x"), MemoryUserStore(), options_override={"zzz": 1})


def test_own_profile_edits_without_user_management_name_both_options() -> None:
    with pytest.raises(
        ValueError, match=r"'no_user_management' and 'allow_own_profile_edit' cannot both be on"
    ):
        register_endpoints(
            Flask("x"),
            MemoryUserStore(),
            options_override={"no_user_management": True, "allow_own_profile_edit": True},
        )


# the command line


MYAPP = (  # an app on memory stores, as `flask --app myapp` finds it
    "from flask import Flask\nfrom frappyauth import register_endpoints\n"
    "from frappyauth.stores.memory import MemoryUserStore\n"
    "app = Flask(__name__)\nregister_endpoints(app, MemoryUserStore(), "
    "options_override={'bcrypt_cost': 4})\n"
)
# The same on a Mongo store (mongomock: the CLI cannot tell it ends with the process as well).
MONGO_APP = MYAPP.replace(
    "from frappyauth.stores.memory import MemoryUserStore\n",
    "import mongomock\nfrom frappyauth.stores.mongo import MongoUserStore\n",
).replace("MemoryUserStore()", "MongoUserStore(mongomock.MongoClient()['myapp'])")


def flask_frappyauth(cwd: Path, *args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "myapp", "frappyauth", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_environment(),
        timeout=60,
    )


def test_cli_reads_one_password_from_standard_input(tmp_path: Path) -> None:
    (tmp_path / "myapp.py").write_text(MONGO_APP)
    result = flask_frappyauth(tmp_path, "create-user", "bob", stdin=f"{USER_PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert "Created 'bob'" in result.stdout and "Aborted" not in result.stderr
    assert USER_PASSWORD not in result.stdout + result.stderr


def test_cli_refuses_a_memory_store_in_one_line_before_asking_a_password(tmp_path: Path) -> None:
    (tmp_path / "myapp.py").write_text(MYAPP)
    for command in (["create-user", "bob"], ["unlock", "bob"], ["set-password", "bob"]):
        result = flask_frappyauth(tmp_path, *command, stdin=f"{USER_PASSWORD}\n")
        assert result.returncode == 1 and result.stdout == "", result.stderr
        assert re.fullmatch(
            r"Error: This app keeps its users in memory \(MemoryUserStore\): "
            r"[^\n]+ MONGODB_URI[^\n]+\n",
            result.stderr,
        ), result.stderr


@pytest.mark.slow
def test_cli_at_a_terminal_asks_for_the_password_twice_without_echoing_it(tmp_path: Path) -> None:
    (tmp_path / "myapp.py").write_text(MONGO_APP)
    terminal, child_end = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "myapp", "frappyauth", "create-user", "bob"],
        stdin=child_end,
        stdout=child_end,
        stderr=child_end,
        cwd=tmp_path,
        env=clean_environment(),
    )
    os.close(child_end)
    screen = ""

    def read_until(text: str) -> None:
        nonlocal screen
        while text not in screen:
            ready, _, _ = select.select([terminal], [], [], 30)
            assert ready, f"waited for {text!r}; the terminal shows {screen!r}"
            screen += os.read(terminal, 1024).decode()

    try:
        read_until("Password: ")
        os.write(terminal, f"{USER_PASSWORD}\n".encode())
        read_until("Repeat for confirmation: ")
        os.write(terminal, f"{USER_PASSWORD}\n".encode())
        read_until("Created 'bob'")
        assert process.wait(timeout=30) == 0 and USER_PASSWORD not in screen
    finally:
        process.kill()
        os.close(terminal)


def test_cli_refuses_to_write_to_memory_and_only_there(backend, make_app, user_store) -> None:
    """A command runs in a process of its own: what it wrote to memory would end with it."""
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["frappyauth", "create-user", "carol"], input=f"{USER_PASSWORD}\n")
    if backend is BACKENDS["memory"]:
        assert result.exit_code == 1 and "Created" not in result.output
        assert result.output.count("\n") == 1 and "in memory (MemoryUserStore)" in result.output
        assert "MONGODB_URI" in result.output and user_store.get_by_username("carol") is None
    else:
        assert result.exit_code == 0 and "Created 'carol'" in result.output
        assert "memory" not in result.output
        assert login(runner.app.test_client(), "carol", USER_PASSWORD)


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_cli_refuses_an_empty_line_as_a_password(make_app) -> None:
    result = (
        make_app().test_cli_runner().invoke(args=["frappyauth", "create-user", "carol"], input="\n")
    )
    assert result.exit_code == 2 and "No password" in result.output


# the demo server


def run_demo(*command: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**clean_environment(), **env},
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "loading", [(), ("--preload",)], ids=["in each worker", "preloaded in the master"]
)
def test_the_demo_refuses_several_gunicorn_workers_on_memory_stores(loading) -> None:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which(
        "gunicorn"
    )
    assert gunicorn, "gunicorn is in the test extra"
    from test_demo_and_cli import free_port

    result = run_demo(
        gunicorn,
        *loading,
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{free_port()}",
        "frappyauth_demo:create_app()",
        FRAPPYAUTH_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    assert result.returncode != 0
    assert (
        "frappyauth demo: 2 gunicorn workers would each keep their own users and sessions in "
        "memory; "
        "set MONGODB_URI to share them through MongoDB, or run one worker."
    ) in result.stderr


@pytest.mark.slow
def test_an_unreachable_mongodb_is_one_line_naming_the_host_and_never_the_credentials() -> None:
    from test_demo_and_cli import free_port

    port = free_port()  # nothing listens there
    result = run_demo(
        sys.executable,
        "-m",
        "frappyauth_demo",
        MONGODB_URI=f"mongodb://bob:s3cret-pw@127.0.0.1:{port}/app?serverSelectionTimeoutMS=300",
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"frappyauth demo: cannot reach MongoDB at 127.0.0.1:{port} within 0.3 s (from "
        "MONGODB_URI): is it running, and is MONGODB_URI right?\n"
    )
