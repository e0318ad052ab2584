"""The store protocols: what the core needs from each of its stores, and `Stores`, the set of
them.

Stores only persist and look up; every decision (hashing, expiry, throttling, permissions) is the
core's. Each method's docstring is its contract, and `tests/test_*_store_contract.py` tests every
sentence of it against every store. Common to all methods:

- Stores never see a plaintext password, token or key, only hashes.
- Stores never read the clock: the core passes `now`, from one clock that does not run backwards. A
  store may forget what expired before the latest `now` it was given (garbage collection, like a TTL
  index).
- An unknown or malformed id is "not found" (`None`, `False` or `0`), never an exception.
- A returned record cannot change what is stored: records are frozen and a user's `profile` is
  read-only (changing it raises `TypeError`); changing a dict the caller passed in, after the call,
  changes nothing stored either.
- A store that cannot reach its database raises `StoreUnavailableError` and has written nothing; one
  whose database times out or fails transiently raises it too (a write may then have happened, as
  with any timeout). Any other failure of its database raises `StoreFailedError`. No backend
  exception crosses the contract.
- Every method is safe to call from several threads at once.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from dataclasses import dataclass
from typing import Any, Protocol

from frappyauth.core.device_models import SeenDevice, TrustedDevice
from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge, TotpEnrolment
from frappyauth.core.models import (
    ApiKey,
    AttemptCounter,
    AuditEntry,
    LinkedIdentity,
    MailToken,
    Role,
    Session,
    User,
    granted_by,
)


class UserStore(Protocol):
    """Persists user accounts."""

    def get(self, user_id: str) -> User | None:
        """Return the user with this id, or `None` if there is none or the id is malformed."""

    def get_by_username(self, username_key: str) -> User | None:
        """Return the user whose `username_key` equals this key (see `models.username_key`), or
        `None`."""

    def get_by_api_key_hash(self, api_key_hash: str) -> User | None:
        """Return the user whose `api_key_hash` equals this hash, or `None`."""

    def get_by_email(self, email_key: str) -> User | None:
        """Return the user whose `email_key` equals this key (see `addresses.email_key`), or
        `None`."""

    def create(self, user: User) -> User:
        """Store a new user and return it with the id the store assigned (`user.id` is ignored).

        Raises `DuplicateUsernameError` if a user with the same `username_key` exists, or one with
        the same first or the same second of its `lookalike_keys(username)` (see `lookalikes`), else
        `DuplicateEmailError` if `user.email_key` is not `None` and another user holds it; of
        concurrent creates with one key exactly one succeeds. The store keeps all three keys from
        the username alone, frees them when the user is deleted, and enforces them race-free (unique
        indexes, or checks under one lock). Users stored before lookalike keys existed keep their
        names; each gets the keys no earlier user holds.
        """

    def list_page(self, offset: int, limit: int) -> tuple[list[User], int]:
        """Return up to `limit` users starting at `offset`, and the total number of users.

        The order is stable: creation order, unaffected by updates; deleting a user shifts later
        users forward by one. An offset past the end gives an empty list.
        """

    def list_by_username_prefix(
        self, prefix_key: str, offset: int, limit: int
    ) -> tuple[list[User], int]:
        """Return up to `limit` of the users whose `username_key` starts with `prefix_key`, from
        `offset`, and how many users match in all.

        The order is by `username_key` in code-point order (an index on the key serves it: no scan
        of other users). `prefix_key` is compared as given (the core normalises it); an empty one
        matches every user. An offset past the end gives an empty list.
        """

    def count(self, permission: str | None = None) -> int:
        """Return the number of users, or of users holding `permission` when it is given."""

    def set_permissions(self, user_id: str, permissions: tuple[str, ...]) -> User | None:
        """Replace the user's permissions; return the updated user, or `None` if there is no such
        user."""

    def set_profile(self, user_id: str, profile: dict[str, Any]) -> User | None:
        """Replace the user's profile; return the updated user, or `None` if there is no such
        user."""

    def set_password_hash(
        self,
        user_id: str,
        password_hash: str,
        credential_version: str,
        expected_hash: str | None = None,
        changed_at: datetime | None = None,
    ) -> User | None:
        """Replace the user's password hash and credential version in one atomic write; return the
        updated user, or `None` if there is no such user. No reader ever sees the new hash with the
        old version. With `changed_at`, the same write sets `password_changed_at` to it.

        With `expected_hash`, write only if the stored hash is still that one (compare-and-set: a
        change made by someone who verified the old password loses to any change that wrote since);
        `None` if not.
        """

    def upgrade_password_hash(self, user_id: str, expected_hash: str, password_hash: str) -> bool:
        """Replace the hash only if the stored one is still `expected_hash` (compare-and-set, one
        atomic write); the credential version is left alone. Return whether it was replaced,
        `False` for no user."""

    def set_api_key_hash(self, user_id: str, api_key_hash: str | None) -> User | None:
        """Replace (or with `None`, remove) the user's API-key hash; return the updated user, or
        `None`.

        Afterwards `get_by_api_key_hash` finds the user by the new hash only. Raises `ValueError` if
        another user holds the hash (the core's keys are random 256-bit values: that means a broken
        caller).
        """

    def set_email(
        self, user_id: str, email: str | None, email_key: str | None, verified: bool
    ) -> User | None:
        """Replace the user's address, its key and whether it is verified; return the updated user,
        or `None`.

        Raises `DuplicateEmailError` (and changes nothing) if `email_key` is not `None` and another
        user holds it; of concurrent calls for one key exactly one succeeds. Afterwards
        `get_by_email` finds the user by the new key only.
        """

    def rename(
        self, user_id: str, username: str, reserve_until: datetime, now: datetime
    ) -> User | None:
        """Give the user `username` (its `username_key` and lookalike keys follow) and keep the old
        name's keys (`usernames.name_keys`) reserved for this user until `reserve_until`; return the
        updated user, or `None` if there is no such user. Reservations that expired by `now` are
        dropped.

        Raises `DuplicateUsernameError`, changing nothing, when another user holds one of the keys
        of `username` (as `create` refuses), or a reservation of one of them that has not expired
        by `now`; of concurrent renames to one name exactly one succeeds (unique indexes, or one
        lock). The user's id, sessions and keys stay as they are.
        """

    def get_by_reserved_name(self, keys: Sequence[str], now: datetime) -> User | None:
        """Return a user holding a reservation (see `rename`) of one of `keys` that has not expired
        by `now`, or `None`. A user's reservations end with the user."""

    def delete(self, user_id: str) -> bool:
        """Delete the user; return whether a user was deleted. Lookups by any key then return
        `None`."""

    def set_roles(self, user_id: str, roles: tuple[str, ...]) -> User | None:
        """Replace the names of the roles the user holds; return the updated user, or `None` if
        there is no such user."""

    def remove_role(self, role: str) -> int:
        """Take the role named `role` from every user holding it, atomically per user; return how
        many users held it."""

    def count_holders(self, permission: str | None, roles: Sequence[str], active_only: bool) -> int:
        """Return the number of users that hold `permission` directly (when it is not `None`) or
        any of `roles`, each user counted once; with `active_only`, only users not suspended.

        An index on the permissions and one on the roles serve it.
        """

    def set_suspended(self, user_id: str, suspended_at: datetime | None) -> User | None:
        """Set when the user was suspended (`None`: not suspended); return the updated user, or
        `None` if there is no such user."""

    def record_login(self, user_id: str, at: datetime, address: str | None) -> bool:
        """Set the user's `last_login_at` and `last_login_address` and add one to `login_count`,
        in one atomic write (concurrent logins lose no count); return whether there was such a
        user."""


