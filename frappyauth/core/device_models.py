"""The record of a trusted device: a browser whose sign-ins skip the second factor for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
