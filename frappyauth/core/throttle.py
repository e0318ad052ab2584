"""The password-guessing throttle: counted before the check, per account and address, shared by workers.

Every password check (a login, an own password change's old password) is admitted by `admit` first: one
atomic count per key, and a refusal above its limit before any bcrypt runs, so N parallel requests cannot
get more than the limit checked. Three keys, each with its own limit in one fixed window, counted in this
order, a refusal stopping there:

- address, across usernames: `max_failed_logins_per_address`, against password spraying and floods of
  unknown names (each costs a dummy bcrypt). First, so one address can create only so many other keys.
- (username, address): `max_failed_logins`. An attacker locks only their own address out of an account;
  the owner, elsewhere, is unaffected.
- username, across addresses: `max_failed_logins_per_username` (default ten times the above), against
  guessing from many addresses. Hammering a locked pair never reaches it.

An IPv6 client counts by its /64 network, which one subscriber usually holds whole. A success clears the
pair and takes its count back from the two ceilings: the counters then hold failures (and checks in flight).
"""
from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.errors import TooManyAttemptsError
from frappyauth.core.events import announce
from frappyauth.core.models import Actor
from frappyauth.core.runtime import Runtime

PASSWORDS, CODES = "passwords", "codes"  # the throttle's scopes: what is being guessed
MAX_ADDRESS_LENGTH = 64  # an IPv6 address with a zone is shorter; anything longer is cut, never stored whole


@dataclass(frozen=True)
class Admission:
    """The keys one admitted attempt was counted under."""

    pair: str
    username: str
    address: str
    when: datetime


def client_network(remote_addr: str | None) -> str:
    """What the throttle counts a client by: its IPv4 address, or its IPv6 /64 network."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:  # no address (a unix socket), or something odd: capped, never stored whole
        return (remote_addr or "-")[:MAX_ADDRESS_LENGTH]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address.ipv4_mapped or address) if isinstance(address, ipaddress.IPv6Address) else str(address)


class Throttle:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        options = runtime.options
        self._window = timedelta(seconds=options.lockout_seconds)
        self._username_limit = options.max_failed_logins_per_username or 10 * options.max_failed_logins

    def admit(self, username_key: str, remote_addr: str | None, scope: str = PASSWORDS) -> Admission:
        """Count this attempt; raise `TooManyAttemptsError` (with the wait) if any limit is passed.

        `scope` keeps the account's counters for passwords and for second-factor codes apart, so that a
        right password (which clears its own pair) never resets the count of guessed codes. The address
        counter is one for all scopes.
        """
        address, prefix = client_network(remote_addr), "" if scope == PASSWORDS else f"{scope}:"
        admission = Admission(pair=f"{prefix}pair:{username_key}|{address}",
                              username=f"{prefix}user:{username_key}",
                              address=f"addr:{address}", when=self._runtime.clock())
        options = self._runtime.options
        self._count(admission.address, None, options.max_failed_logins_per_address, admission.when, remote_addr)
        self._count(admission.pair, username_key, options.max_failed_logins, admission.when, remote_addr)
        self._count(admission.username, username_key, self._username_limit, admission.when, remote_addr)
        return admission

    def succeeded(self, admission: Admission) -> None:
        """The password was right: forget the pair's failures, and take this attempt back from the ceilings."""
        users = self._runtime.users
        users.clear_attempts(admission.pair)
        users.uncount_attempt(admission.username, admission.when)
        users.uncount_attempt(admission.address, admission.when)

    def unlock(self, username_key: str) -> None:
        """Forget the account's counters, from every address (an admin's unlock, or account recovery)."""
        self._runtime.users.clear_attempts_of(username_key)

    def _count(self, key: str, subject: str | None, limit: int, now: datetime, remote_addr: str | None) -> None:
        counter = self._runtime.users.count_attempt(key, subject, now, now + self._window)
        if counter.count > limit:
            announce(self._runtime.sender, signals.login_throttled, user_id=None, actor=Actor(None, remote_addr),
                     level=logging.WARNING)
            raise TooManyAttemptsError(retry_after=max(1, math.ceil((counter.expires_at - now).total_seconds())))
