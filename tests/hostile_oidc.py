"""A small, deliberately hostile OpenID Connect provider for the attack tests
(tests/test_attack_identity.py): every answer it gives can be rewritten by the test.

Not a general provider: discovery, JWKS, an authorization endpoint that approves at once (as a
provider the user already consented to would) and a token endpoint whose ID token is built from
the test's claims. The honest answers are those of a minimal correct provider; the test then
changes the discovery document (another provider's issuer), the ID token's claims or header, or the
raw token answer (to look for 500s).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

HTTP_TIMEOUT = 10


@dataclass
class HostileIdp:
    url: str
    client_id: str = "hostile-client"
    client_secret: str = "hostile-client-secret"
    issuer: str = ""  # what discovery and the ID token say; the provider's own URL unless changed
    subject: str = "mallory"  # the `sub` of the next sign-in
    claims: dict[str, Any] = field(default_factory=dict)  # merged into (or, None: removed from)
    header: dict[str, Any] = field(default_factory=dict)
    send_iss: bool = True  # RFC 9207's iss in the authorization response
    metadata_extra: dict[str, Any] = field(default_factory=dict)
    raw_metadata: Callable[[], tuple[int, str, bytes]] | None = None
    raw_token: Callable[[], tuple[int, str, bytes]] | None = None
    raw_jwks: Callable[[], tuple[int, str, bytes]] | None = None
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests_seen: list[str] = field(default_factory=list)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def settings(self, **extra: Any) -> dict[str, Any]:
        """frappyauth settings for this provider, by its issuer (override with `extra`)."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            **extra,
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": self.send_iss,
            **self.metadata_extra,
        }

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": f"{self.subject}@hostile.example",
            "email_verified": True,
        }
        for name, value in self.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        header = {"alg": "RS256", "kid": "k1", **self.header}
        return jwt.encode(header, claims, self.key, algorithms=[header["alg"]])

    def authorize(self, authorization_url: str) -> str:
        """Follow the app's redirect to this provider; return the Location back to the app."""
        answer = requests.get(authorization_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]


class _Handler(BaseHTTPRequestHandler):
    idp: HostileIdp

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, content_type: str, body: bytes, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value: Any) -> None:
        self._send(200, "application/json", json.dumps(value).encode())

    def do_GET(self) -> None:  # noqa: N802
        idp, parts = self.idp, urlsplit(self.path)
        idp.requests_seen.append(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            if idp.raw_metadata is not None:
                self._send(*idp.raw_metadata())
            else:
                self._json(idp.metadata())
        elif parts.path == "/jwks":
            if idp.raw_jwks is not None:
                self._send(*idp.raw_jwks())
            else:
                public = idp.key.as_dict(private=False)
                self._json({"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]})
        elif parts.path == "/authorize":
            code = secrets.token_urlsafe(16)
            idp.codes[code] = {"nonce": query.get("nonce"), "subject": idp.subject}
            back = {"code": code, "state": query.get("state", "")}
            if idp.send_iss:
                back["iss"] = idp.issuer
            self._send(302, "text/plain", b"", f"{query['redirect_uri']}?{urlencode(back)}")
        else:
            self._send(404, "text/plain", b"not found")

    def do_POST(self) -> None:  # noqa: N802
        idp, parts = self.idp, urlsplit(self.path)
        idp.requests_seen.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if parts.path != "/token":
            self._send(404, "text/plain", b"not found")
            return
        if idp.raw_token is not None:
            self._send(*idp.raw_token())
            return
        issued = idp.codes.pop(form.get("code", ""), None)
        if issued is None:
            self._send(400, "application/json", b'{"error": "invalid_grant"}')
            return
        self._json(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": idp.id_token(issued["nonce"]),
            }
        )


def start_hostile_idp(**settings: Any) -> tuple[HostileIdp, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    idp = HostileIdp(url=f"http://127.0.0.1:{server.server_address[1]}", **settings)
    if not idp.issuer:
        idp.issuer = idp.url
    server.RequestHandlerClass = type("Handler", (_Handler,), {"idp": idp})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return idp, server


def hostile_idps() -> Iterator[Callable[..., HostileIdp]]:
    """For a fixture: `yield from hostile_idps()` gives `(**HostileIdp's fields) -> HostileIdp`,
    a fresh provider per call, each stopped at the test's end."""
    servers: list[ThreadingHTTPServer] = []

    def provider(**settings: Any) -> HostileIdp:
        idp, server = start_hostile_idp(**settings)
        servers.append(server)
        return idp

    yield provider
    for server in servers:
        server.shutdown()
        server.server_close()
