"""The optional online check of a new password against Have I Been Pwned's Pwned Passwords range
API (option `breached_password_check`).

k-anonymity: only the first five hex characters of the password's SHA-1 leave the process; the
service answers every suffix it knows under that prefix, and the match is made here. With
`Add-Padding: true` the answer is padded with fake suffixes (count 0) so that its size does not tell
the prefix either. A check that fails for any reason (timeout, refusal, a malformed answer) lets the
password through with a warning in the log: an outage of a third party must not stop people from
setting passwords.
"""

from __future__ import annotations

import hashlib
import logging
import time
import urllib.request
from collections.abc import Callable

from frappyauth.core.passwords import normalise

log = logging.getLogger("frappyauth")

PREFIX_LENGTH = 5
USER_AGENT = "frappyauth-breached-password-check"

# Fetches a range: (URL, timeout in seconds) -> the answer's text. Injected so that tests need no
# network; the default uses urllib.
RangeFetcher = Callable[[str, float], str]


MAX_ANSWER_BYTES = 4 * 1024 * 1024
CHUNK_BYTES = 16 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A range answer is never a redirect: following one could lead the check anywhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def fetch_range(url: str, timeout: float) -> str:
    """The answer's text, within about `timeout` seconds in all (at most twice it): urllib's timeout
    bounds each read, so a server sending a byte at a time could hold the request for ever; the
    body is read as it arrives and the deadline checked between reads."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Add-Padding": "true", "User-Agent": USER_AGENT})
    body = bytearray()
    with _opener.open(request, timeout=timeout) as answer:  # noqa: S310 (http(s) only)
        while len(body) <= MAX_ANSWER_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the range answer took longer than the timeout")
            chunk = answer.read1(CHUNK_BYTES)
            if not chunk:
                return bytes(body).decode("ascii")
            body += chunk
    raise ValueError("the range answer is too long")


def sha1_hex(password: str) -> str:
    """The upper-case SHA-1 hex of the password's UTF-8 NFKC form, as the range API indexes it."""
    return hashlib.sha1(normalise(password).encode("utf-8")).hexdigest().upper()  # noqa: S324


class BreachedPasswords:
    """Asks the range API at `base_url` (`.../range/`) whether a password appeared in a breach."""

    def __init__(self, base_url: str, timeout: float, fetch: RangeFetcher = fetch_range) -> None:
        self._base_url = base_url.rstrip("/") + "/"
        self._timeout, self._fetch = timeout, fetch

    def is_breached(self, password: str) -> bool:
        """True when the service lists the password with a count above 0; False when it does not,
        and when the check could not be made (logged as a warning)."""
        digest = sha1_hex(password)
        prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
        try:
            answer = self._fetch(self._base_url + prefix, self._timeout)
            return _listed(answer, suffix)
        except Exception as failure:  # noqa: BLE001 (any failure lets the password through)
            log.warning(
                "frappyauth: the breached-password check failed (%s); the password was accepted "
                "without it.",
                type(failure).__name__,
            )
            return False


def _listed(answer: str, suffix: str) -> bool:
    """Whether `suffix` is in a range answer (`SUFFIX:COUNT` lines); padding lines count 0."""
    for line in answer.splitlines():
        listed, separator, count = line.strip().partition(":")
        if not separator or not count.strip().isdigit():
            raise ValueError("a malformed line in the range answer")
        if listed.upper() == suffix and int(count) > 0:
            return True
    return False
