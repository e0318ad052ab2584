"""A real OpenID Connect provider for the tests: node-oidc-provider (OpenID Certified), run from
`tests/node/oidc_provider.mjs` on a loopback port.

`oidc_provider(...)` (a session fixture) starts one provider per distinct configuration and
answers the same running one for the same configuration; `authorize_in_browserless_session`
drives its login and consent pages over HTTP and hands back the redirect to the app's callback,
unfetched. Without `node` or `tests/node/node_modules` (`npm ci --prefix tests/node`, which
`.ci/run` runs) the tests that ask for a provider are skipped with that reason.
"""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

NODE_DIR = Path(__file__).resolve().parent / "node"
PROVIDER_SCRIPT = NODE_DIR / "oidc_provider.mjs"
START_TIMEOUT = 60  # seconds; a loaded 2-core machine needs several for node and a key pair
HTTP_TIMEOUT = 10

# The accounts a provider knows unless a test names its own: devInteractions logs in with `sub`.
DEFAULT_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {"sub": "alice", "email": "alice@example.com", "email_verified": True, "name": "Alice Liddell"},
    {
        "sub": "bob",
        "email": "bob@example.com",
        "email_verified": False,
        "name": "Bob Builder",
        "groups": ["staff", "admins"],
    },
)
# What `tests/node/oidc_provider.mjs` can make a malicious provider send as its ID token.
ID_TOKEN_TAMPERS = (
    "alg_none",
    "wrong_aud",
    "wrong_iss",
    "wrong_nonce",
    "expired",
    "unadvertised_key",
    "same_kid_other_key",
    "hmac_public_key",
)


def callback_uri(provider: str, prefix: str = "/api/user", origin: str = "http://localhost") -> str:
    """The redirect URI of an app under the Flask test client for the provider named `provider`."""
    return f"{origin}{prefix}/sso/{provider}/callback"


def node_tooling_missing(package: str = "oidc-provider") -> str | None:
    """Why the Node test tooling's `package` cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return f"node is not installed: these tests run the npm package {package}"
    if not (NODE_DIR / "node_modules" / package).is_dir():
        return "tests/node/node_modules is missing: run `npm ci --prefix tests/node` (.ci/run does)"
    return None


@dataclass(frozen=True)
class OidcProvider:
    """A running provider and the one client registered with it."""

    name: str
    issuer: str
    url: str  # where it listens; the issuer unless a test gave it another one
    metadata_url: str
    client_id: str
    client_secret: str
    token_endpoint_auth_method: str
    redirect_uris: tuple[str, ...]
    accounts: tuple[dict[str, Any], ...]

    def metadata(self) -> dict[str, Any]:
        return requests.get(self.metadata_url, timeout=HTTP_TIMEOUT).json()

    def set_id_token_tamper(self, mode: str | None) -> None:
        """From now on, ID tokens from the token endpoint are rewritten as `mode` says (one of
        ID_TOKEN_TAMPERS), or sent as issued (None). Use a provider of its own (`name=`)."""
        self._control("/__test__/tamper", {"mode": mode or ""})

    def rotate_signing_key(self) -> None:
        """A new signing key: listed first in the JWKS and signing every later ID token."""
        self._control("/__test__/rotate-signing-key", {})

    def _control(self, path: str, params: dict[str, str]) -> None:
        response = requests.post(self.url + path, params=params, timeout=HTTP_TIMEOUT)
        assert response.status_code == 204, response.text


class ProviderProcess:
    """One `node oidc_provider.mjs` child; its stdin is held open so that it ends with the run."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            ["node", str(PROVIDER_SCRIPT), json.dumps(config)],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.started = self._read_start_line()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def _read_start_line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(self.process.stdout.readline()))
        reader.start()
        reader.join(START_TIMEOUT)
        if not lines or not lines[0].strip():
            self.stop()
            raise RuntimeError(f"oidc_provider.mjs did not start: {''.join(self.stderr)}")
        started = json.loads(lines[0])
        requests.get(started["metadata_url"], timeout=HTTP_TIMEOUT).raise_for_status()
        return started

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_provider(
    *,
    name: str = "idp",
    redirect_uris: Sequence[str] | None = None,
    extra_redirect_uris: Sequence[str] = (),
    accounts: Sequence[dict[str, Any]] = DEFAULT_ACCOUNTS,
    client_id: str = "frappyauth-tests",
    client_secret: str | None = None,
    token_endpoint_auth_method: str = "client_secret_basic",
    id_token_tamper: str | None = None,
    issuer: str | None = None,
) -> tuple[OidcProvider, ProviderProcess]:
    """Start a provider whose client may redirect to `redirect_uris` (by default the Flask test
    client's callback for the provider `name`) and to `extra_redirect_uris`."""
    uris = [*(redirect_uris or [callback_uri(name)]), *extra_redirect_uris]
    secret = client_secret or f"{name}-client-secret-for-tests"
    client = {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": uris,
        "token_endpoint_auth_method": token_endpoint_auth_method,
    }
    config: dict[str, Any] = {"clients": [client], "accounts": list(accounts)}
    if id_token_tamper is not None:
        config["id_token_tamper"] = id_token_tamper
    if issuer is not None:
        config["issuer"] = issuer
    process = ProviderProcess(config)
    provider = OidcProvider(
        name=name,
        issuer=process.started["issuer"],
        url=process.started["url"],
        metadata_url=process.started["metadata_url"],
        client_id=client_id,
        client_secret=secret,
        token_endpoint_auth_method=token_endpoint_auth_method,
        redirect_uris=tuple(uris),
        accounts=tuple(accounts),
    )
    return provider, process


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Callable[..., OidcProvider]]:
    """`oidc_provider(**start_provider's keywords) -> OidcProvider`: the same configuration gets
    the same running provider for the whole session; a different `name` gets another one (a
    second issuer: the malicious provider of mix-up tests). `id_token_tamper` is not part of the
    configuration: each call sets the running provider's mode to it (None: honest), so that a
    test asking for a provider gets the behaviour it asked for. All stop at the session's end."""
    reason = node_tooling_missing()
    running: dict[str, tuple[OidcProvider, ProviderProcess]] = {}

    def provider(*, id_token_tamper: str | None = None, **settings: Any) -> OidcProvider:
        if reason:
            pytest.skip(reason)
        bound = inspect.signature(start_provider).bind(**settings)
        bound.apply_defaults()
        key = json.dumps(bound.arguments, sort_keys=True, default=list)
        if key not in running:
            running[key] = start_provider(**settings)
        started = running[key][0]
        started.set_id_token_tamper(id_token_tamper)
        return started

    yield provider
    for _, process in running.values():
        process.stop()


