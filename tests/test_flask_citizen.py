"""The Flask habits an app expects: application factories, `current_user` as a proxy, a hook for
401/403 on the app's own routes, error handlers and body reading that coexist with the app's, and
stores checked up front."""

from __future__ import annotations

import re

import io
import warnings

import mongomock
import pytest
from flask import Flask, jsonify, redirect, request
from werkzeug.exceptions import HTTPException

from frappyauth import (
    FrappyAuth,
    check_login_state,
    current_user,
    login_required,
    register_endpoints,
)
from frappyauth.stores.memory import MemorySessionStore, MemoryUserStore
from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

FAST = {"bcrypt_cost": 4}


def app_with_admin(**options) -> tuple[Flask, FrappyAuth]:
    app = Flask("citizen")
    extension = register_endpoints(app, MemoryUserStore(), options_override={**FAST, **options})
    with app.app_context():
        from frappyauth.web.state import current_state

        current_state().services.accounts.create_initial_admin("admin", ADMIN_PASSWORD)
    return app, extension


# application factories


def test_init_app_sets_up_apps_made_by_a_factory_that_share_the_extensions_stores() -> None:
    extension = FrappyAuth(user_store=MemoryUserStore(), options_override=FAST)

    def create_app() -> Flask:
        app = Flask("factory")
        extension.init_app(app)
        return app

    first, second = create_app(), create_app()
    from frappyauth import initial_user_check

    initial_user_check(first, "admin", ADMIN_PASSWORD)
    token = login(second.test_client(), "admin", ADMIN_PASSWORD)
    assert first.test_client().get("/api/user", headers=auth(token)).status_code == 200


def test_register_endpoints_is_the_extension_in_one_call() -> None:
    app = Flask("x")
    extension = register_endpoints(app, MemoryUserStore(), options_override={"api_keys": True})
    assert isinstance(extension, FrappyAuth) and extension.options.api_keys
    with pytest.raises(RuntimeError, match="already set up"):
        extension.init_app(app)


def test_the_extension_needs_a_user_store() -> None:
    with pytest.raises(TypeError, match="needs a user store"):
        FrappyAuth(Flask("x"))


# current_user


def who_app() -> Flask:
    app, _ = app_with_admin(api_keys=True)

    @app.route("/who")
    def who():
        return {
            "proxy": current_user.username if current_user else None,
            "called": getattr(current_user(), "username", None),
        }

    @app.route("/who-with-key")
    def who_with_key():
        check_login_state(allow_api_key=True)
        return {"proxy": current_user.username, "called": current_user().username}

    return app


def test_current_user_is_none_without_credentials_and_needs_no_prior_check() -> None:
    client = who_app().test_client()
    assert body(client.get("/who")) == {"proxy": None, "called": None}
    assert body(client.get("/who", headers=auth("not a token"))) == {"proxy": None, "called": None}
    token = login(client, "admin", ADMIN_PASSWORD)
    assert body(client.get("/who", headers=auth(token))) == {"proxy": "admin", "called": "admin"}


def test_current_user_counts_an_api_key_only_where_a_check_allowed_it() -> None:
    client = who_app().test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    key = body(client.post("/api/user/key", headers=auth(token)))["apiKey"]
    assert body(client.get("/who", headers=auth(f"Token {key}"))) == {"proxy": None, "called": None}
    assert body(client.get("/who-with-key", headers=auth(f"Token {key}"))) == {
        "proxy": "admin",
        "called": "admin",
    }


def test_current_user_is_none_for_a_cookie_riding_on_a_cross_site_write_or_an_ended_session() -> (
    None
):
    app = who_app()
    app.add_url_rule("/who", "who_post", app.view_functions["who"], methods=["POST"])
    browser = app.test_client()
    token = login(browser, "admin", ADMIN_PASSWORD)  # the browser now holds the session cookie
    assert body(browser.post("/who", headers={"Origin": "https://evil.example"})) == {
        "proxy": None,
        "called": None,
    }
    assert body(browser.post("/who", headers={"Origin": "http://localhost"}))["proxy"] == "admin"
    browser.delete("/api/user/login", headers=auth(token))
    assert body(app.test_client().get("/who", headers=auth(token))) == {
        "proxy": None,
        "called": None,
    }


def test_current_user_outside_a_request_says_so() -> None:
    app, _ = app_with_admin()
    with app.app_context():
        with pytest.raises(RuntimeError, match="outside a request"):
            current_user.username
        with pytest.raises(RuntimeError, match="outside a request"):
            current_user()


# unauthorized_handler


