"""Erasing what is stored about a user: the one effect of every account deletion, by its owner
(`DELETE /me`) or by an administrator (`DELETE /users/<id>`), see docs/privacy.md.

What stays is the audit trail: its entries keep the user's id, an opaque random id that names
nobody once the user record is gone, and never hold a name or an address (their details are ids,
counts, methods and reasons; `tests/test_self_delete.py` scans them after an account's whole life).
"""

from __future__ import annotations

from datetime import datetime

from frappyauth.core.models import User
from frappyauth.core.protocols import Stores


def erase_user_data(stores: Stores, user: User, now: datetime) -> None:
    """Delete everything stored about `user` but the user record itself (deleted first, by the
    caller) and the audit trail: sessions, API keys, second factors, mailed tokens, seen devices,
    linked identities, trusted devices and the throttle's counters of the name."""
    stores.sessions.delete_for_user(user.id)
    stores.api_keys.delete_for_user(user.id, now)
    if stores.mfa is not None:
        stores.mfa.delete_totp(user.id)
        stores.mfa.delete_passkeys(user.id)
    if stores.mail_tokens is not None:
        stores.mail_tokens.delete_for_user(user.id)
    if stores.devices is not None:
        stores.devices.delete_for_user(user.id)
    if stores.identities is not None:
        stores.identities.delete_for_user(user.id)
    end_trusted_devices(stores, user.id)
    stores.attempts.delete_for_subject(user.username_key)  # their keys hold the name


def end_trusted_devices(stores: Stores, user_id: str) -> None:
    """Forget the devices on which the user skips the second factor: an erased account's, or one
    whose owner reported a sign-in that was not theirs."""
    if stores.trusted_devices is not None:
        stores.trusted_devices.delete_for_user(user_id)


def take_back_every_way_in(stores: Stores, user_id: str) -> None:
    """After "this wasn't me": whoever signed in may have added a way in of their own (a TOTP
    enrolment, a passkey, a linked identity, a trusted browser). All go; the owner, back in
    through the mailed reset, enrols again: the intruder's second factor would lock them out."""
    if stores.mfa is not None:
        stores.mfa.delete_totp(user_id)
        stores.mfa.delete_passkeys(user_id)
    if stores.identities is not None:
        stores.identities.delete_for_user(user_id)
    end_trusted_devices(stores, user_id)
