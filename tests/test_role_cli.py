"""`flask frappyauth role set/list/delete`, `grant-role`, `suspend` and `unsuspend`."""

from __future__ import annotations

import pytest

from backends import MONGO_BACKEND_PARAMS
from http_support import USER_PASSWORD, auth, login


@pytest.fixture
def cli_app(make_app, user_token):
    app = make_app(roles=True, suspension=True)
    runner = app.test_cli_runner()
    return app, lambda *args: runner.invoke(args=["frappyauth", *args])


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_roles_are_managed_and_granted_from_the_shell(cli_app, user_token) -> None:
    app, cli = cli_app
    made = cli("role", "set", "reporter", "--permission", "report", "--permission", "view")
    assert made.exit_code == 0 and "report, view" in made.output
    listed = cli("role", "list")
    assert "reporter  report,view" in listed.output and "1 roles" in listed.output
    granted = cli("grant-role", "bob", "reporter")
    assert granted.exit_code == 0 and "'bob' holds the roles reporter." in granted.output
    assert app.test_client().get("/api/reports", headers=auth(user_token)).status_code == 200
    refused = cli("role", "delete", "reporter")
    assert refused.exit_code == 1 and "Users hold this role" in refused.output
    assert cli("role", "delete", "reporter", "--force").exit_code == 0
    assert app.test_client().get("/api/reports", headers=auth(user_token)).status_code == 403
    unknown = cli("grant-role", "bob", "nobody")
    assert unknown.exit_code == 1 and "No role named 'nobody'" in unknown.output


@pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)
def test_a_user_is_suspended_and_reinstated_from_the_shell(cli_app, user_token) -> None:
    app, cli = cli_app
    assert cli("suspend", "bob", "--reason", "left the company").exit_code == 0
    client = app.test_client()
    assert client.get("/api/user", headers=auth(user_token)).status_code == 401
    refused = client.post("/api/user/login", json={"username": "bob", "password": USER_PASSWORD})
    assert refused.status_code == 403
    assert cli("unsuspend", "bob").exit_code == 0
    assert login(client, "bob", USER_PASSWORD)
    last = cli("suspend", "admin")
    assert last.exit_code == 1 and "last active administrator" in last.output


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
def test_the_commands_say_when_their_option_is_off_or_the_store_is_in_memory(make_app) -> None:
    runner = make_app().test_cli_runner()
    off = runner.invoke(args=["frappyauth", "role", "list"])
    assert off.exit_code == 1 and "option 'roles'" in off.output
    runner = make_app(roles=True).test_cli_runner()
    in_memory = runner.invoke(args=["frappyauth", "role", "set", "x"])
    assert in_memory.exit_code == 1 and "in memory" in in_memory.output