def test_the_unauthorized_handler_shapes_the_apps_own_401_and_403_only() -> None:
    app, extension = app_with_admin()

    @extension.unauthorized_handler
    def to_login_page(error):
        return redirect(f"/login-page?status={error.status}")

    @app.route("/report")
    @login_required("report")
    def report():
        return {"ok": True}

    client = app.test_client()
    assert client.get("/report").headers["Location"] == "/login-page?status=401"
    token = login(client, "admin", ADMIN_PASSWORD)
    assert (
        client.get("/report", headers=auth(token)).headers["Location"] == "/login-page?status=403"
    )
    own = client.get(
        "/api/user/users", headers=auth("not a token")
    )  # frappyauth's endpoints keep JSON
    assert own.status_code == 401 and body(own)["error"] == "unauthenticated"


# error handlers that coexist with the app's


def the_apps_html_handler(error: Exception):
    code = error.code if isinstance(error, HTTPException) else 500
    return f"<p>app page {code}</p>", code


@pytest.mark.parametrize("order", ["app handler first", "app handler after"])
@pytest.mark.parametrize("registered_for", [HTTPException, 404, Exception])
def test_errors_under_the_prefix_are_json_and_the_apps_handler_keeps_the_rest(
    order, registered_for
) -> None:
    app = Flask("x")
    if order == "app handler first":
        app.register_error_handler(registered_for, the_apps_html_handler)
    register_endpoints(app, MemoryUserStore(), options_override=FAST)
    if order == "app handler after":
        app.register_error_handler(registered_for, the_apps_html_handler)
    client = app.test_client()
    elsewhere = client.get("/no-such-page")
    assert (
        elsewhere.status_code == 404 and elsewhere.get_data(as_text=True) == "<p>app page 404</p>"
    )
    missing = client.get("/api/user/no-such-endpoint")
    assert missing.status_code == 404 and body(missing)["error"] == "not_found"
    wrong_method = client.put("/api/user/login")
    assert wrong_method.status_code == 405 and body(wrong_method)["error"] == "method_not_allowed"


def test_frappyauth_adds_no_hook_that_runs_on_every_request_of_the_app() -> None:
    app, _ = app_with_admin()
    assert not app.before_request_funcs and not app.url_value_preprocessors
    assert set(app.after_request_funcs) <= {"frappyauth"} and not app.teardown_request_funcs


def test_unknown_paths_under_the_prefix_are_json_for_any_method_and_app_routes_still_win() -> None:
    app, _ = app_with_admin()

    @app.route("/api/user", methods=["PATCH"])  # registered after frappyauth, at the prefix itself
    def patch_prefix():
        return {"app": "patch"}

    @app.route("/api/user/reports/<name>")
    def report(name: str):
        return {"app": name}

    @app.route("/api/user/folder/")
    def folder():
        return {"app": "folder"}

    @app.route("/api/<section>/stats")  # a pattern whose section happens to be frappyauth's prefix
    def stats(section: str):
        return {"stats": section}

    client = app.test_client()
    assert body(client.patch("/api/user")) == {"app": "patch"}
    assert body(client.get("/api/user/reports/weekly")) == {"app": "weekly"}
    wrong = client.put("/api/user")
    assert wrong.status_code == 405 and set(wrong.headers["Allow"].split(", ")) >= {"GET", "PATCH"}
    custom = client.open("/api/user/login", method="PROPFIND")
    assert custom.status_code == 405 and body(custom)["error"] == "method_not_allowed"
    assert "POST" in custom.headers["Allow"] and custom.headers["Cache-Control"] == "no-store"
    assert body(client.get("/api/user/reports/weekly/extra"))["error"] == "not_found"
    assert (
        client.get("/api/user/folder").status_code == 308
    )  # Flask's slash redirect, as without frappyauth
    assert (
        client.get("/api/userx").status_code == 404 and b"<" in client.get("/api/userx").data
    )  # not ours
    assert body(client.get("/api/user/stats")) == {"stats": "user"}
    assert "POST" in client.options("/api/user/login").headers["Allow"]
    odd = client.get("/api/user/x%0Ay")
    assert odd.status_code == 404 and body(odd)["error"] == "not_found"