class RoleStore(Protocol):
    """Persists roles: named sets of permissions, keyed by their name (case-sensitive)."""

    def get(self, name: str) -> Role | None:
        """Return the role with this name, or `None`."""

    def list(self) -> builtins.list[Role]:
        """Return every role, ordered by name (code-point order)."""

    def get_many(self, names: Sequence[str]) -> builtins.list[Role]:
        """Return the roles of `names` that exist, ordered by name; unknown names are left out."""

    def put(self, role: Role) -> Role | None:
        """Store `role`, replacing the permissions of a role of the same name in one atomic write;
        return the role it replaced, or `None` if it is new. Of concurrent puts of one name, the
        stored role is one of them whole, never a mix."""

    def delete(self, name: str) -> Role | None:
        """Delete the role with this name and return it, or `None` if there was none. Of concurrent
        deletes of one name exactly one gets it."""


def resolve_roles(user: User | None, roles: RoleStore | None) -> User | None:
    """`user` with the permissions its roles in `roles` grant: what a store that cannot join the
    roles into its read does after it (`None` stays `None`; without `roles` the user is as read)."""
    if user is None or roles is None or not user.roles:
        return user
    return user.with_role_permissions(granted_by(roles.get_many(user.roles)))


class AttemptStore(Protocol):
    """Persists the throttle's attempt counters, so that every worker sees them."""

    def increment(
        self, key: str, subject: str | None, now: datetime, expires_at: datetime
    ) -> AttemptCounter:
        """Count one attempt under `key`, atomically, and return the counter after it.

        A new window starts at count 1 when there is no counter or it expired (`expires_at <= now`):
        it takes the given `expires_at` and `subject`; later counts in the window keep both.
        Concurrent calls never lose a count, so of N concurrent calls on a fresh key the results are
        exactly 1..N. `subject` (a username key, or `None`) groups counters for
        `delete_for_subject`.
        """

    def decrement(self, key: str, now: datetime) -> None:
        """Take back one count under `key`, atomically, if it has a live counter above 0; else do
        nothing."""

    def get(self, key: str, now: datetime) -> AttemptCounter | None:
        """Return the counter under `key`, or `None` if there is none or it expired by `now`."""

    def delete(self, key: str) -> None:
        """Forget the counter under `key`."""

    def delete_for_subject(self, subject: str) -> None:
        """Forget every counter counted with this `subject`."""


