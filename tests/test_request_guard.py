"""The request guard across several checks in one request, `current_user()`, and errors nobody
expected."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from frappyauth import check_login_state, current_user
from http_support import ADMIN_PASSWORD, auth, body, login


@pytest.fixture
def guarded(make_app) -> Any:
    """An app with a route that checks twice: first allowing API keys, then for a session only."""
    app = make_app(api_keys=True)

    @app.route("/api/key-then-session")
    def key_then_session() -> Any:
        check_login_state("view", allow_api_key=True)
        check_login_state("view")
        return {"for": current_user().username}

    return app


def test_an_api_key_accepted_by_one_check_is_refused_by_a_later_session_only_check(
    guarded, user_token
) -> None:
    client = guarded.test_client()
    api_key = body(client.post("/api/user/key", headers=auth(user_token)))["apiKey"]
    response = client.get("/api/key-then-session", headers={"Authorization": f"Token {api_key}"})
    assert (
        response.status_code == 403
        and body(response)["message"] == "API keys are not accepted here."
    )
    assert body(client.get("/api/key-then-session", headers=auth(user_token))) == {"for": "bob"}


def test_an_unexpected_error_in_an_endpoint_is_a_logged_json_500(
    client, user_store, monkeypatch, caplog
) -> None:
    token = login(client, "admin", ADMIN_PASSWORD)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(user_store, "list_page", broken)
    response = client.get("/api/user/users", headers=auth(token))
    assert response.status_code == 500 and response.is_json
    assert body(response) == {
        "error": "internal_error",
        "message": "The server could not complete the request.",
    }
    logged = [r for r in caplog.records if r.name == "frappyauth" and r.levelno == logging.ERROR]
    assert [r.getMessage() for r in logged] == ["unexpected error in GET /api/user/users"]
    assert logged[0].exc_info is not None and logged[0].exc_info[0] is ZeroDivisionError