def test_an_apps_catch_all_route_keeps_the_paths_frappyauth_does_not_serve() -> None:
    app, _ = app_with_admin()

    @app.route("/<path:page>")  # a single-page app's fallback
    def spa(page: str):
        return {"spa": page}

    client = app.test_client()
    assert body(client.get("/api/user/nothing")) == {"spa": "api/user/nothing"}
    assert (
        client.post(
            "/api/user/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).status_code
        == 200
    )


def test_an_apps_hook_that_read_the_body_first_does_not_break_the_endpoints() -> None:
    app, _ = app_with_admin()

    @app.before_request
    def audit():
        request.get_json(silent=True)

    client = app.test_client()
    assert login(client, "admin", ADMIN_PASSWORD)
    assert (
        body(
            client.post("/api/user/login", json={"username": "admin", "password": "wrong password"})
        )["error"]
        == "invalid_credentials"
    )


def chunked_post(client, path: str, raw: bytes, token: str):
    return client.post(
        path,
        input_stream=io.BytesIO(raw),
        content_type="application/json",
        headers={**auth(token), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_cap_is_413_and_one_under_it_is_read() -> None:
    app, _ = app_with_admin(max_body_bytes=2048)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    big = b'{"username": "big", "password": "%s", "profile": {"x": "%s"}}' % (
        USER_PASSWORD.encode(),
        b"x" * 3000,
    )
    response = chunked_post(client, "/api/user/users", big, token)
    assert response.status_code == 413 and body(response)["error"] == "payload_too_large"
    small = b'{"username": "small", "password": "%s"}' % USER_PASSWORD.encode()
    assert chunked_post(client, "/api/user/users", small, token).status_code == 200


def test_the_apps_own_lower_body_cap_holds_on_the_endpoints() -> None:
    app, _ = app_with_admin()
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = app.test_client().post(
        "/api/user/login", json={"username": "admin", "password": "x" * 200}
    )
    assert response.status_code == 413 and body(response)["error"] == "payload_too_large"


# mistakes that fail loudly


def test_a_user_store_passed_as_the_token_store_is_refused_at_registration() -> None:
    with pytest.raises(
        TypeError, match=r"token store lacks .*delete_for_user.*swapped or passed twice"
    ):
        register_endpoints(Flask("x"), MemoryUserStore(), MemoryUserStore())
    with pytest.raises(
        TypeError, match=r"MemorySessionStore given as the user store lacks .*get_by_username"
    ):
        register_endpoints(Flask("x"), MemorySessionStore(), MemorySessionStore())


def test_a_shared_user_store_with_sessions_in_the_process_warns() -> None:
    db = mongomock.MongoClient()["x"]
    with pytest.warns(
        RuntimeWarning, match=r"MongoUserStore.*sessions live in this process.*MongoSessionStore"
    ):
        register_endpoints(Flask("x"), MongoUserStore(db))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_endpoints(Flask("y"), MongoUserStore(db), MongoSessionStore(db))
        register_endpoints(Flask("z"), MemoryUserStore())


@pytest.mark.parametrize(
    "options, method, path, message",
    [
        ({}, "POST", "/api/user/key", "API keys are disabled"),
        ({}, "DELETE", "/api/user/key", "'api_keys' is off"),
        ({}, "POST", "/api/user/keys", "API keys are disabled"),
        (
            {"api_keys": True, "no_user_management": True},
            "GET",
            "/api/user/users/abc/keys",
            "User management is disabled",
        ),
        ({"no_user_management": True}, "POST", "/api/user/users", "'no_user_management' is on"),
        (
            {"no_user_management": True},
            "DELETE",
            "/api/user/users/abc",
            "User management is disabled",
        ),
        (
            {"no_user_management": True},
            "POST",
            "/api/user/users/abc/unlock",
            "User management is disabled",
        ),
    ],
)
def test_an_endpoint_an_option_removed_says_which_option(options, method, path, message) -> None:
    app, _ = app_with_admin(**options)
    client = app.test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    response = client.open(path, method=method, json={}, headers=auth(token))
    assert response.status_code == 404 and body(response)["error"] == "feature_disabled"
    assert message in body(response)["message"]


def test_json_answers_keep_their_shape_for_the_apps_errors() -> None:
    app = Flask("x")
    register_endpoints(app, MemoryUserStore(), options_override=FAST)

    @app.route("/boom")
    def boom():
        return jsonify(done=check_login_state() is not None)

    response = app.test_client().get("/boom")
    assert response.status_code == 401 and body(response)["error"] == "unauthenticated"


def served(options: dict) -> tuple[Flask, set[tuple[str, str]]]:
    app = Flask("served")
    register_endpoints(app, MemoryUserStore(), options_override=options)
    document = app.test_client().get("/api/user/openapi.json").get_json()
    return app, {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }


@pytest.mark.parametrize("option", ["api_keys", "no_user_management", "totp", "passkeys"])
def test_every_endpoint_an_option_removes_is_answered_feature_disabled(option) -> None:
    """Keeps `routing.OPTIONAL_ENDPOINTS` complete as endpoints behind options are added."""
    companions = {"totp": {"mfa_encryption_key": "k" * 32}}.get(option, {})
    on_app, with_option = served({option: True, **companions})
    off_app, without = served({})
    assert with_option ^ without, "the option changes no endpoint: the test reads nothing"
    for app, removed in [(off_app, with_option - without), (on_app, without - with_option)]:
        for method, path in sorted(removed):
            response = app.test_client().open(
                # 22 characters: a path variable as long as a passkey's id (16 bytes, base64url)
                re.sub(r"\{\w+\}", "x" * 22, path),
                method=method,
                json={},
            )
            assert body(response)["error"] == "feature_disabled", (
                f"{method} {path}: add it to OPTIONAL_ENDPOINTS"
            )
