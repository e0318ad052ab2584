"""Hostile and cross-site requests: each a 4xx JSON answer, nothing written."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask import Flask

from frappyauth import register_endpoints
from frappyauth.stores.memory import MemoryUserStore
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login


def nested(depth: int) -> str:
    profile = '{"a": ' * depth + "1" + "}" * depth
    return '{"username": "deep", "password": "a long password", "profile": ' + profile + "}"


@pytest.mark.parametrize(
    "raw",
    [
        nested(40),
        nested(8_000),
        '{"username": "x", "password": "p", "email": NaN}',
        '{"username": "x", "username": "y", "password": "a long password"}',
        '{"username": "x", "password": Infinity}',
        "\xff\xfe",
        "[" * 50_000,
    ],
)
def test_malformed_json_is_400_and_creates_nobody(client, admin_token, user_store, raw) -> None:
    response = client.post(
        "/api/user/users", data=raw, content_type="application/json", headers=auth(admin_token)
    )
    assert response.status_code == 400 and response.is_json
    assert user_store.count() == 1


@pytest.mark.parametrize(
    "raw, message",
    [
        ('{"x": 18446744073709551616}', "64 bits"),
        ('{"x": -9223372036854775809}', "64 bits"),
        ('{"x": 1, "x": 2}', "twice"),
        ('{"x": NaN}', "NaN"),
        ('{"x": 1e999}', "finite"),
        ('{"x": [{"y": -1E+400}]}', "finite"),
    ],
)
def test_profile_values_a_store_cannot_hold_are_400(
    client, admin_token, user_store, raw, message
) -> None:
    admin = user_store.get_by_username("admin")
    response = client.post(
        f"/api/user/users/{admin.id}/profile",
        data=raw,
        content_type="application/json",
        headers=auth(admin_token),
    )
    assert response.status_code == 400 and message in body(response)["message"]
    assert user_store.get(admin.id).profile == {}


@pytest.mark.parametrize(
    "path, raw",
    [
        ("/api/user/login", '{"username": "admin", "password": "\\ud800"}'),
        ("/api/user/login", '{"username": "\\udfff", "password": "wrong password!"}'),
        (
            "/api/user/users",
            '{"username": "ok", "password": "a long password", "email": "x\\ud800"}',
        ),
        (
            "/api/user/users",
            '{"username": "ok", "password": "a long password", "profile": {"\\ud800": 1}}',
        ),
        (
            "/api/user/users",
            '{"username": "ok", "password": "a long password", "permissions": ["\\udbff"]}',
        ),
    ],
)
def test_lone_surrogates_are_400_not_500(client, admin_token, user_store, path, raw) -> None:
    response = client.post(
        path, data=raw, content_type="application/json", headers=auth(admin_token)
    )
    assert response.status_code == 400 and "Unicode" in body(response)["message"]
    assert user_store.count() == 1


def test_an_infinite_number_in_an_own_profile_cannot_break_the_admins_user_list(
    make_app, user_store
) -> None:
    client = make_app(allow_own_profile_edit=True).test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users", json={"username": "bob", "password": USER_PASSWORD}, headers=auth(admin)
    )
    bob = user_store.get_by_username("bob")
    response = client.post(
        f"/api/user/users/{bob.id}/profile",
        data='{"a": 1e999}',
        content_type="application/json",
        headers=auth(login(client, "bob", USER_PASSWORD)),
    )
    assert response.status_code == 400 and user_store.get(bob.id).profile == {}
    listing = client.get("/api/user/users", headers=auth(admin)).get_data(as_text=True)
    assert (
        json.loads(listing, parse_constant=lambda name: pytest.fail(f"{name} in the user list"))[
            "total"
        ]
        == 2
    )


def test_the_largest_64_bit_integers_are_kept(client, admin_token, user_store) -> None:
    admin = user_store.get_by_username("admin")
    profile = {"max": 2**63 - 1, "min": -(2**63)}
    assert (
        body(
            client.post(
                f"/api/user/users/{admin.id}/profile", json=profile, headers=auth(admin_token)
            )
        )["profile"]
        == profile
    )


@pytest.mark.parametrize(
    "profile", [{"$set": 1}, {"a.b": 1}, {"\x00": 1}, {"x": {"$gt": 1}}, {"x": [{"y.z": 1}]}]
)
def test_profile_keys_a_document_store_cannot_hold_are_400(
    client, admin_token, user_store, profile
) -> None:
    admin = user_store.get_by_username("admin")
    response = client.post(
        f"/api/user/users/{admin.id}/profile", json=profile, headers=auth(admin_token)
    )
    assert response.status_code == 400 and body(response)["error"] == "bad_request"
    assert user_store.get(admin.id).profile == {}


def test_a_body_over_the_cap_is_413(make_app, user_store) -> None:
    client = make_app(max_body_bytes=2048).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    big = {"username": "big", "password": USER_PASSWORD, "profile": {"blob": "x" * 3000}}
    response = client.post("/api/user/users", json=big, headers=auth(token))
    assert response.status_code == 413 and body(response)["error"] == "payload_too_large"
    assert user_store.count() == 1


def post_chunked(client: Any, token: str, blob_size: int) -> Any:
    """A chunked body has no Content-Length to check first; the server marks its end
    (`wsgi.input_terminated`)."""
    raw = json.dumps(
        {"username": "big", "password": USER_PASSWORD, "profile": {"blob": "x" * blob_size}}
    ).encode()
    return client.post(
        "/api/user/users",
        input_stream=io.BytesIO(raw),
        content_type="application/json",
        headers={**auth(token), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_cap_is_413(make_app, user_store) -> None:
    client = make_app(max_body_bytes=2048).test_client()
    response = post_chunked(client, login(client, "admin", ADMIN_PASSWORD), 3000)
    assert response.status_code == 413 and body(response)["error"] == "payload_too_large"
    assert user_store.count() == 1


def test_a_chunked_body_under_the_cap_is_read(make_app, user_store) -> None:
    client = make_app(max_body_bytes=2048).test_client()
    assert post_chunked(client, login(client, "admin", ADMIN_PASSWORD), 1000).status_code == 200
    assert user_store.count() == 2


@pytest.mark.parametrize(
    "username",
    ["bad\x00name", "tab\tname", "new\nline", " padded", "padded ", "x" * 151, "bell\x07"],
)
def test_usernames_with_control_characters_or_padding_are_400(
    client, admin_token, user_store, username
) -> None:
    response = client.post(
        "/api/user/users",
        json={"username": username, "password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    assert response.status_code == 400 and user_store.count() == 1


def test_an_over_long_password_at_login_is_400_without_hashing(app) -> None:
    response = app.test_client().post(
        "/api/user/login", json={"username": "admin", "password": "x" * 1025}
    )
    assert response.status_code == 400 and body(response)["error"] == "invalid_password"


@pytest.mark.parametrize(
    "header",
    [
        "x" * 10_000,
        "Bearer " + "y" * 600,
        "Bearer a\x01b",
        "Digest abc",
        "Token",
        "Bearer  ",
        "\u00e9\u00e9",
    ],
)
def test_huge_or_malformed_authorization_headers_are_401(app, header) -> None:
    response = app.test_client().get("/api/user", headers={"Authorization": header})
    assert response.status_code == 401 and response.is_json


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("POST", "/api/user/login", 400),
        ("GET", "/api/user", 401),
        ("GET", "/api/user/users", 401),
        ("GET", "/api/user/missing", 404),
        ("PATCH", "/api/user/login", 405),
    ],
)
def test_every_auth_response_is_no_store(app, method, path, status) -> None:
    response = app.test_client().open(path, method=method, json={})
    assert response.status_code == status and response.headers["Cache-Control"] == "no-store"


def test_successful_auth_responses_are_no_store_too(client) -> None:
    response = client.post(
        "/api/user/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/api/user").headers["Cache-Control"] == "no-store"


# cross-site request forgery


@pytest.fixture
def browser(app):
    """A client holding only the session cookie, as a browser does."""
    client = app.test_client()
    login(client, "admin", ADMIN_PASSWORD)
    return client


NEW_USER = {"username": "forged", "password": USER_PASSWORD}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ],
)
def test_a_cookie_authenticated_write_from_elsewhere_is_403(browser, user_store, headers) -> None:
    response = browser.post("/api/user/users", json=NEW_USER, headers=headers)
    assert response.status_code == 403 and body(response)["error"] == "cross_site_request"
    assert user_store.count() == 1
    assert browser.delete("/api/user/logout", headers=headers).status_code == 403
    assert browser.get("/api/user").status_code == 200  # still logged in


def test_the_apps_own_routes_are_protected_as_well(browser) -> None:
    response = browser.post("/api/reports", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and body(response)["error"] == "cross_site_request"


@pytest.mark.parametrize(
    "headers", [{"Origin": "http://localhost"}, {"Referer": "http://localhost/admin"}]
)
def test_a_cookie_authenticated_write_from_this_host_passes(browser, headers) -> None:
    assert browser.post("/api/user/users", json=NEW_USER, headers=headers).status_code == 200


def test_allowed_origins_admits_another_origin(make_app) -> None:
    client = make_app(allowed_origins=["https://admin.example"]).test_client()
    login(client, "admin", ADMIN_PASSWORD)
    assert (
        client.post(
            "/api/user/users", json=NEW_USER, headers={"Origin": "https://admin.example"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "entry",
    [
        "null",
        "*",
        "https://admin.example/",
        "https://admin.example/app",
        "admin.example",
        "ftp://admin.example",
        "https://user@admin.example",
        "https://admin.example:99999",
        "https://*.example",
        "",
    ],
)
def test_allowed_origins_refuses_what_is_not_an_origin_naming_the_entry(entry) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(entry))):
        register_endpoints(
            Flask("x"),
            MemoryUserStore(),
            options_override={"allowed_origins": ["https://ok.example", entry]},
        )


@pytest.mark.parametrize(
    "allowed, sent",
    [
        ("HTTPS://Admin.Example:443", "https://admin.example"),
        ("https://admin.example", "https://ADMIN.example:443"),
        ("http://admin.example:8080", "http://Admin.example:8080"),
    ],
)
def test_allowed_origins_match_whatever_the_case_and_default_port(make_app, allowed, sent) -> None:
    client = make_app(allowed_origins=[allowed]).test_client()
    login(client, "admin", ADMIN_PASSWORD)
    assert (
        client.post("/api/user/users", json=NEW_USER, headers={"Origin": sent}).status_code == 200
    )


def test_this_hosts_own_origin_matches_with_its_default_port_spelled_out(browser) -> None:
    assert (
        browser.post(
            "/api/user/users", json=NEW_USER, headers={"Origin": "HTTP://LOCALHOST:80"}
        ).status_code
        == 200
    )


def test_another_port_is_another_origin(make_app) -> None:
    client = make_app(allowed_origins=["https://admin.example"]).test_client()
    login(client, "admin", ADMIN_PASSWORD)
    response = client.post(
        "/api/user/users", json=NEW_USER, headers={"Origin": "https://admin.example:8443"}
    )
    assert response.status_code == 403


def test_requests_with_the_authorization_header_are_unaffected(app, admin_token) -> None:
    response = app.test_client().post(
        "/api/user/users",
        json=NEW_USER,
        headers={**auth(admin_token), "Origin": "https://evil.example"},
    )
    assert response.status_code == 200


def test_cookie_authenticated_reads_are_unaffected(browser) -> None:
    assert browser.get("/api/user", headers={"Origin": "https://evil.example"}).status_code == 200
