"""New-device sign-in alerts (option `new_device_alerts`): a mail when a user signs in from a
browser and network not seen for them in `new_device_window_days`, with a single-use "this wasn't
me" link.

A device is its browser family (Firefox, Chrome, ...) and approximate network (an IPv4 /24, an IPv6
/64): a new browser version or a new address from the same provider's block is the same device.
Only a SHA-256 of (user id, family, network) is stored, with when it was last seen: one upsert per
sign-in, the only write the feature adds to a sign-in from a known device. An account's very first
device is learnt without a mail (nothing to compare with: turning the option on must not mail every
user). Alerts are capped per account and hour, so whoever knows a password cannot flood the owner's
mailbox by signing in from many networks.

Following the link is the owner's way out, and so it is not bound to the password (whoever signed
in may have changed it since): it sets an unknown password, which ends every session and API key of
the account (`Accounts.reset_password`), forgets its trusted devices, and mails a password-reset
link to the address the alert went to.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.accounts import Accounts
from frappyauth.core.erasure import take_back_every_way_in
from frappyauth.core.errors import InvalidTokenError
from frappyauth.core.mail_tokens import NEW_DEVICE, PASSWORD_RESET, MailTokens
from frappyauth.core.minting import hash_secret, new_secret
from frappyauth.core.models import Actor, User
from frappyauth.core.protocols import DeviceStore

log = logging.getLogger("frappyauth")

MAX_ALERTS_PER_HOUR = 3
ALERT_WINDOW = timedelta(hours=1)
# Browser families by a token of their user agent, most specific first (Edge and Opera say
# "Chrome", Chrome says "Safari").
FAMILIES = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
PRODUCT = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,39}")  # a client's own first token: curl, okhttp


def browser_family(user_agent: str | None) -> str:
    """The browser family of a user agent (`Firefox`), a non-browser's product name (`curl`), or
    `unknown`."""
    text = user_agent or ""
    for family, token in FAMILIES:
        if token.search(text):
            return family
    product = PRODUCT.match(text)
    return product.group(0) if product is not None and product.group(0) != "Mozilla" else "unknown"


def approximate_network(remote_addr: str | None) -> str:
    """The client's network: its IPv4 /24 (`203.0.113.0/24`) or IPv6 /64; `unknown` without an
    address."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if isinstance(address, ipaddress.IPv4Address) else 64
    return str(ipaddress.ip_network((address, prefix), strict=False))


class NewDeviceAlerts:
    """The new-device alerts of one app: every decision here, the devices in the device store."""

    def __init__(self, tokens: MailTokens, accounts: Accounts) -> None:
        context = tokens.context
        if context.stores.devices is None:
            raise ValueError("New-device alerts need a device store.")
        self._context, self._tokens, self._accounts = context, tokens, accounts
        self._store: DeviceStore = context.stores.devices
        self._window = timedelta(days=context.options.new_device_window_days)

    def signed_in(self, user: User, user_agent: str | None, remote_addr: str | None) -> None:
        """Note the device of a finished sign-in; mail an alert if it is new to the user."""
        now = self._context.clock()
        browser, network = browser_family(user_agent), approximate_network(remote_addr)
        if not self._is_new(user.id, hash_secret(f"{user.id}\x00{browser}\x00{network}"), now):
            return
        if user.email is None or user.email_key is None:
            return  # no address to alert
        if not self._tokens.limiter.within_limit(
            f"new_device_alert:account:{user.id}", MAX_ALERTS_PER_HOUR, ALERT_WINDOW
        ):
            log.warning("new-device alert of user %s not sent: too many this hour", user.id)
            return
        self._tokens.send_link(
            "new_device_sign_in",
            user,
            NEW_DEVICE,
            user.email,
            signed_in_at=now.strftime("%Y-%m-%d %H:%M UTC"),
            browser=browser,
            network=network,
        )
        self._context.events.announce(
            signals.new_device_signed_in,
            user_id=user.id,
            actor=Actor(user.id, remote_addr),
            recorded={"browser": browser, "network": network},
        )

    def _is_new(self, user_id: str, fingerprint: str, now: datetime) -> bool:
        """Record the sighting (the one write); whether the device is new to the user: not seen
        within the window, and not the account's first device (nothing to compare it with)."""
        seen_before = self._store.see(user_id, fingerprint, now)
        if seen_before is not None:
            return now - seen_before >= self._window
        return len(self._store.list_for_user(user_id)) > 1

    def report(self, token: str, actor: Actor) -> User:
        """Follow an alert's "this wasn't me" link: end every session and API key of the account,
        take back every other way in (see `erasure.take_back_every_way_in`), set an unknown
        password and mail a reset link; `InvalidTokenError` for a token that is unknown, used,
        expired or of a deleted user."""
        self._tokens.throttle("new_device_report", actor.remote_addr)
        taken = self._tokens.store.take(hash_secret(token), NEW_DEVICE, self._context.clock())
        user = None if taken is None else self._context.stores.users.get(taken.user_id)
        if taken is None or user is None:
            raise InvalidTokenError()
        # Not bound (see the module): whoever signed in may have changed the password since.
        updated = self._accounts.reset_password(user.id, new_secret(), actor)
        take_back_every_way_in(self._context.stores, user.id)
        self._tokens.store.delete_for_user(user.id, NEW_DEVICE)  # the other alerts' links: done
        self._tokens.send_link("password_reset", updated, PASSWORD_RESET, taken.email)
        self._context.events.announce(signals.sign_in_reported, user_id=user.id, actor=actor)
        return updated
