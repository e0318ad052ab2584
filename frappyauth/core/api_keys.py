"""API keys: named, scoped, expiring credentials apart from logins, and recognising them in
requests.

A key reads `fak_<id>_<secret>` (see `minting.new_api_key`). Its effective rights are its scopes
that its owner holds at the time of the request, so taking a permission from a user takes it from
all their keys. Keys made by frappyflaskauth 1.6 and earlier frappyauth versions (one hash on the
user record) keep working: the first time the user's keys are listed or the key is used, it is
adopted into the key store as a key named `legacy` (created then, expiring per
`api_key_max_lifetime`) and its hash leaves the user record, so it is listed, capped and revocable
like any other key. `POST /key` and `DELETE /key` manage it with the `default` key, as
frappyflaskauth did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from frappyauth.core import signals
from frappyauth.core.errors import (
    ApiKeyNameTakenError,
    ApiKeyNotFoundError,
    AuthenticationError,
    BadRequestError,
    TooManyApiKeysError,
    UserNotFoundError,
)
from frappyauth.core.minting import API_KEY_PREFIX, hash_secret, new_api_key
from frappyauth.core.models import ApiKey, Actor, Identity, User
from frappyauth.core.options import MAX_KEY_LIFETIME
from frappyauth.core.context import ServiceContext

DEFAULT_KEY_NAME = "default"  # the key of frappyflaskauth's `POST /key` and `DELETE /key`
LEGACY_KEY_NAME = "legacy"  # a key frappyflaskauth made, adopted from the user record
SEED_KEY_NAMES = (DEFAULT_KEY_NAME, LEGACY_KEY_NAME)  # what `POST /key` and `DELETE /key` manage
ADOPTION_LIMIT = 2**31  # adopting an existing key never fails for the count of keys held
MAX_KEY_NAME_LENGTH = 100
ROTATION_ATTEMPTS = (
    5  # each retry means another rotation created the key just then; the next replaces it
)


def check_key_name(name: str) -> None:
    if not name or name != name.strip() or not name.isprintable():
        raise BadRequestError(
            "The key name must be printable text without leading or trailing spaces."
        )
    if len(name) > MAX_KEY_NAME_LENGTH:
        raise BadRequestError(
            "The key name must have at most {limit} characters.", limit=MAX_KEY_NAME_LENGTH
        )


def effective_user(user: User, key: ApiKey) -> User:
    """The owner as the key may act: only the permissions both the owner and the key's scopes
    hold."""
    if key.scopes is None:
        return user
    # The property only when roles add something: this runs on every scoped key's request.
    held = user.effective_permissions if user.role_permissions else user.permissions
    return user.with_permissions(tuple(filter(key.scopes.__contains__, held)))


class ApiKeys:
    """API keys for one app: every decision here, persistence in the API-key store."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        self._touch_after = timedelta(seconds=context.options.last_used_interval)

    def identify(self, api_key: str) -> Identity:
        """Return who holds this key, with the key's effective rights; raise `AuthenticationError`
        otherwise.

        One store read (the key with its owner: one round trip on MongoDB), and no write but "last
        used", at most once per `last_used_interval`. A key without our prefix can only be a legacy
        key: the key store holds it once adopted; before, it is found on its user record and
        adopted then (this once, more reads and two writes).
        """
        context = self._context
        if not context.options.api_keys:
            raise AuthenticationError("The API key is invalid.")
        key_hash, now = hash_secret(api_key), context.clock()
        roles = context.stores.roles if context.options.roles else None
        found = (
            context.stores.api_keys.get_by_hash_with_user(key_hash, now, context.stores.users)
            if roles is None  # the seed's call: a key store of its time takes 3 arguments
            else context.stores.api_keys.get_by_hash_with_user(
                key_hash, now, context.stores.users, roles
            )
        )
        # A slice: no call. A prefixed key is never looked up on the user records.
        if found is None and api_key[: len(API_KEY_PREFIX)] != API_KEY_PREFIX:
            found = self._adopt_by_hash(key_hash, now)
        key, user = found if found is not None else (None, None)
        if key is None or user is None or user.suspended_at is not None:  # kept while suspended
            raise AuthenticationError("The API key is invalid.")
        if key.last_used_at is None or now - key.last_used_at >= self._touch_after:
            context.stores.api_keys.touch(key.key_id, now)
        return Identity(user=effective_user(user, key), session=None, api_key=key)

    def create(
        self,
        user: User,
        name: str,
        scopes: tuple[str, ...] | None = None,
        expires_in: int | None = None,
        expires_at: datetime | None = None,
        actor: Actor | None = None,
    ) -> tuple[ApiKey, str]:
        """Give the user a new key; return it and the key itself, which is never stored nor shown
        again.

        Raises `BadRequestError` for a bad name, a scope the user does not hold, or an expiry in the
        past or beyond `api_key_max_lifetime`; `ApiKeyNameTakenError`; `TooManyApiKeysError` past
        `api_keys_per_user`.
        """
        key, api_key = self._new_key(user, name, scopes, expires_in, expires_at)
        self._store(key)
        self._context.events.announce(
            signals.api_key_created, user_id=user.id, actor=actor, key_id=key.key_id
        )
        return key, api_key

    def list(self, user_id: str) -> list[ApiKey]:
        """The user's live keys, newest first; a legacy key on the user record adopted first."""
        now = self._context.clock()
        user = self._context.stores.users.get(user_id)
        if user is not None and user.api_key_hash is not None:
            self._adopt(user, now)
        return self._context.stores.api_keys.list_for_user(user_id, now)

    def revoke(self, user_id: str, key_id: str, actor: Actor) -> None:
        """Revoke one of the user's keys; raise `ApiKeyNotFoundError` if the user has no such
        key."""
        if not self._context.stores.api_keys.delete(user_id, key_id, self._context.clock()):
            raise ApiKeyNotFoundError()
        self._context.events.announce(
            signals.api_key_revoked, user_id=user_id, actor=actor, key_id=key_id, count=1
        )

    def revoke_all(self, user_id: str, actor: Actor) -> int:
        """Revoke every key of the user, a legacy one included; return how many.
        `UserNotFoundError` if none."""
        user = self._context.stores.users.get(user_id)
        if user is None:
            raise UserNotFoundError()
        # The stored id from here on: a store may have found the user by another form of the id.
        count = self._context.stores.api_keys.delete_for_user(user.id, self._context.clock())
        if (
            user.api_key_hash is not None
            and self._context.stores.users.set_api_key_hash(user.id, None) is not None
        ):
            count += 1
        if count:  # one event for all of them (`key_id` None): the store deletes them in one step
            self._context.events.announce(
                signals.api_key_revoked, user_id=user.id, actor=actor, key_id=None, count=count
            )
        return count

    def rotate_default(self, user: User, actor: Actor) -> str:
        """Replace the user's `default` key (and a legacy key) by a new one in one step, leaving
        other keys alone.

        Concurrent rotations each replace whichever `default` key is there, so exactly one remains.
        """
        key, api_key = self._new_key(user, DEFAULT_KEY_NAME, None, None, None)
        self._revoke_legacy(user, actor)
        self._revoke_named(user, (LEGACY_KEY_NAME,), actor)
        for _ in range(ROTATION_ATTEMPTS):
            replaced = self._context.stores.api_keys.replace(key, self._context.clock())
            if replaced is not None:
                self._context.events.announce(
                    signals.api_key_revoked,
                    user_id=user.id,
                    actor=actor,
                    key_id=replaced.key_id,
                    count=1,
                )
                break
            try:
                self._store(key)
                break
            except (
                ApiKeyNameTakenError
            ):  # a concurrent rotation created one in between: replace that
                continue
        else:
            raise ApiKeyNameTakenError()
        self._context.events.announce(
            signals.api_key_created, user_id=user.id, actor=actor, key_id=key.key_id
        )
        return api_key

    def revoke_default(self, user: User, actor: Actor) -> None:
        """Revoke the user's `default` key and a legacy key, as frappyflaskauth's `DELETE /key`
        did."""
        revoked = self._revoke_legacy(user, actor)
        revoked = self._revoke_named(user, SEED_KEY_NAMES, actor) or revoked
        if not revoked:  # nothing to revoke: still one event, as before
            self._context.events.announce(
                signals.api_key_revoked, user_id=user.id, actor=actor, key_id=None, count=0
            )

    def default_key_holders(self, users: Sequence[User]) -> set[str]:
        """Ids of those users who have a key for `POST /key`'s `hasApiKey`: a legacy (on the record
        or adopted) or a `default` one."""
        holders = {user.id for user in users if user.api_key_hash is not None}
        if not self._context.options.api_keys:
            return holders
        now = self._context.clock()
        for name in SEED_KEY_NAMES:
            others = [user.id for user in users if user.id not in holders]
            if others:
                holders |= self._context.stores.api_keys.holders(name, others, now)
        return holders

    def _new_key(
        self,
        user: User,
        name: str,
        scopes: tuple[str, ...] | None,
        expires_in: int | None,
        expires_at: datetime | None,
    ) -> tuple[ApiKey, str]:
        check_key_name(name)
        unheld = [scope for scope in scopes or () if not user.has_permissions(scope)]
        if unheld:
            raise BadRequestError(
                "The scope {scope!r} is not a permission the key's owner holds.", scope=unheld[0]
            )
        now = self._context.clock()
        key_id, api_key = new_api_key()
        return ApiKey(
            key_id=key_id,
            user_id=user.id,
            name=name,
            key_hash=hash_secret(api_key),
            created_at=now,
            scopes=scopes,
            expires_at=self._expiry(now, expires_in, expires_at),
        ), api_key

    def _store(self, key: ApiKey) -> None:
        limit = self._context.options.api_keys_per_user
        if not self._context.stores.api_keys.create(key, limit, self._context.clock()):
            raise TooManyApiKeysError(
                "A user may have at most {limit} API keys; revoke one first.", limit=limit
            )

    def _adopt_by_hash(self, key_hash: str, now: datetime) -> tuple[ApiKey, User | None] | None:
        """The legacy key with this hash on a user record, adopted; `None` if no record has it."""
        owner = self._context.stores.users.get_by_api_key_hash(key_hash)
        key = None if owner is None else self._adopt(owner, now)
        return None if key is None or key.expired(now) else (key, owner)

    def _adopt(self, user: User, now: datetime) -> ApiKey | None:
        """Move the legacy key on the user record into the key store, named `legacy`, created now
        and expiring per `api_key_max_lifetime`; return it. Concurrent adoptions store it once."""
        if user.api_key_hash is None:
            return None
        store = self._context.stores.api_keys
        key_id, _ = new_api_key()
        key = ApiKey(
            key_id=key_id,
            user_id=user.id,
            name=LEGACY_KEY_NAME,
            key_hash=user.api_key_hash,
            created_at=now,
            expires_at=self._expiry(now, None, None),
        )
        try:
            try:
                store.create(key, ADOPTION_LIMIT, now)
            except ApiKeyNameTakenError:  # the user named a key `legacy` themselves
                key = dataclasses.replace(key, name=f"{LEGACY_KEY_NAME} {key_id}")
                store.create(key, ADOPTION_LIMIT, now)
        except ValueError:  # its hash is stored: a concurrent request adopted it first
            adopted = store.get_by_hash(key.key_hash, now)
            key = adopted if adopted is not None else key
        self._context.stores.users.set_api_key_hash(user.id, None)
        return key

    def _revoke_named(self, user: User, names: tuple[str, ...], actor: Actor) -> bool:
        """Revoke the user's keys with these names; return whether one was."""
        now, store = self._context.clock(), self._context.stores.api_keys
        revoked = False
        for key in store.list_for_user(user.id, now):
            if key.name in names and store.delete(user.id, key.key_id, now):
                revoked = True
                self._context.events.announce(
                    signals.api_key_revoked,
                    user_id=user.id,
                    actor=actor,
                    key_id=key.key_id,
                    count=1,
                )
        return revoked

    def _revoke_legacy(self, user: User, actor: Actor) -> bool:
        """Remove the key kept on the user record by frappyflaskauth and earlier versions, if
        there is one."""
        if (
            user.api_key_hash is None
            or self._context.stores.users.set_api_key_hash(user.id, None) is None
        ):
            return False
        self._context.events.announce(
            signals.api_key_revoked, user_id=user.id, actor=actor, key_id=None, count=1
        )
        return True

    def _expiry(
        self, now: datetime, expires_in: int | None, expires_at: datetime | None
    ) -> datetime | None:
        """When a new key expires: as asked (`expiresIn` seconds or `expiresAt`), capped by the
        option."""
        if expires_in is not None and expires_at is not None:
            raise BadRequestError("Give expiresIn or expiresAt, not both.")
        if expires_in is not None:
            if not 1 <= expires_in <= MAX_KEY_LIFETIME:
                raise BadRequestError(
                    "expiresIn must be from 1 to {limit} seconds.", limit=MAX_KEY_LIFETIME
                )
            expires_at = now + timedelta(seconds=expires_in)
        if expires_at is not None and expires_at <= now:
            raise BadRequestError("The expiry must be in the future.")
        cap = self._context.options.api_key_max_lifetime
        if cap is not None:
            latest = now + timedelta(seconds=cap)
            if expires_at is not None and expires_at > latest:
                raise BadRequestError("An API key may live at most {cap} seconds.", cap=cap)
            expires_at = expires_at or latest  # a key without expiry would outlive the cap
        return expires_at
