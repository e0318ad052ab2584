"""A stand-in shaped like GitHub's documented OAuth app API, for the GitHub sign-in tests.

Not GitHub, and not a general OAuth server: it implements only what GitHub documents for OAuth
apps ("Authorizing OAuth apps", REST "Users" and "Emails"), on one loopback base URL that stands
for both github.com and api.github.com:

- `GET /login/oauth/authorize` (client_id, redirect_uri, scope, state, code_challenge,
  code_challenge_method=S256) shows an approval page; `POST` to the same URL with `login` and
  `authorize=1` (or `0`) redirects to the callback with `code` and `state` (or
  `error=access_denied`). A redirect_uri that is not registered sends `error=redirect_uri_mismatch`
  to the registered one, as GitHub does.
- `POST /login/oauth/access_token` (form: client_id, client_secret — or HTTP Basic —, code,
  redirect_uri, code_verifier) answers form-encoded, or JSON with `Accept: application/json`.
  Errors come with status 200 and an `error` field (`bad_verification_code`,
  `incorrect_client_credentials`, `redirect_uri_mismatch`), as GitHub's do. Codes are single use.
- `GET /user` (numeric `id`, `login`, `name`, the public `email` or null) and `GET /user/emails`
  (`email`, `primary`, `verified`, `visibility`; 404 without the `user:email` or `user` scope).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from oidc_support import callback_uri

DEFAULT_GITHUB_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {
        "id": 583231,
        "login": "octo-alice",
        "name": "Alice Octo",
        "email": None,  # no public address: the address comes from /user/emails
        "emails": [
            {"email": "alice@example.com", "primary": True, "verified": True, "visibility": None},
            {"email": "old@example.net", "primary": False, "verified": False, "visibility": None},
        ],
    },
    {
        "id": 9919,
        "login": "octo-carol",
        "name": None,
        "email": "carol@example.org",
        "emails": [
            {
                "email": "carol@example.org",
                "primary": True,
                "verified": False,
                "visibility": "public",
            }
        ],
    },
)
DOCS = "https://docs.github.com/apps/oauth-apps"


@dataclass
class GitHubShapedState:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    accounts: dict[str, dict[str, Any]]
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class GitHubShapedHandler(BaseHTTPRequestHandler):
    state: GitHubShapedState  # set on the subclass each server makes

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path, query = self._path_and_query()
        routes = {"/login/oauth/authorize": self._approval_page, "/user": self._user}
        routes["/user/emails"] = self._emails
        routes.get(path, self._not_found)(query)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        path, query = self._path_and_query()
        length = int(self.headers.get("Content-Length") or 0)
        form = {
            key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()
        }
        if path == "/login/oauth/authorize":
            self._decide(query, form)
        elif path == "/login/oauth/access_token":
            self._access_token(form)
        else:
            self._not_found(query)

    def _path_and_query(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}

    def _send(self, status: int, body: str, content_type: str, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if location:
            self.send_header("Location", location)
        encoded = body.encode()
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value), "application/json; charset=utf-8")

    def _not_found(self, _query: dict[str, str]) -> None:
        self._json(404, {"message": "Not Found", "documentation_url": DOCS})

    def _redirect_uri(self, query: dict[str, str]) -> str | None:
        """The callback the request may use, or None (then GitHub reports a mismatch)."""
        asked = query.get("redirect_uri")
        if asked is None:
            return self.state.redirect_uris[0]
        return asked if asked in self.state.redirect_uris else None

    def _approval_page(self, query: dict[str, str]) -> None:
        if query.get("client_id") != self.state.client_id:
            self._send(404, "unknown OAuth app", "text/plain")
            return
        if self._redirect_uri(query) is None:
            self._to_callback(self.state.redirect_uris[0], query, error="redirect_uri_mismatch")
            return
        page = (
            '<form method="post"><input name="login"><button name="authorize" value="1">'
            "Authorize</button></form>"
        )
        self._send(200, page, "text/html; charset=utf-8")

    def _to_callback(self, redirect_uri: str, query: dict[str, str], **values: str) -> None:
        params = dict(values)
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if urlsplit(redirect_uri).query else "?"
        self._send(302, "", "text/plain", redirect_uri + separator + urlencode(params))

    def _decide(self, query: dict[str, str], form: dict[str, str]) -> None:
        redirect_uri = self._redirect_uri(query)
        account = self.state.accounts.get(form.get("login", ""))
        if query.get("client_id") != self.state.client_id or redirect_uri is None or not account:
            self._send(400, "bad authorization request", "text/plain")
            return
        if form.get("authorize") != "1":
            self._to_callback(redirect_uri, query, error="access_denied")
            return
        code = secrets.token_hex(10)
        with self.state.lock:
            self.state.codes[code] = {
                "login": account["login"],
                "redirect_uri": query.get("redirect_uri"),
                "scope": query.get("scope", ""),
                "code_challenge": query.get("code_challenge"),
            }
        self._to_callback(redirect_uri, query, code=code)

    def _client_credentials(self, form: dict[str, str]) -> tuple[str, str]:
        authorization = self.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            return client_id, secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def _redeem(self, form: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
        """The grant the code stood for (now spent), or None and GitHub's error code."""
        client_id, secret = self._client_credentials(form)
        if client_id != self.state.client_id or not hmac.compare_digest(
            secret, self.state.client_secret
        ):
            return None, "incorrect_client_credentials"
        with self.state.lock:
            grant = self.state.codes.pop(form.get("code", ""), None)
        if grant is None or not _pkce_matches(grant["code_challenge"], form.get("code_verifier")):
            return None, "bad_verification_code"
        if grant["redirect_uri"] is not None and form.get("redirect_uri") != grant["redirect_uri"]:
            return None, "redirect_uri_mismatch"
        return grant, ""

    def _access_token(self, form: dict[str, str]) -> None:
        grant, error = self._redeem(form)
        if grant is None:
            answer = {
                "error": error,
                "error_description": error.replace("_", " "),
                "error_uri": DOCS,
            }
        else:
            token = "gho_" + secrets.token_hex(18)
            scope = ",".join(grant["scope"].replace(",", " ").split())
            with self.state.lock:
                self.state.tokens[token] = {"login": grant["login"], "scope": scope}
            answer = {"access_token": token, "scope": scope, "token_type": "bearer"}
        if "application/json" in self.headers.get("Accept", ""):
            self._json(200, answer)
        else:
            self._send(200, urlencode(answer), "application/x-www-form-urlencoded; charset=utf-8")

    def _token_grant(self) -> dict[str, Any] | None:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.state.tokens.get(token)

    def _user(self, _query: dict[str, str]) -> None:
        grant = self._token_grant()
        if grant is None:
            self._json(401, {"message": "Bad credentials", "documentation_url": DOCS})
            return
        account = self.state.accounts[grant["login"]]
        self._json(200, {key: account[key] for key in ("id", "login", "name", "email")})

    def _emails(self, query: dict[str, str]) -> None:
        grant = self._token_grant()
        if grant is None:
            self._json(401, {"message": "Bad credentials", "documentation_url": DOCS})
        elif not {"user:email", "user"} & set(grant["scope"].split(",")):
            self._not_found(query)
        else:
            self._json(200, self.state.accounts[grant["login"]]["emails"])


