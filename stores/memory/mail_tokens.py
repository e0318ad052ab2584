"""The in-process store of mailed tokens: `register_endpoints`' default when no mail token store
is given."""

from __future__ import annotations

import threading
from datetime import datetime

from frappyauth.core.models import MailToken


class MemoryMailTokenStore:
    """Mailed tokens by token hash behind one lock, so a take is atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, MailToken] = {}

    def create(self, token: MailToken) -> None:
        with self._lock:
            if token.token_hash in self._tokens:
                raise ValueError("A mail token with that hash exists.")
            self._tokens[token.token_hash] = token

    def take(self, token_hash: str, purpose: str, now: datetime) -> MailToken | None:
        with self._lock:
            token = self._tokens.get(token_hash) if isinstance(token_hash, str) else None
            if token is None or token.purpose != purpose or token.expires_at <= now:
                return None
            return self._tokens.pop(token_hash)

    def delete_for_user(self, user_id: str, purpose: str | None = None) -> int:
        with self._lock:
            doomed = [
                h
                for h, t in self._tokens.items()
                if t.user_id == user_id and (purpose is None or t.purpose == purpose)
            ]
            for token_hash in doomed:
                del self._tokens[token_hash]
            return len(doomed)

    def purge_expired(self, now: datetime) -> int:
        with self._lock:
            expired = [h for h, t in self._tokens.items() if t.expires_at <= now]
            for token_hash in expired:
                del self._tokens[token_hash]
            return len(expired)
