"""The memory store and the Mongo store (on mongomock) driven with the same random operations must
give identical observable results after every step. Ids differ between stores, so results compare
by canonical labels. Each session gets its own creation instant: the contract leaves the order of
equal instants open."""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta
from typing import Any, Callable

import mongomock
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, multiple, rule

from conftest import NOW
from frappyauth.core.device_models import TrustedDevice
from frappyauth.core.errors import ApiKeyNameTakenError, DuplicateEmailError, DuplicateUsernameError
from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge, TotpEnrolment
from frappyauth.core.models import (
    ApiKey,
    AuditEntry,
    LinkedIdentity,
    MailToken,
    Role,
    Session,
    User,
    username_key,
)
from frappyauth.core.usernames import name_keys
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemoryAuditStore,
    MemoryIdentityStore,
    MemoryDeviceStore,
    MemoryMailTokenStore,
    MemoryMfaStore,
    MemoryRoleStore,
    MemorySessionStore,
    MemoryTrustedDeviceStore,
    MemoryUserStore,
)
from frappyauth.stores.mongo import (
    MongoApiKeyStore,
    MongoAttemptStore,
    MongoAuditStore,
    MongoIdentityStore,
    MongoDeviceStore,
    MongoMailTokenStore,
    MongoMfaStore,
    MongoRoleStore,
    MongoSessionStore,
    MongoTrustedDeviceStore,
    MongoUserStore,
)

pytestmark = pytest.mark.slow  # a long property run; `pytest -m "not slow"` leaves it out

# Case and width variants share a key; Cyrillic а and о, and "aIice" (capital I), only look alike.
USERNAMES = st.sampled_from(
    ["alice", "Alice", "ALICE", "bob", "ｂｏｂ", "carol", "dave", "\u0430lice", "aIice", "b\u043eb"]
)
PERMISSIONS = st.lists(st.sampled_from(["admin", "view", "edit"]), unique=True, max_size=3).map(
    tuple
)
PROFILES = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none(), st.lists(st.booleans())),
    max_size=3,
)
KEY_HASHES = st.sampled_from(["k1", "k2", "k3"])
AUDIT_EVENTS = st.sampled_from(["login-failed", "login-succeeded", "password-changed"])
FINGERPRINTS = st.sampled_from(["f1", "f2", "f3"])
THROTTLE_KEYS = st.sampled_from(["pair:alice|1", "pair:alice|2", "user:alice", "addr:1"])
HASHES = st.sampled_from(["h", "$2b$04$x", "5f4dcc3b"])
ADVANCE = st.integers(0, 30)  # minutes the shared clock moves on: it never runs backwards
SESSION_OWNERS = st.sampled_from(["u1", "u2", "u3"])
KEY_NAMES = st.sampled_from(["default", "ci", "deploy"])
KEY_SCOPES = st.none() | PERMISSIONS
EMAIL_KEYS = st.sampled_from(["ann@example.org", "bob@example.org"])
MAIL_TOKEN_HASHES = st.sampled_from(["m1", "m2", "m3", "m4"])
PURPOSES = st.sampled_from(
    ["password_reset", "email_verification", "email_change", "email_sign_in", "email_sign_in_code"]
)
DEVICE_NUMBERS = st.integers(1, 4)
SEALED_SECRETS = st.sampled_from(["sealed-1", "sealed-2"])
RECOVERY_HASHES = st.lists(st.sampled_from(["c1", "c2", "c3"]), unique=True, max_size=3).map(tuple)
STEPS = st.integers(0, 6)
IDENTITY_IDS = st.sampled_from(["l1", "l2", "l3", "l4", "l5"])  # few: some links reuse an id
ISSUERS = st.sampled_from(["https://accounts.google.com", "https://github.com"])
SUBJECTS = st.sampled_from(["1", "2", "10"])
CLAIMED_EMAILS = st.none() | st.sampled_from(["ann@example.org", "Ann@Example.org"])
ROLE_NAMES = st.sampled_from(["editor", "auditor", "admins"])
ROLE_LISTS = st.lists(ROLE_NAMES, unique=True, max_size=3).map(tuple)
MISSING = {"memory": "0123456789abcdef01234567", "mongomock": "0123456789abcdef01234567"}
EXAMPLES = int(
    os.environ.get("EQUIVALENCE_EXAMPLES", "500")
)  # 200 found a planted bug half the time


