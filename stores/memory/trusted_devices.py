"""The in-process store of trusted devices."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime

from frappyauth.core.device_models import TrustedDevice


class MemoryTrustedDeviceStore:
    """Trusted devices by secret hash behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, TrustedDevice] = {}

    def create(self, device: TrustedDevice) -> None:
        with self._lock:
            taken = any(d.device_id == device.device_id for d in self._devices.values())
            if device.secret_hash in self._devices or taken:
                raise ValueError("A trusted device with that secret hash or id exists.")
            self._devices[device.secret_hash] = device

    def get(self, secret_hash: str, now: datetime) -> TrustedDevice | None:
        device = self._devices.get(secret_hash) if isinstance(secret_hash, str) else None
        return device if device is not None and device.expires_at > now else None

    def list_for_user(self, user_id: str, now: datetime) -> list[TrustedDevice]:
        with self._lock:
            mine = [d for d in self._devices.values() if d.user_id == user_id]
        return sorted(
            (d for d in mine if d.expires_at > now), key=lambda d: d.created_at, reverse=True
        )

    def touch(self, secret_hash: str, last_used_at: datetime) -> bool:
        with self._lock:
            device = self._devices.get(secret_hash) if isinstance(secret_hash, str) else None
            if device is not None:
                self._devices[secret_hash] = dataclasses.replace(device, last_used_at=last_used_at)
            return device is not None

    def delete(self, user_id: str, device_id: str) -> bool:
        with self._lock:
            doomed = [
                h
                for h, d in self._devices.items()
                if d.device_id == device_id and d.user_id == user_id
            ]
            for secret_hash in doomed:
                del self._devices[secret_hash]
            return bool(doomed)

    def delete_for_user(self, user_id: str) -> int:
        with self._lock:
            doomed = [h for h, d in self._devices.items() if d.user_id == user_id]
            for secret_hash in doomed:
                del self._devices[secret_hash]
            return len(doomed)

    def purge_expired(self, now: datetime) -> int:
        with self._lock:
            doomed = [h for h, d in self._devices.items() if d.expires_at <= now]
            for secret_hash in doomed:
                del self._devices[secret_hash]
            return len(doomed)