class SessionStore(Protocol):
    """Persists login sessions, keyed by the SHA-256 of their token."""

    def create(self, session: Session) -> None:
        """Store a new session, every field of it (its `second_factor` mark and `impersonator_id`
        too) kept as given for every method that returns it. Raises `ValueError` if a session with
        its token hash or session id exists."""

    def get(self, token_hash: str, now: datetime) -> Session | None:
        """Return the session with this token hash, or `None` if there is none or it expired by
        `now`.

        A session expires when `expires_at <= now`; an expired session is never returned, even if it
        has not been purged yet.
        """

    def get_with_user(
        self, token_hash: str, now: datetime, users: UserStore, roles: RoleStore | None = None
    ) -> tuple[Session, User | None] | None:
        """Return the session `get` returns, with its user as `users.get(session.user_id)` returns
        it then (`None` if there is no such user); `None` if there is no session. With `roles`, the
        user's `role_permissions` are those its roles in `roles` grant (unknown roles grant
        nothing).

        All are read as they are at the time of the call, never from a cache, so a logout, a
        deletion, a password change or a change to a role elsewhere counts at once. A store that
        shares a database with `users` (and `roles`) reads all in one command (the per-request
        path: one round trip).
        """

    def delete(self, token_hash: str) -> bool:
        """Delete the session; return whether there was one."""

    def delete_for_user(self, user_id: str, keep_token_hash: str | None = None) -> int:
        """Delete every session of the user except the one with `keep_token_hash`; return how
        many."""

    def purge_expired(self, now: datetime) -> int:
        """Delete every session that expired by `now`; return how many."""

    def list_for_user(self, user_id: str, now: datetime) -> list[Session]:
        """Return the user's sessions that have not expired by `now`, newest `created_at` first."""

    def delete_by_id(self, user_id: str, session_id: str) -> bool:
        """Delete the session with this public id if it belongs to the user; return whether one was
        deleted.

        A session of another user is left alone (and `False` returned), so a user can only end their
        own.
        """

    def touch(self, token_hash: str, last_used_at: datetime) -> bool:
        """Set the session's `last_used_at`; return whether there was such a session."""

    def set_credential_version(self, token_hash: str, credential_version: str) -> bool:
        """Set the session's `credential_version` (the caller's own session, kept across their
        password change); return whether there was such a session."""


