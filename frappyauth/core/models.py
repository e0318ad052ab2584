"""The records the core and the stores exchange (users, sessions, API keys, throttle counters,
linked provider identities), and who asks."""

from __future__ import annotations

import unicodedata
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from frappyauth.core.read_only import read_only


def username_key(username: str) -> str:
    """Return the key that makes usernames unique: NFKC-normalised and case-folded.

    "Alice", "ALICE" and "ａｌｉｃｅ" (full-width) share one key, so they are one account.
    Stores persist this key with a unique index; they never compute it for lookups.
    """
    return unicodedata.normalize("NFKC", username).casefold()


def email_key(normalised: str) -> str:
    """The key that makes addresses unique: the normalised address (see
    `addresses.normalise_email`), case-folded (`Bob@x.org` = `bob@x.org`)."""
    return normalised.casefold()


def prefix_end(prefix: str) -> str | None:
    """Return the least string above every string that starts with `prefix`, or `None` if there is
    none.

    `[prefix, prefix_end(prefix))` is then the range of a prefix search in code-point order, which
    is also MongoDB's binary order of UTF-8 strings. The result is never a lone surrogate (BSON
    cannot hold one).
    """
    stripped = prefix.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    return stripped[:-1] + chr(following)


@dataclass(frozen=True)
class User:
    """A user account as stored: a value, read-only through and through, so a store may hand out its
    own.

    `profile` is a read-only `dict` (see `core.read_only`): to change it, pass a new one to
    `set_profile`.

    `password_hash` is a bcrypt hash, or an unsalted MD5 hex digest left by frappymongouser until
    the user's next login replaces it. `api_key_hash` is the SHA-256 hex of the user's API key, if
    any. `credential_version` changes with every password change or reset (in the same write as the
    hash): a session made under another version is refused, so no login that verified an old
    password survives the change. Users stored before versions existed have `""`.
    """

    id: str
    username: str
    password_hash: str
    permissions: tuple[str, ...] = ()
    profile: dict[str, Any] = field(default_factory=dict)
    email: str | None = None
    api_key_hash: str | None = None
    credential_version: str = ""
    # Set only through the mail flows (see `core.addresses`): the key that makes addresses unique,
    # and whether the user proved they receive mail there. With no mail option on, both stay at
    # their defaults.
    email_key: str | None = None
    email_verified: bool = False
    # With option `roles`: the names of the roles the user holds (stored), and the permissions those
    # roles grant, resolved when the user is read with the role store (never stored: a change to a
    # role counts on the next request, on every worker).
    roles: tuple[str, ...] = ()
    role_permissions: tuple[str, ...] = ()
    # With option `suspension`: when an admin suspended the account; `None` while it is not.
    suspended_at: datetime | None = None
    # With option `login_history` (`None`/0 where unknown: written only while the option is on).
    created_at: datetime | None = None
    password_changed_at: datetime | None = None
    last_login_at: datetime | None = None
    last_login_address: str | None = None
    login_count: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile", read_only(self.profile))  # the dataclass is frozen

    @property
    def username_key(self) -> str:
        return username_key(self.username)

    @property
    def effective_permissions(self) -> tuple[str, ...]:
        """The direct permissions, then those the roles add (each once)."""
        if not self.role_permissions:
            return self.permissions
        added = (p for p in dict.fromkeys(self.role_permissions) if p not in self.permissions)
        return (*self.permissions, *added)

    def with_permissions(self, permissions: tuple[str, ...]) -> User:
        """This user acting with exactly `permissions` (an API key's narrowed rights: the roles'
        permissions are then part of them, so `roles` and `role_permissions` are emptied). It runs
        on every key
        request: a shallow copy of the fields, several times cheaper than `dataclasses.replace`,
        which rebuilds the record through `__init__` (the profile is already read-only, so
        nothing else needs making)."""
        if (
            type(self) is not User
        ):  # a subclass may keep fields in slots, which the copy below would miss
            return dataclasses.replace(
                self, permissions=tuple(permissions), roles=(), role_permissions=()
            )
        narrowed = object.__new__(User)
        narrowed.__dict__.update(
            self.__dict__, permissions=tuple(permissions), roles=(), role_permissions=()
        )
        return narrowed

    def with_role_permissions(self, role_permissions: tuple[str, ...]) -> User:
        """This user with the permissions its roles grant now (see `roles`)."""
        return dataclasses.replace(self, role_permissions=tuple(role_permissions))

    def has_permissions(self, *required: str) -> bool:
        """True when the user holds every one of `required`, directly or through a role (exact
        string match, never a substring)."""
        return all(
            permission in self.permissions or permission in self.role_permissions
            for permission in required
        )


