"""The records of devices: a device a user signed in from (the new-device alerts, option
`new_device_alerts`), and a trusted device, a browser whose sign-ins skip the second factor for a
while (option `trusted_devices`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SeenDevice:
    """A browser and network a user signed in from, named by a fingerprint's SHA-256 (of the user's
    id, the browser family and the network: no browser or address is stored in clear), and when the
    user last signed in from it."""

    user_id: str
    fingerprint_hash: str
    last_seen_at: datetime


@dataclass(frozen=True)
class TrustedDevice:
    """A browser a user trusted after a second factor: only the SHA-256 of its secret is stored.

    `device_id` names it in the list of the user's devices (never the secret); `user_agent` is a
    short summary of the browser that was trusted; `last_used_at` moves when a sign-in skips the
    second factor with it.
    """

    device_id: str
    secret_hash: str
    user_id: str
    user_agent: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