class ApiKeyStore(Protocol):
    """Persists API keys, keyed by the SHA-256 of the key; `key_id` is the key's public name.

    A key expires when `expires_at` is set and `expires_at <= now`; an expired key is never returned
    or counted, even if it has not been removed yet.
    """

    def create(self, key: ApiKey, limit: int, now: datetime) -> bool:
        """Store a new key unless its user already holds `limit` keys that have not expired by
        `now`; return whether it was stored.

        Of concurrent creates for one user, at most `limit` minus the keys already held succeed, on
        every worker. The user's keys that expired by `now` are removed first and neither count nor
        keep a name. Raises `ApiKeyNameTakenError` if the user holds a live key with the same
        `name`, and `ValueError` if a key with the same `key_hash` or `key_id` exists (256-bit
        random keys: that means a broken caller).
        """

    def replace(self, key: ApiKey, now: datetime) -> ApiKey | None:
        """Put `key` in the place of the user's key of the same name that has not expired by `now`,
        in one atomic step, and return the key it replaced; return `None`, storing nothing, if there
        is none.

        Afterwards only the new key's hash finds it. Raises `ValueError` if a key with the same
        `key_hash` or `key_id` exists.
        """

    def get_by_hash(self, key_hash: str, now: datetime) -> ApiKey | None:
        """Return the key with this hash, or `None` if there is none or it expired by `now`."""

    def get_by_hash_with_user(
        self, key_hash: str, now: datetime, users: UserStore, roles: RoleStore | None = None
    ) -> tuple[ApiKey, User | None] | None:
        """Return the key `get_by_hash` returns, with its owner as `users.get(key.user_id)` returns
        it then (`None` if there is no such user); `None` if there is no live key. With `roles`, the
        owner's `role_permissions` are resolved as `SessionStore.get_with_user` does.

        All are read as they are at the time of the call, never from a cache. A store that shares a
        database with `users` (and `roles`) reads all in one command (the per-request path: one
        round trip).
        """

    def list_for_user(self, user_id: str, now: datetime) -> list[ApiKey]:
        """Return the user's keys that have not expired by `now`, newest `created_at` first."""

    def holders(self, name: str, user_ids: Sequence[str], now: datetime) -> set[str]:
        """Return those of `user_ids` that hold a key named `name` that has not expired by `now`."""

    def delete(self, user_id: str, key_id: str, now: datetime) -> bool:
        """Delete the user's key with this id; return whether a key that had not expired by `now`
        was deleted.

        A key of another user is left alone (and `False` returned), so a user can only revoke their
        own.
        """

    def delete_for_user(self, user_id: str, now: datetime) -> int:
        """Delete every key of the user; return how many of them had not expired by `now`."""

    def touch(self, key_id: str, last_used_at: datetime) -> bool:
        """Set the key's `last_used_at`; return whether there was such a key."""


class MailTokenStore(Protocol):
    """Persists the single-use tokens the mail flows send, keyed by the SHA-256 of the token."""

    def create(self, token: MailToken) -> None:
        """Store a new token. Raises `ValueError` if a token with its hash exists."""

    def take(self, token_hash: str, purpose: str, now: datetime) -> MailToken | None:
        """Remove the token with this hash and purpose and return it, or return `None`.

        `None` when there is no such token, it has another purpose (it is then left alone), or it
        expired by `now` (`expires_at <= now`). Taking is atomic: of concurrent takes of one token
        exactly one gets it.
        """

    def delete_for_user(self, user_id: str, purpose: str | None = None) -> int:
        """Delete the user's tokens (only those of `purpose`, when it is given); return how many."""

    def purge_expired(self, now: datetime) -> int:
        """Delete every token that expired by `now`; return how many."""


