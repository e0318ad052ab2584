"""The record of a device a user signed in from, for the new-device alerts (option
`new_device_alerts`)."""

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
