"""The same small protected JSON endpoint, `GET /api/thing`, behind each authentication library.

`build(name)` returns the app and the headers an authenticated client sends;
`build(name, SECRET_KEY)` sets `app.secret_key` first: once a key is set, Flask's cookie session
works on every request, so a fair comparison has a key on every contender or on none (Flask-Login
always has one: it needs it). `create_app(name)` is the app factory for gunicorn; it writes those
headers, as JSON, to the file named by `BENCH_HEADERS_FILE`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify

PASSWORD = "benchmark password"
PAYLOAD = {"things": [1, 2, 3]}
SECRET_KEY = "benchmark secret key, not for production"


def _flask(import_name: str, secret_key: str | None) -> Flask:
    """A Flask app with `secret_key` set when one is given, before any extension can read it."""
    app = Flask(import_name)
    if secret_key is not None:
        app.secret_key = secret_key
    return app


def bare(secret_key: str | None = None) -> tuple[Flask, dict[str, str]]:
    app = _flask("bare", secret_key)
    app.add_url_rule("/api/thing", "thing", lambda: jsonify(PAYLOAD))
    return app, {}


def _frappyauth(
    user_store: Any, token_store: Any, secret_key: str | None = None
) -> tuple[Flask, dict[str, str]]:
    from frappyauth import check_login_state, initial_user_check, register_endpoints

    app = _flask("frappyauth", secret_key)
    register_endpoints(app, user_store, token_store, {"bcrypt_cost": 4})

    @app.route("/api/thing")
    def thing() -> Any:
        check_login_state()
        return jsonify(PAYLOAD)

    initial_user_check(app, "bench", PASSWORD)
    token = (
        app.test_client()
        .post("/api/user/login", json={"username": "bench", "password": PASSWORD})
        .json["token"]
    )
    return app, {"Authorization": token}


def frappyauth_api_key(
    user_store: Any = None, token_store: Any = None, secret_key: str | None = None
) -> tuple[Flask, dict[str, str]]:
    """A scoped API key (`fak_...`), by default on the memory stores: the key with its owner, no
    write."""
    from frappyauth import check_login_state, initial_user_check, register_endpoints
    from frappyauth.stores.memory import MemoryUserStore

    app = _flask("frappyauth-key", secret_key)
    register_endpoints(
        app,
        user_store if user_store is not None else MemoryUserStore(),
        token_store,
        options_override={"bcrypt_cost": 4, "api_keys": True},
    )

    @app.route("/api/thing")
    def thing() -> Any:
        check_login_state("bench", allow_api_key=True)
        return jsonify(PAYLOAD)

    with app.app_context():
        initial_user_check(app, "bench", PASSWORD)
    client = app.test_client()
    token = client.post("/api/user/login", json={"username": "bench", "password": PASSWORD}).json[
        "token"
    ]
    user_id = client.get("/api/user", headers={"Authorization": token}).json["id"]
    client.post(
        f"/api/user/users/{user_id}/permissions",
        json={"permissions": ["admin", "bench"]},
        headers={"Authorization": token},
    )
    key = client.post(
        "/api/user/keys",
        json={"name": "bench", "scopes": ["bench"]},
        headers={"Authorization": token},
    ).json["apiKey"]
    return app, {"Authorization": f"Token {key}"}


def frappyauth_memory(secret_key: str | None = None) -> tuple[Flask, dict[str, str]]:
    from frappyauth.stores.memory import MemorySessionStore, MemoryUserStore

    return _frappyauth(MemoryUserStore(), MemorySessionStore(), secret_key)


def frappyauth_mongomock(secret_key: str | None = None) -> tuple[Flask, dict[str, str]]:
    import mongomock

    from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore

    db = mongomock.MongoClient()["bench"]
    return _frappyauth(MongoUserStore(db), MongoSessionStore(db), secret_key)


class _LegacyUser:
    """What frappyflaskauth 1.6.3 expects of frappymongouser's User."""

    def __init__(self) -> None:
        self.id, self.username, self.permissions, self.api_key = "u1", "bench", [], None

    def to_json(self) -> dict[str, Any]:
        return {"_id": self.id, "username": self.username, "permissions": self.permissions}