class MfaStore(Protocol):
    """Persists second factors: one TOTP enrolment per user, and the challenges of half-done logins.

    A challenge expires when `expires_at <= now`; an expired one is never returned.
    """

    def start_totp(self, enrolment: TotpEnrolment) -> bool:
        """Store this unconfirmed enrolment as the user's, replacing an unconfirmed one; return
        `True`.

        Return `False`, storing nothing, if the user has a confirmed enrolment (of a concurrent
        start and confirmation, a confirmed enrolment is never replaced).
        """

    def get_totp(self, user_id: str) -> TotpEnrolment | None:
        """Return the user's enrolment, confirmed or not, or `None`."""

    def confirm_totp(
        self, user_id: str, secret: str, last_step: int, recovery_code_hashes: tuple[str, ...]
    ) -> bool:
        """Confirm the user's unconfirmed enrolment if its `secret` is this one, setting `last_step`
        and the recovery codes, in one atomic write; return whether it was confirmed (`False` if
        there is none, it is confirmed already, or another enrolment with another secret replaced
        it)."""

    def use_totp_step(self, user_id: str, step: int) -> bool:
        """Set the confirmed enrolment's `last_step` to `step` if it is below `step` (one atomic
        compare-and-set); return whether it was set. Of concurrent calls with one step exactly one
        succeeds."""

    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """Remove this hash from the confirmed enrolment's recovery codes (atomically); return
        whether it was there. Of concurrent calls with one hash exactly one succeeds."""

    def set_recovery_codes(self, user_id: str, code_hashes: tuple[str, ...]) -> bool:
        """Replace the confirmed enrolment's recovery codes; return whether there is a confirmed
        enrolment."""

    def delete_totp(self, user_id: str) -> bool:
        """Delete the user's enrolment, confirmed or not; return whether there was one."""

    def totp_users(self, user_ids: Sequence[str]) -> set[str]:
        """Return those of `user_ids` that have a confirmed enrolment."""

    def create_challenge(self, challenge: MfaChallenge) -> None:
        """Store a new challenge. Raises `ValueError` if one with its token hash exists."""

    def get_challenge(self, token_hash: str, now: datetime) -> MfaChallenge | None:
        """Return the challenge with this token hash, or `None` if there is none or it expired by
        `now`."""

    def delete_challenge(self, token_hash: str, now: datetime) -> bool:
        """Delete the challenge; return whether one that had not expired by `now` was deleted. Of
        concurrent
        calls exactly one gets `True`."""

    def create_passkey(self, passkey: Passkey) -> None:
        """Store a new passkey. Raises `ValueError` if a passkey with its `credential_id` exists."""

    def get_passkey(self, credential_id: str) -> Passkey | None:
        """Return the passkey with this credential id, or `None`."""

    def list_passkeys(self, user_id: str) -> list[Passkey]:
        """Return the user's passkeys, oldest `created_at` first."""

    def passkey_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        """Return how many passkeys each of `user_ids` has, leaving out those with none."""

    def rename_passkey(self, user_id: str, credential_id: str, name: str) -> Passkey | None:
        """Rename the user's passkey; return it renamed, or `None` if the user has no such
        passkey."""

    def delete_passkey(self, user_id: str, credential_id: str) -> bool:
        """Delete the user's passkey; return whether one was deleted (a passkey of another user
        is left alone)."""

    def delete_passkeys(self, user_id: str) -> int:
        """Delete every passkey of the user; return how many."""

    def use_passkey(
        self, credential_id: str, expected_sign_count: int, sign_count: int, used_at: datetime
    ) -> bool:
        """Set the passkey's `sign_count` and `last_used_at` if its count is still
        `expected_sign_count` (one atomic compare-and-set); return whether it was set. Of
        concurrent calls exactly one succeeds."""

    def create_passkey_challenge(self, challenge: PasskeyChallenge) -> None:
        """Store a new WebAuthn challenge. Raises `ValueError` if one with its hash exists."""

    def take_passkey_challenge(self, challenge_hash: str, now: datetime) -> PasskeyChallenge | None:
        """Delete the challenge with this hash and return it if it had not expired by `now`; else
        `None`.
        Of concurrent calls at most one gets it."""


class AuditStore(Protocol):
    """Persists the audit trail: security events, newest first, paged by time."""

    def append(self, entry: AuditEntry) -> None:
        """Store the entry with an `entry_id` of the store's making, which orders the entries of one
        `at` as they were appended. Entries are never changed; a store may forget the oldest (a
        bounded memory, a TTL index), never a newer one before an older one."""

    def page(
        self,
        user_id: str | None,
        event: str | None,
        before: tuple[datetime, str] | None,
        since: datetime,
        limit: int,
    ) -> list[AuditEntry]:
        """Return up to `limit` entries newest first: those of `user_id` (when given) and of
        `event` (when given), at or after `since`, and older than `before` (when given).

        `before` is the (`at`, `entry_id`) of the last entry of the page before: entries of an
        earlier `at`, or of that `at` and appended before it; with an empty `entry_id`, entries of
        an earlier `at` only. Entries of one `at` come newest first. An index on the filter and on
        `at` serves it: the last page costs what the first does.
        """


