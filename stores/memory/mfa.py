"""The in-process MFA store: `register_endpoints`' default for a user store that brings none."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from datetime import datetime

from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge, TotpEnrolment
from frappyauth.stores.memory.challenges import ChallengeBook

MAX_CHALLENGES = 50_000  # of each kind: login challenges, and passkey challenges


class MemoryMfaStore:
    """TOTP enrolments by user id and challenges by token hash, behind one lock: each
    compare-and-set is one step under it.

    Challenges live minutes. Those expired by the latest `now` the store was given are dropped when
    a new one is stored, from the front of a heap of expiries (no scan of the others); and each
    kind holds at most `max_challenges`, the oldest evicted first (its ceremony then fails as if it
    had expired), so a flood of anonymous passkey options cannot grow the process without end.
    """

    def __init__(self, max_challenges: int = MAX_CHALLENGES) -> None:
        self._lock = threading.Lock()
        self._totp: dict[str, TotpEnrolment] = {}
        self._challenges: ChallengeBook[MfaChallenge] = ChallengeBook(max_challenges)
        self._latest_now: datetime | None = None
        self._passkeys: dict[str, Passkey] = {}
        self._passkey_challenges: ChallengeBook[PasskeyChallenge] = ChallengeBook(max_challenges)

    def challenge_count(self) -> int:
        """How many challenges (of both kinds) are held, expired ones not dropped yet included."""
        with self._lock:
            return len(self._challenges) + len(self._passkey_challenges)

    def start_totp(self, enrolment: TotpEnrolment) -> bool:
        with self._lock:
            current = self._totp.get(enrolment.user_id)
            if current is not None and current.confirmed:
                return False
            self._totp[enrolment.user_id] = dataclasses.replace(enrolment, confirmed=False)
            return True

    def get_totp(self, user_id: str) -> TotpEnrolment | None:
        with self._lock:
            return self._totp.get(user_id) if isinstance(user_id, str) else None

    def confirm_totp(
        self, user_id: str, secret: str, last_step: int, recovery_code_hashes: tuple[str, ...]
    ) -> bool:
        with self._lock:
            current = self._totp.get(user_id)
            if current is None or current.confirmed or current.secret != secret:
                return False
            self._totp[user_id] = dataclasses.replace(
                current,
                confirmed=True,
                last_step=last_step,
                recovery_code_hashes=tuple(recovery_code_hashes),
            )
            return True

    def use_totp_step(self, user_id: str, step: int) -> bool:
        with self._lock:
            current = self._totp.get(user_id)
            if current is None or not current.confirmed or current.last_step >= step:
                return False
            self._totp[user_id] = dataclasses.replace(current, last_step=step)
            return True

    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        with self._lock:
            current = self._totp.get(user_id)
            if (
                current is None
                or not current.confirmed
                or code_hash not in current.recovery_code_hashes
            ):
                return False
            left = tuple(h for h in current.recovery_code_hashes if h != code_hash)
            self._totp[user_id] = dataclasses.replace(current, recovery_code_hashes=left)
            return True

    def set_recovery_codes(self, user_id: str, code_hashes: tuple[str, ...]) -> bool:
        with self._lock:
            current = self._totp.get(user_id)
            if current is None or not current.confirmed:
                return False
            self._totp[user_id] = dataclasses.replace(
                current, recovery_code_hashes=tuple(code_hashes)
            )
            return True

    def delete_totp(self, user_id: str) -> bool:
        with self._lock:
            return self._totp.pop(user_id, None) is not None if isinstance(user_id, str) else False

    def totp_users(self, user_ids: Sequence[str]) -> set[str]:
        with self._lock:
            return {
                user_id
                for user_id in user_ids
                if (enrolment := self._totp.get(user_id)) is not None and enrolment.confirmed
            }

    def create_challenge(self, challenge: MfaChallenge) -> None:
        with self._lock:
            self._challenges.add(challenge.token_hash, challenge, self._latest_now)

    def get_challenge(self, token_hash: str, now: datetime) -> MfaChallenge | None:
        with self._lock:
            self._latest_now = now if self._latest_now is None else max(now, self._latest_now)
            challenge = self._challenges.get(token_hash) if isinstance(token_hash, str) else None
        return challenge if challenge is not None and now < challenge.expires_at else None

    def delete_challenge(self, token_hash: str, now: datetime) -> bool:
        with self._lock:
            challenge = self._challenges.pop(token_hash) if isinstance(token_hash, str) else None
        return challenge is not None and now < challenge.expires_at

    def create_passkey(self, passkey: Passkey) -> None:
        with self._lock:
            if passkey.credential_id in self._passkeys:
                raise ValueError("A passkey with that credential id exists.")
            self._passkeys[passkey.credential_id] = passkey

    def get_passkey(self, credential_id: str) -> Passkey | None:
        with self._lock:
            return self._passkeys.get(credential_id) if isinstance(credential_id, str) else None

    def list_passkeys(self, user_id: str) -> list[Passkey]:
        with self._lock:
            passkeys = [p for p in self._passkeys.values() if p.user_id == user_id]
        return sorted(passkeys, key=lambda p: p.created_at)

    def passkey_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        wanted, counts = set(user_ids), dict[str, int]()
        with self._lock:
            for passkey in self._passkeys.values():
                if passkey.user_id in wanted:
                    counts[passkey.user_id] = counts.get(passkey.user_id, 0) + 1
        return counts

    def rename_passkey(self, user_id: str, credential_id: str, name: str) -> Passkey | None:
        with self._lock:
            passkey = self._passkeys.get(credential_id) if isinstance(credential_id, str) else None
            if passkey is None or passkey.user_id != user_id:
                return None
            self._passkeys[credential_id] = renamed = dataclasses.replace(passkey, name=name)
            return renamed

    def delete_passkey(self, user_id: str, credential_id: str) -> bool:
        with self._lock:
            passkey = self._passkeys.get(credential_id) if isinstance(credential_id, str) else None
            if passkey is None or passkey.user_id != user_id:
                return False
            del self._passkeys[credential_id]
            return True

    def delete_passkeys(self, user_id: str) -> int:
        with self._lock:
            doomed = [key for key, passkey in self._passkeys.items() if passkey.user_id == user_id]
            for key in doomed:
                del self._passkeys[key]
            return len(doomed)

    def use_passkey(
        self, credential_id: str, expected_sign_count: int, sign_count: int, used_at: datetime
    ) -> bool:
        with self._lock:
            passkey = self._passkeys.get(credential_id)
            if passkey is None or passkey.sign_count != expected_sign_count:
                return False
            self._passkeys[credential_id] = dataclasses.replace(
                passkey, sign_count=sign_count, last_used_at=used_at
            )
            return True

    def create_passkey_challenge(self, challenge: PasskeyChallenge) -> None:
        with self._lock:
            self._passkey_challenges.add(challenge.challenge_hash, challenge, self._latest_now)

    def take_passkey_challenge(self, challenge_hash: str, now: datetime) -> PasskeyChallenge | None:
        with self._lock:
            self._latest_now = now if self._latest_now is None else max(now, self._latest_now)
            challenge = (
                self._passkey_challenges.pop(challenge_hash)
                if isinstance(challenge_hash, str)
                else None
            )
        return challenge if challenge is not None and now < challenge.expires_at else None