class StoreEquivalence(RuleBasedStateMachine):
    users = Bundle("users")
    sessions = Bundle("sessions")
    keys = Bundle("keys")
    challenges = Bundle("challenges")
    old_names = Bundle("old_names")  # names that renames left behind, reserved for a while

    def __init__(self) -> None:
        super().__init__()
        db = mongomock.MongoClient()["equivalence"]
        self.stores = {
            "memory": (MemoryUserStore(), MemorySessionStore()),
            "mongomock": (MongoUserStore(db), MongoSessionStore(db)),
        }
        self.key_stores = {"memory": MemoryApiKeyStore(), "mongomock": MongoApiKeyStore(db)}
        self.keys_made = 0
        self.mail_tokens = {"memory": MemoryMailTokenStore(), "mongomock": MongoMailTokenStore(db)}
        self.mfa_stores = {"memory": MemoryMfaStore(), "mongomock": MongoMfaStore(db)}
        self.attempt_stores = {"memory": MemoryAttemptStore(), "mongomock": MongoAttemptStore(db)}
        self.audit_stores = {"memory": MemoryAuditStore(), "mongomock": MongoAuditStore(db)}
        self.identity_stores = {
            "memory": MemoryIdentityStore(),
            "mongomock": MongoIdentityStore(db),
        }
        self.trusted_device_stores = {
            "memory": MemoryTrustedDeviceStore(),
            "mongomock": MongoTrustedDeviceStore(db),
        }
        self.audit_appended = 0
        self.device_stores = {"memory": MemoryDeviceStore(), "mongomock": MongoDeviceStore(db)}
        self.role_stores = {"memory": MemoryRoleStore(), "mongomock": MongoRoleStore(db)}
        self.challenges_made = 0
        self.labels: dict[str, str] = {}  # each store's user id -> one label for both
        self.sessions_made = 0
        self.now = NOW

    def tick(self, minutes: int):
        self.now += timedelta(minutes=minutes)
        return self.now

    def same(self, call: Callable[[str, Any, Any], Any]) -> Any:
        """Run `call(store name, user store, token store)` on both stores; assert equal outcomes."""
        outcomes = {}
        for name, (users, tokens) in self.stores.items():
            try:
                outcomes[name] = self.canonical(call(name, users, tokens))
            except (
                DuplicateUsernameError,
                DuplicateEmailError,
                ApiKeyNameTakenError,
                ValueError,
            ) as error:  # the contract's errors
                outcomes[name] = type(error).__name__
            # Anything else propagates: two stores crashing alike is a bug in both, not an
            # agreement.
        assert outcomes["memory"] == outcomes["mongomock"]
        return outcomes["memory"]

    def same_keys(self, call: Callable[[Any], Any]) -> Any:
        """Run `call(api-key store)` on both key stores; assert equal outcomes."""
        return self.same(lambda name, _users, _tokens: call(self.key_stores[name]))

    def canonical(self, value: Any) -> Any:
        if isinstance(value, User):
            return dataclasses.replace(value, id=self.labels.get(value.id, "unlabelled"))
        if isinstance(
            value, (Session, ApiKey)
        ):  # owned by a store's user: ids differ, labels do not
            return dataclasses.replace(value, user_id=self.labels.get(value.user_id, value.user_id))
        if isinstance(value, (list, tuple)):
            return type(value)(self.canonical(item) for item in value)
        return value

    # users

    @rule(
        target=users,
        username=USERNAMES,
        permissions=PERMISSIONS,
        profile=PROFILES,
        email=st.none() | st.just("e@x"),
        email_key=st.none() | EMAIL_KEYS,
        verified=st.booleans(),
    )
    def create(self, username, permissions, profile, email, email_key, verified):
        created = {name: None for name in self.stores}

        def create(name, users, _tokens):
            user = users.create(
                User(
                    id="",
                    username=username,
                    password_hash="h",
                    permissions=permissions,
                    profile=profile,
                    email=email,
                    email_key=email_key,
                    email_verified=verified,
                )
            )
            created[name] = user.id
            self.labels[user.id] = f"user-{len(self.labels) // 2}"
            return dataclasses.replace(user, id="new")

        outcome = self.same(create)
        return multiple() if isinstance(outcome, str) else created

    @rule(ref=users | st.just(MISSING))
    def get(self, ref):
        self.same(lambda name, users, _: users.get(ref[name]))

    @rule(username=USERNAMES)
    def get_by_username(self, username):
        self.same(lambda _, users, __: users.get_by_username(username_key(username)))

    @rule(key_hash=KEY_HASHES)
    def get_by_api_key_hash(self, key_hash):
        self.same(lambda _, users, __: users.get_by_api_key_hash(key_hash))

    @rule(ref=users | st.just(MISSING), permissions=PERMISSIONS)
    def set_permissions(self, ref, permissions):
        self.same(lambda name, users, _: users.set_permissions(ref[name], permissions))

    @rule(ref=users | st.just(MISSING), profile=PROFILES)
    def set_profile(self, ref, profile):
        self.same(lambda name, users, _: users.set_profile(ref[name], profile))

    @rule(
        ref=users | st.just(MISSING),
        password_hash=HASHES,
        version=st.sampled_from(["", "v1", "v2"]),
        expected=st.none() | HASHES,
    )
    def set_password_hash(self, ref, password_hash, version, expected):
        self.same(
            lambda name, users, _: users.set_password_hash(
                ref[name], password_hash, version, expected
            )
        )

    @rule(ref=users | st.just(MISSING), expected=HASHES, password_hash=HASHES)
    def upgrade_password_hash(self, ref, expected, password_hash):
        self.same(
            lambda name, users, _: users.upgrade_password_hash(ref[name], expected, password_hash)
        )

    @rule(ref=users | st.just(MISSING), key_hash=st.none() | KEY_HASHES)
    def set_api_key_hash(self, ref, key_hash):
        self.same(lambda name, users, _: users.set_api_key_hash(ref[name], key_hash))

    @rule(email_key=EMAIL_KEYS)
    def get_by_email(self, email_key):
        self.same(lambda _, users, __: users.get_by_email(email_key))

    @rule(ref=users | st.just(MISSING), email_key=st.none() | EMAIL_KEYS, verified=st.booleans())
    def set_email(self, ref, email_key, verified):
        email = None if email_key is None else email_key.upper()
        self.same(lambda name, users, _: users.set_email(ref[name], email, email_key, verified))

    @rule(
        target=old_names,
        ref=users | st.just(MISSING),
        username=USERNAMES,
        reserved_minutes=st.sampled_from([0, 1, 60, 600, 6000]),
        advance=ADVANCE,
    )
    def rename(self, ref, username, reserved_minutes, advance):
        before = self.stores["memory"][0].get(ref["memory"])
        now = self.tick(advance)
        until = now + timedelta(minutes=reserved_minutes)
        outcome = self.same(lambda name, users, _: users.rename(ref[name], username, until, now))
        renamed = before is not None and isinstance(outcome, User)
        return before.username if renamed else multiple()

    @rule(ref=users, old=old_names, advance=ADVANCE)
    def rename_to_a_reserved_name(self, ref, old, advance):
        now = self.tick(advance)
        until = now + timedelta(minutes=30)
        self.same(lambda name, users, _: users.rename(ref[name], old, until, now))

    @rule(
        first=USERNAMES,
        second=USERNAMES,
        new_name=USERNAMES,
        reserved_minutes=st.sampled_from([0, 1, 60]),
        advance=ADVANCE,
    )
    def take_a_name_just_left(self, first, second, new_name, reserved_minutes, advance):
        """Two users; the first renames away, the second asks for its old name: with a single
        rule the sequence comes often enough to be tried, among the machine's many rules."""
        refs = [self.create(name, (), {}, None, None, False) for name in (first, second)]
        if any(not isinstance(ref, dict) for ref in refs):
            return
        until = self.now + timedelta(minutes=reserved_minutes)
        self.same(lambda name, users, _: users.rename(refs[0][name], new_name, until, self.now))
        now = self.tick(advance)
        self.same(lambda name, users, _: users.rename(refs[1][name], first, until, now))
        self.same(lambda _, users, __: users.get_by_reserved_name(name_keys(first), now))

    @rule(username=USERNAMES | old_names, advance=ADVANCE)
    def get_by_reserved_name(self, username, advance):
        now = self.tick(advance)
        self.same(lambda _, users, __: users.get_by_reserved_name(name_keys(username), now))

    @rule(ref=consumes(users) | st.just(MISSING))
    def delete(self, ref):
        self.same(lambda name, users, _: users.delete(ref[name]))

    @rule(offset=st.integers(0, 8), limit=st.integers(0, 4))
    def list_page(self, offset, limit):
        self.same(lambda _, users, __: users.list_page(offset, limit))

    @rule(
        prefix=st.sampled_from(["", "a", "al", "alice", "alicex", "A", "b", "ｂ", "c", "z"]),
        offset=st.integers(0, 4),
        limit=st.integers(0, 3),
    )
    def list_by_username_prefix(self, prefix, offset, limit):
        self.same(lambda _, users, __: users.list_by_username_prefix(prefix, offset, limit))

    @rule(permission=st.none() | st.sampled_from(["admin", "view", "edit", "other"]))
    def count(self, permission):
        self.same(lambda _, users, __: users.count(permission))

    # roles and suspension

    def same_roles(self, call: Callable[[Any], Any]) -> Any:
        return self.same(lambda name, _users, _tokens: call(self.role_stores[name]))

    @rule(name=ROLE_NAMES, permissions=PERMISSIONS)
    def put_role(self, name, permissions):
        self.same_roles(lambda roles: roles.put(Role(name, permissions)))

    @rule(name=ROLE_NAMES)
    def get_role(self, name):
        self.same_roles(lambda roles: roles.get(name))

    @rule()
    def list_roles(self):
        self.same_roles(lambda roles: roles.list())

    @rule(names=st.lists(ROLE_NAMES | st.just("nobody"), max_size=4))
    def get_many_roles(self, names):
        self.same_roles(lambda roles: roles.get_many(names))

    @rule(name=ROLE_NAMES)
    def delete_role(self, name):
        self.same_roles(lambda roles: roles.delete(name))

    @rule(ref=users | st.just(MISSING), roles=ROLE_LISTS)
    def set_roles(self, ref, roles):
        self.same(lambda name, users, _: users.set_roles(ref[name], roles))

    @rule(role=ROLE_NAMES)
    def remove_role(self, role):
        self.same(lambda _, users, __: users.remove_role(role))

    @rule(
        permission=st.none() | st.sampled_from(["admin", "view", "other"]),
        roles=ROLE_LISTS,
        active_only=st.booleans(),
    )
    def count_holders(self, permission, roles, active_only):
        self.same(lambda _, users, __: users.count_holders(permission, roles, active_only))

    @rule(
        ref=users | st.just(MISSING),
        address=st.none() | st.sampled_from(["192.0.2.1", "::1"]),
        advance=ADVANCE,
    )
    def record_login(self, ref, address, advance):
        at = self.tick(advance)
        self.same(lambda name, users, _: users.record_login(ref[name], at, address))

    @rule(ref=users | st.just(MISSING), password_hash=HASHES, advance=ADVANCE)
    def set_password_hash_dated(self, ref, password_hash, advance):
        at = self.tick(advance)
        self.same(
            lambda name, users, _: users.set_password_hash(ref[name], password_hash, "v", None, at)
        )

    @rule(ref=users | st.just(MISSING), suspend=st.booleans())
    def set_suspended(self, ref, suspend):
        at = self.now if suspend else None
        self.same(lambda name, users, _: users.set_suspended(ref[name], at))

    def same_audit(self, call: Callable[[Any], Any]) -> Any:
        """Run `call(audit store)` on both; entry ids are each store's own, so they are left out."""
        return self.same(
            lambda name, _users, _tokens: [
                dataclasses.replace(entry, entry_id="") if isinstance(entry, AuditEntry) else entry
                for entry in (call(self.audit_stores[name]) or [])
            ]
        )

    @rule(user=st.none() | SESSION_OWNERS, event=AUDIT_EVENTS, advance=st.integers(0, 2))
    def append_audit(self, user, event, advance):
        # Whole milliseconds: MongoDB keeps no finer time.
        at = self.tick(advance)
        self.same_audit(
            lambda store: store.append(
                AuditEntry(
                    at=at,
                    event=event,
                    outcome="success",
                    user_id=user,
                    actor_id=None,
                    remote_addr=None,
                    details={"n": self.audit_appended},
                )
            )
        )
        self.audit_appended += 1

    @rule(
        user=st.none() | SESSION_OWNERS,
        event=st.none() | AUDIT_EVENTS,
        back=st.integers(0, 60),
        limit=st.integers(1, 5),
        cursor=st.booleans(),
    )
    def page_audit(self, user, event, back, limit, cursor):
        since = self.now - timedelta(minutes=back)
        before = (self.now, "") if cursor else None
        self.same_audit(lambda store: store.page(user, event, before, since, limit))

    def same_devices(self, call: Callable[[Any], Any]) -> Any:
        """Run `call(device store)` on both device stores; assert equal outcomes."""
        return self.same(lambda name, _users, _tokens: call(self.device_stores[name]))

    @rule(owner=SESSION_OWNERS, fingerprint=FINGERPRINTS, advance=st.integers(0, 2))
    def see_device(self, owner, fingerprint, advance):
        now = self.tick(advance)
        self.same_devices(lambda store: store.see(owner, fingerprint, now))

    @rule(owner=SESSION_OWNERS)
    def list_devices(self, owner):
        self.same_devices(lambda store: store.list_for_user(owner))

    @rule(owner=SESSION_OWNERS)
    def delete_devices(self, owner):
        self.same_devices(lambda store: store.delete_for_user(owner))

    def same_attempts(self, call: Callable[[Any], Any]) -> Any:
        """Run `call(attempt store)` on both attempt stores; assert equal outcomes."""
        return self.same(lambda name, _users, _tokens: call(self.attempt_stores[name]))

    @rule(key=THROTTLE_KEYS, subject=st.none() | USERNAMES, advance=ADVANCE)
    def increment_attempts(self, key, subject, advance):
        now = self.tick(
            advance
        )  # one window length, as the core uses: counters expire in the order they start
        self.same_attempts(
            lambda store: store.increment(key, subject, now, now + timedelta(minutes=45))
        )

    @rule(key=THROTTLE_KEYS, advance=ADVANCE)
    def decrement_attempts(self, key, advance):
        now = self.tick(advance)
        self.same_attempts(lambda store: store.decrement(key, now))

    @rule(key=THROTTLE_KEYS, advance=ADVANCE)
    def get_attempts(self, key, advance):
        now = self.tick(advance)
        self.same_attempts(lambda store: store.get(key, now))

    @rule(key=THROTTLE_KEYS)
    def delete_attempts(self, key):
        self.same_attempts(lambda store: store.delete(key))

    @rule(subject=USERNAMES)
    def delete_attempts_for_subject(self, subject):
        self.same_attempts(lambda store: store.delete_for_subject(subject))

    # sessions

    @rule(
        target=sessions,
        owner=SESSION_OWNERS,
        lifetime=st.integers(1, 120),
        second_factor=st.booleans(),
        impersonator=st.sampled_from([None, "u1", "admin"]),
    )
    def create_session(self, owner, lifetime, second_factor, impersonator):
        self.sessions_made += 1
        self.now += timedelta(seconds=1)  # every session its own creation instant
        created = self.now
        session = Session(
            token_hash=f"t{self.sessions_made}",
            session_id=f"s{self.sessions_made}",
            user_id=owner,
            created_at=created,
            last_used_at=created,
            expires_at=created + timedelta(minutes=lifetime),
            user_agent="agent",
            remote_addr="10.0.0.1",
            second_factor=second_factor,
            impersonator_id=impersonator,
        )
        self.same(lambda _, __, tokens: tokens.create(session))
        return session

    @rule(target=sessions, ref=users, lifetime=st.integers(1, 120))
    def create_session_of_a_user(self, ref, lifetime):
        """A session of a stored user (ids differ between the stores), for `get_with_user`."""
        self.sessions_made += 1
        self.now += timedelta(seconds=1)
        created = self.now
        made = {
            name: Session(
                token_hash=f"t{self.sessions_made}",
                session_id=f"s{self.sessions_made}",
                user_id=ref[name],
                created_at=created,
                last_used_at=created,
                expires_at=created + timedelta(minutes=lifetime),
            )
            for name in self.stores
        }
        self.same(lambda name, _, tokens: tokens.create(made[name]))
        return made["memory"]

    @rule(session=sessions, advance=ADVANCE)
    def get_session_with_user(self, session, advance):
        now = self.tick(advance)
        self.same(lambda _, users, tokens: tokens.get_with_user(session.token_hash, now, users))

    @rule(session=sessions, advance=ADVANCE)
    def get_session_with_user_and_roles(self, session, advance):
        now = self.tick(advance)
        self.same(
            lambda name, users, tokens: tokens.get_with_user(
                session.token_hash, now, users, self.role_stores[name]
            )
        )

    @rule(session=sessions)
    def create_duplicate_session(self, session):
        self.same(lambda _, __, tokens: tokens.create(session))

    @rule(session=sessions, advance=ADVANCE)
    def get_session(self, session, advance):
        now = self.tick(advance)
        self.same(lambda _, __, tokens: tokens.get(session.token_hash, now))

    @rule(session=sessions)
    def delete_session(self, session):
        self.same(lambda _, __, tokens: tokens.delete(session.token_hash))

    @rule(owner=SESSION_OWNERS, keep=st.none() | sessions)
    def delete_for_user(self, owner, keep):
        self.same(
            lambda _, __, tokens: tokens.delete_for_user(owner, keep.token_hash if keep else None)
        )

    @rule(advance=ADVANCE)
    def purge_expired(self, advance):
        now = self.tick(advance)
        self.same(lambda _, __, tokens: tokens.purge_expired(now))

    @rule(owner=SESSION_OWNERS, advance=ADVANCE)
    def list_for_user(self, owner, advance):
        now = self.tick(advance)
        self.same(lambda _, __, tokens: tokens.list_for_user(owner, now))

    @rule(owner=SESSION_OWNERS, session=sessions)
    def delete_by_id(self, owner, session):
        self.same(lambda _, __, tokens: tokens.delete_by_id(owner, session.session_id))

    @rule(session=sessions, version=st.sampled_from(["", "v1"]))
    def set_credential_version(self, session, version):
        self.same(lambda _, __, tokens: tokens.set_credential_version(session.token_hash, version))

    @rule(session=sessions, advance=ADVANCE)
    def touch(self, session, advance):
        now = self.tick(advance)
        self.same(lambda _, __, tokens: tokens.touch(session.token_hash, now))

    # mailed tokens

    @rule(
        token_hash=MAIL_TOKEN_HASHES,
        purpose=PURPOSES,
        owner=SESSION_OWNERS,
        lifetime=st.integers(1, 120),
    )
    def create_mail_token(self, token_hash, purpose, owner, lifetime):
        token = MailToken(
            token_hash=token_hash,
            purpose=purpose,
            user_id=owner,
            email="a@example.org",
            binding="b",
            created_at=self.now,
            expires_at=self.now + timedelta(minutes=lifetime),
        )
        self.same(lambda name, _, __: self.mail_tokens[name].create(token))

    @rule(token_hash=MAIL_TOKEN_HASHES, purpose=PURPOSES, advance=ADVANCE)
    def take_mail_token(self, token_hash, purpose, advance):
        now = self.tick(advance)
        self.same(lambda name, _, __: self.mail_tokens[name].take(token_hash, purpose, now))

    @rule(owner=SESSION_OWNERS, purpose=st.none() | PURPOSES)
    def delete_mail_tokens_for_user(self, owner, purpose):
        self.same(lambda name, _, __: self.mail_tokens[name].delete_for_user(owner, purpose))

    @rule(advance=ADVANCE)
    def purge_expired_mail_tokens(self, advance):
        now = self.tick(advance)
        self.same(lambda name, _, __: self.mail_tokens[name].purge_expired(now))

    # trusted devices

    def same_trusted_devices(self, call: Callable[[Any], Any]) -> Any:
        """Run `call(trusted-device store)` on both device stores; assert equal outcomes."""
        return self.same(lambda name, _users, _tokens: call(self.trusted_device_stores[name]))

    @rule(number=DEVICE_NUMBERS, owner=SESSION_OWNERS, lifetime=st.integers(1, 120))
    def create_device(self, number, owner, lifetime):
        self.now += timedelta(seconds=1)  # every device its own creation instant
        device = TrustedDevice(
            device_id=f"d{number}",
            secret_hash=f"s{number}",
            user_id=owner,
            user_agent=None if number % 2 else "Firefox",
            created_at=self.now,
            last_used_at=self.now,
            expires_at=self.now + timedelta(minutes=lifetime),
        )
        self.same_trusted_devices(lambda store: store.create(device))
        # And the owner's list at once: with ~80 rules, a run seldom reaches a later list rule.
        self.same_trusted_devices(lambda store: store.list_for_user(owner, device.created_at))

    @rule(number=DEVICE_NUMBERS, advance=ADVANCE)
    def get_device(self, number, advance):
        now = self.tick(advance)
        self.same_trusted_devices(lambda store: store.get(f"s{number}", now))

    @rule(owner=SESSION_OWNERS, advance=ADVANCE)
    def list_trusted_devices(self, owner, advance):
        now = self.tick(advance)
        self.same_trusted_devices(lambda store: store.list_for_user(owner, now))

    @rule(number=DEVICE_NUMBERS, advance=ADVANCE)
    def touch_device(self, number, advance):
        now = self.tick(advance)
        self.same_trusted_devices(lambda store: store.touch(f"s{number}", now))

    @rule(owner=SESSION_OWNERS, number=DEVICE_NUMBERS)
    def delete_device(self, owner, number):
        self.same_trusted_devices(lambda store: store.delete(owner, f"d{number}"))

    @rule(owner=SESSION_OWNERS)
    def delete_devices_for_user(self, owner):
        self.same_trusted_devices(lambda store: store.delete_for_user(owner))

    @rule(advance=ADVANCE)
    def purge_expired_devices(self, advance):
        now = self.tick(advance)
        self.same_trusted_devices(lambda store: store.purge_expired(now))

    # API keys

    def new_key(self, owner: str, name: str, lifetime: int | None, scopes: Any) -> ApiKey:
        self.keys_made += 1
        self.now += timedelta(seconds=1)  # every key its own creation instant
        return ApiKey(
            key_id=f"k{self.keys_made}",
            user_id=owner,
            name=name,
            key_hash=f"h{self.keys_made}",
            created_at=self.now,
            scopes=scopes,
            expires_at=None if lifetime is None else self.now + timedelta(minutes=lifetime),
        )

    @rule(
        target=keys,
        owner=SESSION_OWNERS,
        name=KEY_NAMES,
        lifetime=st.none() | st.integers(1, 120),
        scopes=KEY_SCOPES,
        limit=st.integers(1, 3),
    )
    def create_key(self, owner, name, lifetime, scopes, limit):
        key, now = self.new_key(owner, name, lifetime, scopes), self.now
        self.same_keys(lambda store: store.create(key, limit, now))
        return key

    @rule(target=keys, ref=users, name=KEY_NAMES, lifetime=st.none() | st.integers(1, 120))
    def create_key_of_a_user(self, ref, name, lifetime):
        """A key of a stored user (ids differ between the stores), for `get_by_hash_with_user`."""
        key, now = self.new_key("", name, lifetime, None), self.now
        self.same(
            lambda store, _, __: self.key_stores[store].create(
                dataclasses.replace(key, user_id=ref[store]), 3, now
            )
        )
        return dataclasses.replace(key, user_id=ref["memory"])

    @rule(key=keys, advance=ADVANCE)
    def get_key_with_user(self, key, advance):
        now = self.tick(advance)
        self.same(
            lambda name, users, _: self.key_stores[name].get_by_hash_with_user(
                key.key_hash, now, users
            )
        )

    @rule(key=keys, advance=ADVANCE)
    def get_key_with_user_and_roles(self, key, advance):
        now = self.tick(advance)
        self.same(
            lambda name, users, _: self.key_stores[name].get_by_hash_with_user(
                key.key_hash, now, users, self.role_stores[name]
            )
        )

    @rule(existing=keys, owner=SESSION_OWNERS, name=KEY_NAMES)
    def create_key_with_a_taken_hash(self, existing, owner, name):
        key = dataclasses.replace(self.new_key(owner, name, None, None), key_hash=existing.key_hash)
        now = self.now
        self.same_keys(lambda store: store.create(key, 3, now))

    @rule(
        target=keys,
        owner=SESSION_OWNERS,
        name=KEY_NAMES,
        lifetime=st.none() | st.integers(1, 120),
        scopes=KEY_SCOPES,
    )
    def replace_key(self, owner, name, lifetime, scopes):
        key, now = self.new_key(owner, name, lifetime, scopes), self.now
        self.same_keys(lambda store: store.replace(key, now))
        return key

    @rule(key=keys, advance=ADVANCE)
    def get_key_by_hash(self, key, advance):
        now = self.tick(advance)
        self.same_keys(lambda store: store.get_by_hash(key.key_hash, now))

    @rule(owner=SESSION_OWNERS, advance=ADVANCE)
    def list_keys(self, owner, advance):
        now = self.tick(advance)
        self.same_keys(lambda store: store.list_for_user(owner, now))

    @rule(name=KEY_NAMES, owners=st.lists(SESSION_OWNERS, unique=True), advance=ADVANCE)
    def key_holders(self, name, owners, advance):
        now = self.tick(advance)
        self.same_keys(lambda store: store.holders(name, owners, now))

    @rule(owner=SESSION_OWNERS, key=keys, advance=ADVANCE)
    def delete_key(self, owner, key, advance):
        now = self.tick(advance)
        self.same_keys(lambda store: store.delete(owner, key.key_id, now))

    @rule(owner=SESSION_OWNERS, advance=ADVANCE)
    def delete_keys_for_user(self, owner, advance):
        now = self.tick(advance)
        self.same_keys(lambda store: store.delete_for_user(owner, now))

    @rule(key=keys, advance=ADVANCE)
    def touch_key(self, key, advance):
        now = self.tick(advance)
        self.same_keys(lambda store: store.touch(key.key_id, now))

    # second factors

    def same_mfa(self, call: Callable[[Any], Any]) -> Any:
        """Run `call(MFA store)` on both MFA stores; assert equal outcomes."""
        return self.same(lambda name, _users, _tokens: call(self.mfa_stores[name]))

    @rule(
        owner=SESSION_OWNERS,
        secret=SEALED_SECRETS,
        confirmed=st.booleans(),
        step=STEPS,
        codes=RECOVERY_HASHES,
    )
    def start_totp(self, owner, secret, confirmed, step, codes):
        enrolment = TotpEnrolment(
            user_id=owner,
            secret=secret,
            created_at=self.now,
            confirmed=confirmed,
            last_step=step,
            recovery_code_hashes=codes,
        )
        self.same_mfa(lambda store: store.start_totp(enrolment))

    @rule(owner=SESSION_OWNERS)
    def get_totp(self, owner):
        self.same_mfa(lambda store: store.get_totp(owner))

    @rule(owner=SESSION_OWNERS, secret=SEALED_SECRETS, step=STEPS, codes=RECOVERY_HASHES)
    def confirm_totp(self, owner, secret, step, codes):
        self.same_mfa(lambda store: store.confirm_totp(owner, secret, step, codes))

    @rule(owner=SESSION_OWNERS, step=STEPS)
    def use_totp_step(self, owner, step):
        self.same_mfa(lambda store: store.use_totp_step(owner, step))

    @rule(owner=SESSION_OWNERS, code=st.sampled_from(["c1", "c2", "c3"]))
    def use_recovery_code(self, owner, code):
        self.same_mfa(lambda store: store.use_recovery_code(owner, code))

    @rule(owner=SESSION_OWNERS, codes=RECOVERY_HASHES)
    def set_recovery_codes(self, owner, codes):
        self.same_mfa(lambda store: store.set_recovery_codes(owner, codes))

    @rule(owner=SESSION_OWNERS)
    def delete_totp(self, owner):
        self.same_mfa(lambda store: store.delete_totp(owner))

    @rule(owners=st.lists(SESSION_OWNERS, unique=True))
    def totp_users(self, owners):
        self.same_mfa(lambda store: store.totp_users(owners))

    @rule(target=challenges, owner=SESSION_OWNERS, lifetime=st.integers(1, 60))
    def create_challenge(self, owner, lifetime):
        self.challenges_made += (
            1  # fresh hashes: a store may or may not still hold an expired duplicate
        )
        challenge = MfaChallenge(
            token_hash=f"m{self.challenges_made}",
            user_id=owner,
            credential_version="v1",
            expires_at=self.now + timedelta(minutes=lifetime),
        )
        self.same_mfa(lambda store: store.create_challenge(challenge))
        return challenge

    @rule(challenge=challenges, advance=ADVANCE)
    def get_challenge(self, challenge, advance):
        now = self.tick(advance)
        self.same_mfa(lambda store: store.get_challenge(challenge.token_hash, now))

    @rule(
        owner=SESSION_OWNERS,
        credential=st.sampled_from(["p1", "p2", "p3"]),
        count=st.integers(0, 3),
    )
    def create_passkey(self, owner, credential, count):
        self.now += timedelta(seconds=1)  # every passkey its own creation instant
        made = Passkey(
            credential_id=credential,
            user_id=owner,
            name="n",
            public_key=b"k",
            sign_count=count,
            created_at=self.now,
        )
        self.same_mfa(lambda store: store.create_passkey(made))

    @rule(credential=st.sampled_from(["p1", "p2", "p3"]))
    def get_passkey(self, credential):
        self.same_mfa(lambda store: store.get_passkey(credential))

    @rule(owner=SESSION_OWNERS)
    def list_passkeys(self, owner):
        self.same_mfa(lambda store: store.list_passkeys(owner))

    @rule(owners=st.lists(SESSION_OWNERS, unique=True))
    def passkey_counts(self, owners):
        self.same_mfa(lambda store: store.passkey_counts(owners))

    @rule(
        owner=SESSION_OWNERS,
        credential=st.sampled_from(["p1", "p2", "p3"]),
        name=st.sampled_from(["a", "b"]),
    )
    def rename_passkey(self, owner, credential, name):
        self.same_mfa(lambda store: store.rename_passkey(owner, credential, name))

    @rule(owner=SESSION_OWNERS, credential=st.sampled_from(["p1", "p2", "p3"]))
    def delete_passkey(self, owner, credential):
        self.same_mfa(lambda store: store.delete_passkey(owner, credential))

    @rule(owner=SESSION_OWNERS)
    def delete_passkeys(self, owner):
        self.same_mfa(lambda store: store.delete_passkeys(owner))

    @rule(
        credential=st.sampled_from(["p1", "p2", "p3"]),
        expected=st.integers(0, 3),
        count=st.integers(0, 5),
    )
    def use_passkey(self, credential, expected, count):
        now = self.now
        self.same_mfa(lambda store: store.use_passkey(credential, expected, count, now))

    @rule(
        ceremony=st.sampled_from(["register", "login"]),
        owner=st.none() | SESSION_OWNERS,
        lifetime=st.integers(1, 60),
    )
    def create_passkey_challenge(self, ceremony, owner, lifetime):
        self.challenges_made += 1  # fresh hashes, as for login challenges
        made = PasskeyChallenge(
            f"w{self.challenges_made}", ceremony, owner, self.now + timedelta(minutes=lifetime)
        )
        self.same_mfa(lambda store: store.create_passkey_challenge(made))

    @rule(number=st.integers(1, 8), advance=ADVANCE)
    def take_passkey_challenge(self, number, advance):
        now = self.tick(advance)
        self.same_mfa(lambda store: store.take_passkey_challenge(f"w{number}", now))

    @rule(challenge=challenges, advance=ADVANCE)
    def delete_challenge(self, challenge, advance):
        now = self.tick(advance)
        self.same_mfa(lambda store: store.delete_challenge(challenge.token_hash, now))

    # linked identities

    def same_identities(self, call: Callable[[Any], Any]) -> Any:
        """Run `call(identity store)` on both identity stores; assert equal outcomes."""
        return self.same(lambda name, _users, _tokens: call(self.identity_stores[name]))

    @rule(
        identity_id=IDENTITY_IDS,
        owner=SESSION_OWNERS,
        issuer=ISSUERS,
        subject=SUBJECTS,
        email=CLAIMED_EMAILS,
        verified=st.booleans(),
    )
    def link_identity(self, identity_id, owner, issuer, subject, email, verified):
        self.now += timedelta(seconds=1)  # every link its own creation instant
        made = LinkedIdentity(
            identity_id,
            owner,
            "google" if "google" in issuer else "github",
            issuer,
            subject,
            email,
            verified,
            self.now,
        )
        self.same_identities(lambda store: store.link(made))

    @rule(issuer=ISSUERS, subject=SUBJECTS)
    def find_identity(self, issuer, subject):
        self.same_identities(lambda store: store.find(issuer, subject))

    @rule(owner=SESSION_OWNERS, identity_id=IDENTITY_IDS)
    def get_identity(self, owner, identity_id):
        self.same_identities(lambda store: store.get(owner, identity_id))

    @rule(owner=SESSION_OWNERS)
    def list_identities(self, owner):
        self.same_identities(lambda store: store.list_for_user(owner))

    @rule(owners=st.lists(SESSION_OWNERS, unique=True))
    def identity_counts(self, owners):
        self.same_identities(lambda store: store.counts(owners))

    @rule(identity_id=IDENTITY_IDS, advance=ADVANCE, email=CLAIMED_EMAILS, verified=st.booleans())
    def touch_identity(self, identity_id, advance, email, verified):
        now = self.tick(advance)
        self.same_identities(lambda store: store.touch(identity_id, now, email, verified))

    @rule(owner=SESSION_OWNERS, identity_id=IDENTITY_IDS)
    def delete_identity(self, owner, identity_id):
        self.same_identities(lambda store: store.delete(owner, identity_id))

    @rule(owner=SESSION_OWNERS)
    def delete_identities_for_user(self, owner):
        self.same_identities(lambda store: store.delete_for_user(owner))


StoreEquivalence.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=50, deadline=None, database=None
)
TestStoreEquivalence = StoreEquivalence.TestCase