def _pkce_matches(challenge: str | None, verifier: str | None) -> bool:
    if challenge is None:
        return verifier is None
    if verifier is None:
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return hmac.compare_digest(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), challenge)


@dataclass(frozen=True)
class GitHubShapedProvider:
    """A running stand-in: point a GitHub preset's three URLs here."""

    base_url: str
    authorize_url: str  # github.com/login/oauth/authorize
    access_token_url: str  # github.com/login/oauth/access_token
    api_base_url: str  # api.github.com/
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    accounts: tuple[dict[str, Any], ...]


def start_github_shaped(
    *,
    name: str = "github",
    redirect_uris: Sequence[str] | None = None,
    accounts: Sequence[dict[str, Any]] = DEFAULT_GITHUB_ACCOUNTS,
    client_id: str = "Iv1.frappyauth-tests",
    client_secret: str = "github-client-secret-for-tests",
) -> tuple[GitHubShapedProvider, ThreadingHTTPServer]:
    state = GitHubShapedState(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=tuple(redirect_uris or [callback_uri(name)]),
        accounts={account["login"]: account for account in accounts},
    )
    handler = type("Handler", (GitHubShapedHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    provider = GitHubShapedProvider(
        base_url=base,
        authorize_url=f"{base}/login/oauth/authorize",
        access_token_url=f"{base}/login/oauth/access_token",
        api_base_url=f"{base}/",
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=state.redirect_uris,
        accounts=tuple(accounts),
    )
    return provider, server


@pytest.fixture
def github_like_provider() -> Iterator[Callable[..., GitHubShapedProvider]]:
    """`github_like_provider(**start_github_shaped's keywords) -> GitHubShapedProvider`: a fresh
    stand-in per call (codes and tokens of its own), stopped when the test ends."""
    servers: list[ThreadingHTTPServer] = []

    def provider(**settings: Any) -> GitHubShapedProvider:
        started, server = start_github_shaped(**settings)
        servers.append(server)
        return started

    yield provider
    for server in servers:
        server.shutdown()
        server.server_close()


def approve_github_authorization(authorization_url: str, login: str, approve: bool = True) -> str:
    """Open the approval page as `login`, approve or deny, and return the callback Location
    (with `code` and `state`, or `error=access_denied`) without fetching it."""
    page = requests.get(authorization_url, allow_redirects=False, timeout=10)
    if page.is_redirect:
        return page.headers["Location"]
    assert page.status_code == 200, page.text
    decision = {"login": login, "authorize": "1" if approve else "0"}
    answer = requests.post(authorization_url, data=decision, allow_redirects=False, timeout=10)
    assert answer.is_redirect, answer.text
    return answer.headers["Location"]
