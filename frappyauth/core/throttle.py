"""The throttle: password and code guessing, and request floods; counted before acting, shared by
workers.

Every password check (a login, an own password change's old password) is admitted by `admit` first:
one atomic count per key, and a refusal above its limit before any bcrypt runs, so N parallel
requests cannot get more than the limit checked. Three keys, each with its own limit in one fixed
window, counted in this order, a refusal stopping there:

- address, across usernames: `max_failed_logins_per_address`, against password spraying and floods
  of unknown names (each costs a dummy bcrypt). First, so one address can create only so many other
  keys.
- (username, address): `max_failed_logins`. An attacker locks only their own address out of an
  account; the owner, elsewhere, is unaffected.
- username, across addresses: `max_failed_logins_per_username` (default ten times the above),
  against guessing from many addresses. Hammering a locked pair never reaches it.

An IPv6 client counts by its /64 network, which one subscriber usually holds whole. A success clears
the pair and takes its count back from the two ceilings: the counters then hold failures (and checks
in flight).

`limit_requests` is the same gate for endpoints that send mail or store something for anyone who
asks: a count per client network and per account, over a limit in the window a 429.
`limit_anonymous` is the floor under every endpoint anyone may call that writes (the web layer
calls it for each, from their declarations): a count per endpoint and client network, over
`anonymous_rate_limit` a 429 before the endpoint does anything, whatever the store.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import TooManyAttemptsError, TooManyRequestsError
from frappyauth.core.models import Actor

PASSWORDS, CODES = "passwords", "codes"  # the throttle's scopes: what is being guessed
# Request counters share the attempt store; this prefix keeps them apart from the `pair:`, `user:`
# and `addr:` keys of guesses.
REQUESTS_PREFIX = "mail:"
ANONYMOUS_PREFIX = "anon:"  # the counters of `limit_anonymous`, apart from those of the mail flows
MAX_ADDRESS_LENGTH = (
    64  # an IPv6 address with a zone is shorter; anything longer is cut, never stored whole
)


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
    return (
        str(address.ipv4_mapped or address)
        if isinstance(address, ipaddress.IPv6Address)
        else str(address)
    )


class Throttle:
    """One app's throttle; every counter in its attempt store."""

    def __init__(self, context: ServiceContext) -> None:
        self._context, self._attempts = context, context.stores.attempts
        options = context.options
        self._window = timedelta(seconds=options.lockout_seconds)
        self._username_limit = (
            options.max_failed_logins_per_username or 10 * options.max_failed_logins
        )

    def admit(
        self, username_key: str, remote_addr: str | None, scope: str = PASSWORDS
    ) -> Admission:
        """Count this attempt; raise `TooManyAttemptsError` (with the wait) if any limit is passed.

        `scope` keeps the account's counters for passwords and for second-factor codes apart, so
        that a right password (which clears its own pair) never resets the count of guessed codes.
        The address counter is one for all scopes.
        """
        address, prefix = client_network(remote_addr), "" if scope == PASSWORDS else f"{scope}:"
        admission = Admission(
            pair=f"{prefix}pair:{username_key}|{address}",
            username=f"{prefix}user:{username_key}",
            address=f"addr:{address}",
            when=self._context.clock(),
        )
        options = self._context.options
        self._count(
            admission.address,
            None,
            options.max_failed_logins_per_address,
            admission.when,
            remote_addr,
        )
        self._count(
            admission.pair, username_key, options.max_failed_logins, admission.when, remote_addr
        )
        self._count(
            admission.username, username_key, self._username_limit, admission.when, remote_addr
        )
        return admission

    def succeeded(self, admission: Admission) -> None:
        """The password was right: forget the pair's failures, and take this attempt back from
        the ceilings."""
        self._attempts.delete(admission.pair)
        self._attempts.decrement(admission.username, admission.when)
        self._attempts.decrement(admission.address, admission.when)

    def unlock(self, username_key: str) -> None:
        """Forget the account's counters, from every address (an admin's unlock, or account
        recovery)."""
        self._attempts.delete_for_subject(username_key)

    def limit_requests(self, endpoint: str, remote_addr: str | None, *accounts: str) -> None:
        """Count one request to `endpoint` against the client (its IPv4 address or IPv6 /64) and
        against each of `accounts` (`"account:..."`); over `mail_rate_limit` in a `lockout_seconds`
        window, raise `TooManyRequestsError`. Each endpoint counts apart, so one sign-up, a resend
        and a verification do
        not add up against a user."""
        limit = self._context.options.mail_rate_limit
        for key in (f"addr:{client_network(remote_addr)}", *accounts):
            self._count_request(f"{REQUESTS_PREFIX}{endpoint}:{key}", limit)

    def limit_anonymous(self, endpoint: str, remote_addr: str | None) -> None:
        """Count one request to `endpoint`, which anyone may call and which writes, against the
        client's network; over `anonymous_rate_limit` in the window, raise `TooManyRequestsError`.

        Counted before anything is parsed or stored, so a flood costs one counter per network.
        """
        self._count_request(
            f"{ANONYMOUS_PREFIX}{endpoint}:addr:{client_network(remote_addr)}",
            self._context.options.anonymous_rate_limit,
        )

    def within_limit(self, key: str, limit: int, window: timedelta) -> bool:
        """Count one event under `key`, in a fixed `window` of its own; return whether the count is
        still within `limit`. For what must not flood a mailbox without refusing the request that
        causes it (the new-device alerts): counted before acting, like every gate here."""
        now = self._context.clock()
        counter = self._attempts.increment(f"{REQUESTS_PREFIX}{key}", None, now, now + window)
        return counter.count <= limit

    def _count_request(self, key: str, limit: int) -> None:
        now = self._context.clock()
        counter = self._attempts.increment(key, None, now, now + self._window)
        if counter.count > limit:
            raise TooManyRequestsError(retry_after=_seconds_until(counter.expires_at, now))

    def _count(
        self, key: str, subject: str | None, limit: int, now: datetime, remote_addr: str | None
    ) -> None:
        counter = self._attempts.increment(key, subject, now, now + self._window)
        if counter.count > limit:
            self._context.events.announce(
                signals.login_throttled,
                user_id=None,
                actor=Actor(None, remote_addr),
                level=logging.WARNING,
            )
            raise TooManyAttemptsError(retry_after=_seconds_until(counter.expires_at, now))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))