class _LegacyUserStore:
    """The one method frappyflaskauth's login needs (frappymongouser compares an MD5; this, plain
    text)."""

    def login_with_password(self, username: str, password: str) -> _LegacyUser | None:
        return _LegacyUser() if (username, password) == ("bench", PASSWORD) else None


def frappyflaskauth(secret_key: str | None = None) -> tuple[Flask, dict[str, str]]:
    import frappyflaskauth as legacy

    app = _flask("frappyflaskauth", secret_key)
    legacy.register_endpoints(app, _LegacyUserStore(), None, {})

    @app.route("/api/thing")
    def thing() -> Any:
        legacy.check_login_state()
        return jsonify(PAYLOAD)

    token = (
        app.test_client()
        .post("/api/user/login", json={"username": "bench", "password": PASSWORD})
        .json["token"]
    )
    return app, {"Authorization": token}


def flask_login(secret_key: str | None = None) -> tuple[Flask, dict[str, str]]:
    """Flask-Login keeps its login in Flask's signed cookie session: it always has a key."""
    from flask_login import LoginManager, UserMixin, login_required, login_user

    class BenchUser(UserMixin):
        id = "u1"

    app = _flask("flask_login", secret_key or SECRET_KEY)
    manager = LoginManager(app)
    manager.user_loader(lambda user_id: BenchUser() if user_id == "u1" else None)
    app.add_url_rule("/login", "login", lambda: (login_user(BenchUser()), "")[1], methods=["POST"])
    app.add_url_rule("/api/thing", "thing", login_required(lambda: jsonify(PAYLOAD)))
    client = app.test_client()
    client.post("/login")
    return app, {
        "Cookie": f"session={client.get_cookie('session').value}"
    }  # the signed session cookie


def flask_jwt_extended(secret_key: str | None = None) -> tuple[Flask, dict[str, str]]:
    from flask_jwt_extended import JWTManager, create_access_token, jwt_required

    app = _flask("flask_jwt_extended", secret_key)
    app.config["JWT_SECRET_KEY"] = "benchmark secret key, not for production, 32+ bytes long"
    JWTManager(app)
    app.add_url_rule("/api/thing", "thing", jwt_required()(lambda: jsonify(PAYLOAD)))
    with app.app_context():
        token = create_access_token(identity="u1")  # HS256, the default
    return app, {"Authorization": f"Bearer {token}"}


# each builder takes an optional `secret_key`
CONTENDERS: dict[str, Callable[..., tuple[Flask, dict[str, str]]]] = {
    "bare flask": bare,
    "frappyauth (memory)": frappyauth_memory,
    "frappyauth API key (memory)": lambda secret_key=None: frappyauth_api_key(
        secret_key=secret_key
    ),
    "frappyauth (mongo on mongomock)": frappyauth_mongomock,
    "frappyflaskauth 1.6.3": frappyflaskauth,
    "flask-login 0.6": flask_login,
    "flask-jwt-extended 4.7": flask_jwt_extended,
}


def build(name: str, secret_key: str | None = None) -> tuple[Flask, dict[str, str]]:
    """The contender's app and the headers (a `Cookie` header included) an authenticated client
    sends; `app.secret_key` is `secret_key` when one is given."""
    app, headers = CONTENDERS[name](secret_key=secret_key)
    client, others = test_client(app, headers)
    assert client.get("/api/thing", headers=others).status_code == 200, name
    return app, headers


def test_client(app: Flask, headers: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """A test client and the headers to send: Werkzeug's client ignores a `Cookie` header, so
    cookies go
    into its jar."""
    client, others = app.test_client(), dict(headers)
    for pair in others.pop("Cookie", "").split(";"):
        if "=" in pair:
            name, value = pair.strip().split("=", 1)
            client.set_cookie(name, value)
    return client, others


def create_app(name: str) -> Flask:
    """For gunicorn: the contender's app; its credential goes to the file `BENCH_HEADERS_FILE`
    names."""
    app, headers = build(name)
    with open(os.environ["BENCH_HEADERS_FILE"], "w", encoding="utf-8") as file:
        json.dump(headers, file)
    return app


if __name__ == "__main__":
    print(build(sys.argv[1])[1])
