"""Trusted devices (option `trusted_devices`): a browser that gave a second factor may skip it for a
while.

After a second factor, a sign-in that asked for it (`trustDevice: true`) gets a random device
secret, kept by the browser in an HttpOnly cookie; only its SHA-256 is stored. For
`trusted_device_lifetime` a sign-in of the same user presenting it skips the second factor, unless
the user holds a `require_mfa_for` permission (and `trusted_devices_skip_required` is off). A device
is bound to its user: another user's secret skips nothing. Any password reset, an administrator's
reset of the second factors and "log out everywhere" forget every device of the user.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.authorization import with_roles
from frappyauth.core.context import ServiceContext
from frappyauth.core.device_models import TrustedDevice
from frappyauth.core.errors import DeviceNotFoundError
from frappyauth.core.minting import hash_secret, new_secret
from frappyauth.core.models import Actor, User
from frappyauth.core.protocols import TrustedDeviceStore
from frappyauth.core.sessions import MAX_USER_AGENT_LENGTH, PURGE_INTERVAL

MAX_DEVICE_SECRET_LENGTH = 128  # ours are 43 characters; nothing longer is hashed


class TrustedDevices:
    """Trusted devices for one app: every decision here, persistence in the trusted-device store."""

    def __init__(self, context: ServiceContext) -> None:
        if context.stores.trusted_devices is None:
            raise ValueError("Trusted devices need a trusted-device store.")
        self._context, self._store = context, context.stores.trusted_devices
        options = context.options
        self._lifetime = timedelta(seconds=options.trusted_device_lifetime)
        # Holders of these permissions always give their second factor, unless the option says not.
        self._never_skip = (
            frozenset()
            if options.trusted_devices_skip_required
            else frozenset(options.require_mfa_for)
        )
        self._next_purge = context.clock() + PURGE_INTERVAL

    @property
    def store(self) -> TrustedDeviceStore:
        return self._store

    def trust(
        self, user: User, user_agent: str | None, actor: Actor, replacing: str | None = None
    ) -> str:
        """Trust the browser of a sign-in that has just given its second factor; return its secret
        (for the cookie only). The device that `replacing` (the browser's old cookie) names, if it
        is the user's, is forgotten: the new cookie takes its place."""
        replaced = self.current_id(user.id, replacing)
        if replaced is not None:
            self._store.delete(user.id, replaced)
        now, secret = self._context.clock(), new_secret()
        self._store.create(
            TrustedDevice(
                device_id=uuid.uuid4().hex,
                secret_hash=hash_secret(secret),
                user_id=user.id,
                user_agent=user_agent[:MAX_USER_AGENT_LENGTH] if user_agent else None,
                created_at=now,
                last_used_at=now,
                expires_at=now + self._lifetime,
            )
        )
        self._purge_now_and_then(now)
        self._context.events.announce(signals.device_trusted, user_id=user.id, actor=actor)
        return secret

    def recognises(self, user: User, secret: str | None) -> bool:
        """Whether `secret` names an unexpired device of `user` that may skip the second factor
        (and if so, mark it used)."""
        if not secret or len(secret) > MAX_DEVICE_SECRET_LENGTH:
            return False
        context = self._context
        held = with_roles(user, context.stores, context.options).effective_permissions
        if self._never_skip.intersection(held):  # held directly or through a role
            return False
        now = self._context.clock()
        device = self._store.get(hash_secret(secret), now)
        if device is None or device.user_id != user.id:
            return False
        self._store.touch(device.secret_hash, now)
        return True

    def of_user(self, user_id: str) -> list[TrustedDevice]:
        return self._store.list_for_user(user_id, self._context.clock())

    def current_id(self, user_id: str, secret: str | None) -> str | None:
        """The id of the user's device that `secret` (this browser's cookie) names, if any."""
        if not secret or len(secret) > MAX_DEVICE_SECRET_LENGTH:
            return None
        device = self._store.get(hash_secret(secret), self._context.clock())
        return device.device_id if device is not None and device.user_id == user_id else None

    def forget(self, user_id: str, device_id: str, actor: Actor) -> None:
        """Forget one of the user's devices; `DeviceNotFoundError` if the user has no such one."""
        if not self._store.delete(user_id, device_id):
            raise DeviceNotFoundError()
        self._context.events.announce(
            signals.devices_forgotten, user_id=user_id, actor=actor, count=1
        )

    def forget_all(self, user_id: str, actor: Actor) -> int:
        """Forget every device of the user; return how many there were."""
        count = self._store.delete_for_user(user_id)
        self._context.events.announce(
            signals.devices_forgotten, user_id=user_id, actor=actor, count=count
        )
        return count

    def _purge_now_and_then(self, now: datetime) -> None:
        """Remove expired devices once per interval (garbage collection, as for sessions)."""
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL
            self._store.purge_expired(now)
