"""The OpenAPI document names exactly the registered routes, and is a valid OpenAPI 3.1 document."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from frappyauth import register_endpoints
from frappyauth.core.mailer import LoggingMailer
from frappyauth.stores.memory import MemoryUserStore

MAIL = {
    "registration": True,
    "email_verification": "required",
    "password_reset": True,
    "email_change": True,
    "frontend_url": "https://app.example/{action}?token={token}",
}


def registered(app: Flask, prefix: str) -> set[tuple[str, str]]:
    """(path, method) of every route under the prefix, in OpenAPI's `{name}` path syntax."""
    return {
        (re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule == prefix or rule.rule.startswith(prefix + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented(document: dict) -> set[tuple[str, str]]:
    return {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"api_keys": True},
        {"no_user_management": True},
        {"api_prefix": "/auth", "api_keys": True, "no_user_management": True},
        MAIL,
        {"password_reset": True, "frontend_url": MAIL["frontend_url"]},
        {"registration": True, "frontend_url": MAIL["frontend_url"]},
        {"totp": True, "mfa_encryption_key": "k" * 32},
        {"totp": True, "mfa_encryption_key": "k" * 32, "no_user_management": True},
        {"passkeys": True},
        {
            "allow_self_delete": True,
            "new_device_alerts": True,
            "password_reset": True,
            "frontend_url": MAIL["frontend_url"],
        },
        {"passkeys": True, "passwordless": True, "totp": True, "mfa_encryption_key": "k" * 32},
    ],
)
def test_the_document_and_the_routes_name_the_same_paths_and_methods(options) -> None:
    app = Flask("x")
    register_endpoints(app, MemoryUserStore(), options_override=options, mailer=LoggingMailer())
    prefix = options.get("api_prefix", "/api/user")
    response = app.test_client().get(f"{prefix}/openapi.json")
    assert response.status_code == 200
    user_path = "{userId}"
    paths = documented(response.get_json())
    assert {
        (
            p.replace("{user_id}", user_path)
            .replace("{session_id}", "{sessionId}")
            .replace("{key_id}", "{keyId}")
            .replace("{passkey_id}", "{passkeyId}"),
            m,
        )
        for p, m in registered(app, prefix)
    } == paths
    assert (
        (f"{prefix}/key", "post") in paths
        if options.get("api_keys")
        else (f"{prefix}/key", "post") not in paths
    )


def test_the_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate

    app = Flask("x")
    register_endpoints(
        app,
        MemoryUserStore(),
        mailer=LoggingMailer(),
        options_override={
            "api_keys": True,
            "totp": True,
            "passkeys": True,
            "mfa_encryption_key": "k" * 32,
            "allow_self_delete": True,
            "new_device_alerts": True,
            **MAIL,
        },
    )
    validate(app.test_client().get("/api/user/openapi.json").get_json())