class IdentityStore(Protocol):
    """Persists the identity-provider accounts linked to users (`LinkedIdentity`); `identity_id`
    is a link's public name.

    A link is found by its (`issuer`, `subject`) pair, never by its address: at most one link holds
    a pair (a unique index, or a check under one lock).
    """

    def link(self, identity: LinkedIdentity) -> LinkedIdentity:
        """Store a new link and return it.

        If its (`issuer`, `subject`) pair is linked already, to this user or another, store nothing
        and return the existing link. Linking is atomic: of concurrent links of one pair exactly one
        is stored, and every caller gets that one back. Raises `ValueError` if another pair's link
        has the same `identity_id` (random ids: that means a broken caller).
        """

    def find(self, issuer: str, subject: str) -> LinkedIdentity | None:
        """Return the link of this (`issuer`, `subject`) pair, or `None`. Both are compared
        exactly, as given."""

    def get(self, user_id: str, identity_id: str) -> LinkedIdentity | None:
        """Return the user's link with this id, or `None` if there is none or it belongs to another
        user."""

    def list_for_user(self, user_id: str) -> list[LinkedIdentity]:
        """Return the user's links, oldest `created_at` first (links of one instant by
        `identity_id`)."""

    def counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        """Return how many links each of `user_ids` has, leaving out those with none."""

    def touch(
        self, identity_id: str, last_used_at: datetime, email: str | None, email_verified: bool
    ) -> bool:
        """Record a sign-in through the link: set its `last_used_at`, and its `email` and
        `email_verified` to the provider's latest claim, in one write; return whether there was
        such a link."""

    def delete(self, user_id: str, identity_id: str) -> bool:
        """Delete the user's link with this id; return whether one was deleted.

        A link of another user is left alone (and `False` returned), so a user can only unlink
        their own. Its pair may then be linked again.
        """

    def delete_for_user(self, user_id: str) -> int:
        """Delete every link of the user; return how many."""


class DeviceStore(Protocol):
    """Persists the devices users signed in from (`SeenDevice`): one record per user and
    fingerprint hash."""

    def see(self, user_id: str, fingerprint_hash: str, now: datetime) -> datetime | None:
        """Record that the user signed in from this device at `now`, and return when it was last
        seen before (`None` if never), in one atomic write (an upsert).

        Of concurrent calls for one user and fingerprint, exactly one gets `None` for a new
        device. The stored `last_seen_at` never moves backwards: a `now` older than it leaves it.
        """

    def list_for_user(self, user_id: str) -> list[SeenDevice]:
        """Return the user's devices, latest `last_seen_at` first (of one instant, by fingerprint
        hash)."""

    def delete_for_user(self, user_id: str) -> int:
        """Delete every device of the user; return how many."""


class TrustedDeviceStore(Protocol):
    """Persists trusted devices (option `trusted_devices`): the hash of each browser's secret."""

    def create(self, device: TrustedDevice) -> None:
        """Store the device. Raises `ValueError` if a device with its `secret_hash` or `device_id`
        exists."""

    def get(self, secret_hash: str, now: datetime) -> TrustedDevice | None:
        """Return the device with this secret hash, or `None` if there is none or it expired
        (`expires_at` at or before `now`)."""

    def list_for_user(self, user_id: str, now: datetime) -> list[TrustedDevice]:
        """Return the user's unexpired devices, newest `created_at` first."""

    def touch(self, secret_hash: str, last_used_at: datetime) -> bool:
        """Set the device's `last_used_at`; return whether there was such a device."""

    def delete(self, user_id: str, device_id: str) -> bool:
        """Delete the device with this id if it is the user's; return whether one was deleted (a
        device of another user is not touched)."""

    def delete_for_user(self, user_id: str) -> int:
        """Delete every device of the user; return how many there were."""

    def purge_expired(self, now: datetime) -> int:
        """Delete the devices expired at `now`; return how many."""


@dataclass(frozen=True)
class Stores:
    """The stores of one app, resolved once (see `frappyauth.stores.memory_stores` and
    `mongo_stores`).

    `mail_tokens`, `mfa`, `audit`, `roles`, `identities`, `devices`, `trusted_devices` (and the
    others of options) are `None` while no option needs them, so that nothing is built for a feature
    that is off.
    """

    users: UserStore
    sessions: SessionStore
    api_keys: ApiKeyStore
    attempts: AttemptStore
    mail_tokens: MailTokenStore | None = None
    mfa: MfaStore | None = None
    audit: AuditStore | None = None
    identities: IdentityStore | None = None
    devices: DeviceStore | None = None  # with option `new_device_alerts`
    roles: RoleStore | None = None
    trusted_devices: TrustedDeviceStore | None = None