@dataclass(frozen=True)
class Role:
    """A named set of permissions (option `roles`); users hold roles by name."""

    name: str
    permissions: tuple[str, ...] = ()


def granted_by(roles: list[Role]) -> tuple[str, ...]:
    """The permissions `roles` grant together, each once, in the order of the roles."""
    return tuple(dict.fromkeys(p for role in roles for p in role.permissions))


@dataclass(frozen=True, slots=True)  # slots: about 60 bytes less for each of a million records
class Session:
    """A login session. Only the SHA-256 of its token is stored; `session_id` is a separate random
    public name for it, safe to show and to use in URLs, from which the token cannot be derived.
    It is valid only while its `credential_version` is its user's.

    `second_factor` says the sign-in that made it proved a second factor (a TOTP or recovery code,
    or a passkey). `impersonator_id` is set on a session an administrator made to act as its user
    (see `core.impersonation`): the administrator's user id.
    """

    token_hash: str
    session_id: str
    user_id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None = None
    remote_addr: str | None = None
    credential_version: str = (
        ""  # the user's credential version when the login verified the password
    )
    second_factor: bool = False
    impersonator_id: str | None = None


@dataclass(frozen=True, slots=True)  # slots: about 60 bytes less for each of a million records
class ApiKey:
    """A named API key of a user. Only the SHA-256 of the key is stored; `key_id` is its public
    name, part of the key itself (`fak_<key_id>_<secret>`) so that a leaked key can be traced and
    revoked.

    `scopes` limits what the key may do to these permissions (still only those its owner holds at
    the time of the request); `None` means the owner's permissions. `expires_at` `None` means it
    never expires.
    """

    key_id: str
    user_id: str
    name: str
    key_hash: str
    created_at: datetime
    scopes: tuple[str, ...] | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class AttemptCounter:
    """Attempts counted under one throttle key in a fixed window that ends at `expires_at`."""

    count: int
    expires_at: datetime


@dataclass(slots=True)  # not frozen: built on every request, and frozen dataclasses build 3x slower
class Identity:
    """Who a request is: the user, and the session it used (`None` for an API key).

    For a key of the key store, `api_key` is that key and `user.permissions` are already narrowed to
    the key's effective rights (its scopes that the owner holds); a legacy key has no `api_key`
    record.
    """

    user: User
    session: Session | None
    api_key: ApiKey | None = None

    @property
    def via_api_key(self) -> bool:
        return self.session is None


@dataclass(frozen=True)
class Actor:
    """Who asks for a change, and from where: for the log and the signals only, never for a
    decision.

    `id` is a user id, `"cli"`, or `None` (nobody logged in); `remote_addr` is the client's address;
    `impersonator_id` the administrator acting as user `id` through an impersonation session.
    """

    id: str | None
    remote_addr: str | None = None
    impersonator_id: str | None = None


@dataclass(frozen=True)
class MailToken:
    """A single-use token sent by mail: only its SHA-256 is stored.

    `purpose` is what it may be used for (`"password_reset"`, `"email_verification"`,
    `"email_change"`), `email` the address it was sent to, `binding` a fingerprint of the user's
    password hash and address when it was issued: a token whose binding no longer matches the user
    is void.
    """

    token_hash: str
    purpose: str
    user_id: str
    email: str
    binding: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One security event as the audit trail keeps it: never a secret, a token, a code or a hash.

    `event` is the signal's name (`"login-succeeded"`, ...); `outcome` `"success"` or `"failure"`;
    `user_id` the user it concerns (`None` for an unknown username); `actor_id` who did it (a user
    id, `"cli"`, or `None` for an anonymous client); `details` the event's own facts (a key's id,
    a count, a sign-in method), plain JSON values.
    """

    at: datetime
    event: str
    outcome: str
    user_id: str | None
    actor_id: str | None
    remote_addr: str | None
    details: dict[str, Any]
    impersonator_id: str | None = None
    entry_id: str = ""  # given by the store when it keeps the entry; orders entries of one instant


@dataclass(frozen=True)
class LinkedIdentity:
    """An account at an identity provider linked to a user. Its (issuer, subject) pair identifies
    it; an address never does.

    `provider` is the configured provider's name (`"google"`), `issuer` the provider's issuer
    (GitHub: `"https://github.com"`), `subject` its stable id for the account (the ID token's `sub`;
    GitHub: the numeric user id as a string). `email` and `email_verified` are the provider's latest
    claim about the address, for display and the linking rules only; `last_used_at` is the latest
    sign-in through it.
    """

    identity_id: str
    user_id: str
    provider: str
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    created_at: datetime
    last_used_at: datetime | None = None
