"""The demo app factory: frappyauth on memory stores, or on MongoDB when `MONGODB_URI` is set."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from frappyauth import (
    FrappyAuthError,
    StoreUnavailableError,
    check_login_state,
    initial_user_check,
    register_endpoints,
)
from frappyauth.core.mailer import LoggingMailer
from frappyauth.core.protocols import MailTokenStore, SessionStore, UserStore
from frappyauth.stores.memory import MemoryMailTokenStore, MemorySessionStore, MemoryUserStore
from frappyauth.web.cli import cli
from frappyauth_demo.pages import pages
from frappyauth_demo.startup import gunicorn_settings, mongodb_hosts, refuse


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    """Build the demo app and seed its first admin (see `seed_admin`), except for the
    `flask frappyauth` commands."""
    environ = os.environ if environ is None else environ
    app = Flask("frappyauth_demo")
    totp, provider = _totp_options(environ), _provider_options(app, environ)
    users, tokens, mail_tokens = _stores(environ)
    mail = _mail_options(environ)
    if provider and mail:  # new accounts through the provider need sign-up, which needs mail
        provider["registration"] = True
    register_endpoints(
        app,
        users,
        tokens,
        # refuse_common_passwords: off by default only so that upgrading changes nothing; new
        # deployments should turn it on, as the demo does.
        options_override={
            "api_keys": True,
            "console": True,
            "refuse_common_passwords": True,
            **mail,
            **totp,
            **provider,
        },
        mailer=LoggingMailer(),
        mail_token_store=mail_tokens,
    )
    app.register_blueprint(pages("/api/user"))

    @app.route("/api/things")
    def things() -> Any:
        """Any logged-in user, by session or by API key."""
        return {"things": ["apple", "pear"], "for": check_login_state(allow_api_key=True).username}

    @app.route("/api/admin-report")
    def admin_report() -> Any:
        """Administrators only, by session only."""
        check_login_state("admin")
        return {"report": "all is well"}

    if _loaded_by_the_cli():
        return app
    seed_admin(app, environ)
    if totp:
        print(
            "frappyauth demo: TOTP is on: with a session, POST /api/user/mfa/totp {password}, add "
            "the secret to "
            "an authenticator app, POST /api/user/mfa/totp/confirm {code}; logins then take POST "
            "/api/user/login "
            "and POST /api/user/login/mfa {mfaToken, code}",
            flush=True,
        )
    return app


def _loaded_by_the_cli() -> bool:
    """Whether a `flask frappyauth ...` command is loading the app: it manages users itself
    (`init-admin`), and a password printed there would be for a store that may end with the
    command."""
    context = click.get_current_context(silent=True)
    while context is not None:
        if context.command is cli:
            return True
        context = context.parent
    return False


def _mail_options(environ: Mapping[str, str]) -> dict[str, Any]:
    """Forgotten passwords by mail, when the `[mail]` extra is installed: the logging mailer prints
    each mail (and its link) to standard error, and the links lead to the demo's own minimal pages.
    `FRAPPYAUTH_PUBLIC_URL` is where browsers reach the demo."""
    if importlib.util.find_spec("email_validator") is None:
        return {}
    public_url = environ.get("FRAPPYAUTH_PUBLIC_URL", "http://localhost:5000").rstrip("/")
    return {
        "password_reset": True,
        "frontend_url": f"{public_url}/account/{{action}}?token={{token}}",
    }


def _totp_options(environ: Mapping[str, str]) -> dict[str, Any]:
    """`FRAPPYAUTH_TOTP=1` turns TOTP on, its secrets sealed with `FRAPPYAUTH_MFA_KEY` (32+
    characters) or, without one, a key made for this process (enrolments then do not survive a
    restart)."""
    if environ.get("FRAPPYAUTH_TOTP", "").strip().lower() not in ("1", "true", "yes"):
        return {}
    key = environ.get("FRAPPYAUTH_MFA_KEY")
    if not key and environ.get(
        "MONGODB_URI"
    ):  # workers and restarts must share the key that seals the secrets
        refuse(
            "frappyauth demo: FRAPPYAUTH_TOTP with MONGODB_URI needs FRAPPYAUTH_MFA_KEY (32+ "
            "random "
            "characters): "
            "every worker must open the TOTP secrets the others sealed.",
            environ,
        )
    return {"totp": True, "mfa_encryption_key": key or secrets.token_urlsafe(32)}


def _provider_options(app: Flask, environ: Mapping[str, str]) -> dict[str, Any]:
    """`FRAPPYAUTH_OIDC_ISSUER`, `FRAPPYAUTH_OIDC_CLIENT_ID` and `FRAPPYAUTH_OIDC_CLIENT_SECRET` add
    an OpenID Connect provider named `FRAPPYAUTH_OIDC_NAME` (default `oidc`; its redirect URI is
    `<public URL>/api/user/sso/<name>/callback`). Its flows are signed with `FRAPPYAUTH_SECRET_KEY`
    or, without one, a key made for this process."""
    issuer = environ.get("FRAPPYAUTH_OIDC_ISSUER")
    if not issuer:
        return {}
    key = environ.get("FRAPPYAUTH_SECRET_KEY")
    if not key and environ.get("MONGODB_URI"):  # every worker must check the others' cookies
        refuse(
            "frappyauth demo: FRAPPYAUTH_OIDC_ISSUER with MONGODB_URI needs FRAPPYAUTH_SECRET_KEY "
            "(32+ random characters), shared by every worker.",
            environ,
        )
    app.secret_key = key or secrets.token_urlsafe(32)
    name = environ.get("FRAPPYAUTH_OIDC_NAME", "oidc")
    settings = {
        "issuer": issuer,
        "client_id": environ.get("FRAPPYAUTH_OIDC_CLIENT_ID", ""),
        "client_secret": environ.get("FRAPPYAUTH_OIDC_CLIENT_SECRET", ""),
        "display_name": environ.get("FRAPPYAUTH_OIDC_DISPLAY_NAME", name),
    }
    return {"identity_providers": {name: settings}}


def seed_admin(app: Flask, environ: Mapping[str, str]) -> None:
    """Create the admin when there are no users:
    `FRAPPYAUTH_ADMIN_USER`/`FRAPPYAUTH_ADMIN_PASSWORD`, or a
    generated password printed this once (it is stored only as a bcrypt hash)."""
    username = environ.get("FRAPPYAUTH_ADMIN_USER") or "admin"
    given = environ.get("FRAPPYAUTH_ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(18)
    try:
        created = initial_user_check(app, username, password)
    except FrappyAuthError as error:  # e.g. a FRAPPYAUTH_ADMIN_PASSWORD below the minimum length
        refuse(f"frappyauth demo: cannot create the admin: {error.message}", environ)
    if created is not None and not given:
        print(f"frappyauth demo: created admin {username!r} with password {password}", flush=True)


def _stores(environ: Mapping[str, str]) -> tuple[UserStore, SessionStore, MailTokenStore]:
    uri = environ.get("MONGODB_URI")
    if not uri:
        workers = gunicorn_settings(environ)["workers"]
        if workers > 1:
            refuse(
                f"frappyauth demo: {workers} gunicorn workers would each keep their own users and "
                f"sessions in "
                "memory; set MONGODB_URI to share them through MongoDB, or run one worker.",
                environ,
            )
        return MemoryUserStore(), MemorySessionStore(), MemoryMailTokenStore()
    from pymongo import MongoClient  # only with MONGODB_URI: the memory demo needs no pymongo
    from pymongo.errors import ConfigurationError, PyMongoError

    from frappyauth.stores.mongo import MongoMailTokenStore, MongoSessionStore, MongoUserStore

    # The URI's own serverSelectionTimeoutMS wins; otherwise give up after 5 s rather than pymongo's
    # 30 s.
    timeout: dict[str, Any] = (
        {}
        if re.search(r"[?&]serverSelectionTimeoutMS=", uri, re.IGNORECASE)
        else {"serverSelectionTimeoutMS": 5000}
    )
    try:
        client: MongoClient = MongoClient(uri, **timeout)
        db = client.get_default_database(environ.get("FRAPPYAUTH_DB", "frappyauth"))
    except ConfigurationError as error:  # pymongo's message quotes nothing of the URI's credentials
        refuse(f"frappyauth demo: MONGODB_URI is not a usable MongoDB URI: {error}", environ)
    try:
        client.admin.command(
            "ping"
        )  # first, so an unreachable server is this one line, before any store logs
        return (
            MongoUserStore(db),
            MongoSessionStore(db),
            MongoMailTokenStore(db),
        )  # building them makes the indexes
    except (StoreUnavailableError, PyMongoError):
        refuse(
            f"frappyauth demo: cannot reach MongoDB at {mongodb_hosts(uri)} within "
            f"{client.options.server_selection_timeout:g} s (from MONGODB_URI): is it running, and "
            f"is "
            "MONGODB_URI right?",
            environ,
        )
