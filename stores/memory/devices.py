"""The in-process store of the devices users signed in from (option `new_device_alerts`)."""

from __future__ import annotations

import threading
from datetime import datetime

from frappyauth.core.device_models import SeenDevice


class MemoryDeviceStore:
    """Devices by (user id, fingerprint hash) behind one lock, so that recording one is atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[tuple[str, str], datetime] = {}

    def see(self, user_id: str, fingerprint_hash: str, now: datetime) -> datetime | None:
        key = (user_id, fingerprint_hash)
        with self._lock:
            before = self._devices.get(key)
            self._devices[key] = now if before is None else max(before, now)
            return before

    def list_for_user(self, user_id: str) -> list[SeenDevice]:
        with self._lock:
            devices = [
                SeenDevice(owner, fingerprint, seen)
                for (owner, fingerprint), seen in self._devices.items()
                if owner == user_id
            ]
        devices.sort(key=lambda device: device.fingerprint_hash)
        devices.sort(key=lambda device: device.last_seen_at, reverse=True)
        return devices

    def delete_for_user(self, user_id: str) -> int:
        with self._lock:
            doomed = [key for key in self._devices if key[0] == user_id]
            for key in doomed:
                del self._devices[key]
            return len(doomed)