class _Page(HTMLParser):
    """The forms (action, hidden fields) and links of one devInteractions page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: dict[str, str] = {}
        self._link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and values.get("type") == "hidden":
            self.forms[-1]["fields"][values.get("name", "")] = values.get("value", "")
        elif tag == "a":
            self._link = values.get("href")

    def handle_data(self, data: str) -> None:
        if self._link is not None and data.strip():
            self.links[data.strip()] = self._link
            self._link = None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def authorize_in_browserless_session(
    authorization_url: str, login: str, password: str | None = None, consent: bool = True
) -> str:
    """Sign in as `login` (an account's `sub`) on the provider's devInteractions pages, then
    approve (`consent=True`) or cancel (the callback gets `error=access_denied`), and return the
    Location the provider redirects to off its own origin (the app's callback with `code`,
    `state` and `iss`), without fetching it. devInteractions accepts any password."""
    session = requests.Session()
    provider_origin = _origin(authorization_url)
    url, form = authorization_url, None
    logins = 0
    for _ in range(20):
        if form is None:
            response = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
        else:
            response = session.post(url, data=form, allow_redirects=False, timeout=HTTP_TIMEOUT)
        if response.is_redirect:
            url, form = urljoin(url, response.headers["Location"]), None
            if _origin(url) != provider_origin:
                return url
            continue
        page = _Page()
        page.feed(response.text)
        if response.status_code != 200 or not page.forms:
            raise AssertionError(f"the provider answered {response.status_code}: {response.text}")
        prompt = page.forms[0]["fields"].get("prompt")
        url = urljoin(url, page.forms[0]["action"])
        if prompt == "login":
            logins += 1
            if logins > 1:
                raise AssertionError(f"the provider does not know the account {login!r}")
            form = {"prompt": "login", "login": login, "password": password or "any password"}
        elif consent:
            form = {"prompt": "consent"}
        else:
            url, form = urljoin(url, page.links["[ Cancel ]"]), None
    raise AssertionError(f"the provider never redirected off its origin: last at {url}")
