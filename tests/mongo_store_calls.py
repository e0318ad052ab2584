"""Every public method of every Mongo store, called with representative arguments on a recording
mongomock database (`mongo_recording`), and what each call sent.

`record_every_method()` builds every store on one `RecordingDatabase`, makes first contact with
each (whatever a store sends at construction or on first contact is filed under "start-up"), then
calls each method in one scripted story (a user signs up, logs in, makes keys, enrols a second
factor, ...). A method with more than one path to MongoDB is called once per path, each a *case*
(`"duplicate username"`, `"legacy fallback"`); the usual path is the case `"call"`.
"""

from __future__ import annotations

import dataclasses
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import mongomock
import pytest

from frappyauth.core.device_models import TrustedDevice
from frappyauth.core.errors import ApiKeyNameTakenError, DuplicateEmailError, DuplicateUsernameError
from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge, TotpEnrolment
from frappyauth.core.minting import hash_secret
from frappyauth.core.models import (
    ApiKey,
    AuditEntry,
    LinkedIdentity,
    MailToken,
    Role,
    Session,
    User,
)
from frappyauth.stores.memory import MemoryUserStore
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
from mongo_recording import INDEX_OPERATIONS, Command, CommandLog, RecordingDatabase

STORES = (
    MongoUserStore,
    MongoSessionStore,
    MongoApiKeyStore,
    MongoAttemptStore,
    MongoMailTokenStore,
    MongoMfaStore,
    MongoAuditStore,
    MongoIdentityStore,
    MongoDeviceStore,
    MongoRoleStore,
    MongoTrustedDeviceStore,
)
# Public methods that send nothing of their own, and why they are not driven.
NOT_SENDING = {
    "MongoUserStore.user_from_document": "maps a document another store read; no database call",
    "MongoUserStore.api_key_store": "deprecated: builds a MongoApiKeyStore (its commands are its)",
    "MongoUserStore.mfa_store": "deprecated: builds a MongoMfaStore (its commands are its)",
    "MongoRoleStore.role_from_document": "maps a document the `$lookup` of `joins` read",
    **{
        f"{store.__name__}.start": "the first contact, recorded as start-up (indexes, migration)"
        for store in STORES
    },
}
# An instant in the future: mongomock's TTL deletion runs on the real clock (STYLE.md).
NOW = datetime(2100, 1, 1, 12, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=30)
GOOGLE = "https://accounts.google.com"


def h(text: str) -> str:
    return hash_secret(text)


@dataclass
class Recording:
    """What the story sent: per method, per case, the commands (index commands apart)."""

    log: CommandLog
    database: Any  # the mongomock database, unrecorded
    methods: dict[str, dict[str, list[Command]]]

    def index_commands(self) -> list[Command]:
        return [
            command for _, command in self.log.commands if command.operation in INDEX_OPERATIONS
        ]

    def start_up(self) -> list[Command]:
        return [
            command
            for label, command in self.log.commands
            if label == "start-up" and command.operation not in INDEX_OPERATIONS
        ]


class Story:
    """Calls store methods, each under its label, and keeps what each sent."""

    def __init__(self, log: CommandLog) -> None:
        self.log, self.methods = log, {}

    def send(
        self,
        store: Any,
        method: str,
        *args: Any,
        case: str = "call",
        raises: type[BaseException] | None = None,
        **kwargs: Any,
    ) -> Any:
        name = f"{type(store).__name__}.{method}"
        with self.log.label(name) as sent:
            if raises is None:
                result = getattr(store, method)(*args, **kwargs)
            else:
                with pytest.raises(raises):
                    getattr(store, method)(*args, **kwargs)
                result = None
        cases = self.methods.setdefault(name, {})
        assert case not in cases, f"{name}: case {case!r} twice"
        cases[case] = [command for command in sent if command.operation not in INDEX_OPERATIONS]
        return result


def record_every_method() -> Recording:
    # A name of its own per run: a store that remembers "started" per process must start here too.
    database = mongomock.MongoClient()[f"frappyauth_commands_{secrets.token_hex(4)}"]
    log = CommandLog()
    db = RecordingDatabase(database, log)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        stores = [store(db) for store in STORES]
    users, sessions, keys, attempts, mail, mfa, audit, identities, devices, roles, trusted = stores
    for first_contact in (
        lambda: users.get("0" * 24),
        lambda: sessions.get(h("none"), NOW),
        lambda: keys.get_by_hash(h("none"), NOW),
        lambda: attempts.get("none", NOW),
        lambda: mail.purge_expired(NOW - timedelta(days=1)),
        lambda: mfa.get_totp("none"),
        lambda: mfa.get_challenge(h("none"), NOW),
        lambda: mfa.get_passkey("none"),
        lambda: mfa.take_passkey_challenge(h("none"), NOW),
        lambda: audit.page(None, None, None, NOW, 1),
        lambda: identities.find(GOOGLE, "none"),
        lambda: devices.list_for_user("none"),
        lambda: roles.get("none"),
        lambda: trusted.get(h("none"), NOW),
    ):  # every collection touched once, so that what a store sends on first contact is start-up
        first_contact()
    log.current = "between methods"  # a story's own set-up calls: not a method's record
    story = Story(log)
    user = user_story(story, users, database)
    role_story(story, roles, users, user)
    session_story(story, sessions, users, user, roles)
    api_key_story(story, keys, users, user, roles)
    attempt_story(story, attempts)
    mail_token_story(story, mail, user)
    mfa_story(story, mfa, user)
    audit_story(story, audit, user)
    identity_story(story, identities, user)
    device_story(story, devices, user)
    trusted_device_story(story, trusted, user)
    user_endings(story, users, user, database)
    return Recording(log, database, story.methods)


def user_story(story: Story, users: MongoUserStore, database: Any) -> User:
    send: Callable[..., Any] = story.send
    alice = User(
        id="",
        username="Alice",
        password_hash="$2b$12$" + "a" * 53,
        permissions=("admin",),
        profile={"displayName": "Alice"},
        email="alice@example.org",
        email_key="alice@example.org",
        email_verified=True,
        credential_version="v1",
    )
    user = send(users, "create", alice)
    send(users, "create", alice, case="duplicate username", raises=DuplicateUsernameError)
    other = User(id="", username="Bob", password_hash="x", email="a", email_key=alice.email_key)
    send(users, "create", other, case="duplicate address", raises=DuplicateEmailError)
    bob = users.create(User(id="", username="Bob", password_hash="x"))
    send(users, "get", user.id)
    send(users, "get", "not an id", case="malformed id")
    send(users, "get_by_username", "alice")
    send(users, "get_by_username", "nobody", case="legacy fallback, no match")
    database["users"].insert_one({"username": "Olga", "password": "md5"})  # an old worker's
    send(users, "get_by_username", "olga", case="legacy fallback, an old worker's user")
    send(users, "get_by_email", "alice@example.org")
    send(users, "list_page", 0, 10)
    send(users, "list_by_username_prefix", "al", 0, 10)
    send(users, "count")
    send(users, "count", "admin", case="with a permission")
    send(users, "set_permissions", user.id, ("admin", "view"))
    send(users, "set_profile", user.id, {"displayName": "Alice A."})
    send(users, "set_password_hash", user.id, "$2b$12$" + "b" * 53, "v2")
    send(users, "set_password_hash", user.id, "c", "v3", "b", case="compare-and-set")
    send(users, "set_password_hash", user.id, "$2b$12$" + "b" * 53, "v2", None, NOW, case="dated")
    send(users, "upgrade_password_hash", user.id, "$2b$12$" + "b" * 53, "$2b$13$" + "c" * 53)
    send(users, "set_api_key_hash", user.id, h("legacy key"))
    send(users, "set_api_key_hash", user.id, None, case="remove")
    send(users, "get_by_api_key_hash", h("legacy key"), case="legacy fallback, no match")
    users.set_api_key_hash(bob.id, h("bob's key"))
    send(users, "get_by_api_key_hash", h("bob's key"))
    database["users"].update_one({"username": "Olga"}, {"$set": {"apiKey": "plaintext"}})
    send(users, "get_by_api_key_hash", h("plaintext"), case="legacy fallback, a plaintext key")
    send(users, "set_email", bob.id, "b@example.org", "b@example.org", False)
    send(users, "set_email", bob.id, None, None, False, case="remove")
    send(
        users,
        "set_email",
        bob.id,
        "A",
        alice.email_key,
        True,
        case="taken",
        raises=DuplicateEmailError,
    )
    rename_story(story, users, bob)
    return user


def rename_story(story: Story, users: MongoUserStore, bob: User) -> None:
    send: Callable[..., Any] = story.send
    carol = users.create(User(id="", username="Carol", password_hash="x"))
    send(users, "rename", bob.id, "Robert", LATER, NOW)
    send(users, "rename", "not an id", "Robert", LATER, NOW, case="malformed id")
    send(
        users, "rename", carol.id, "ALICE", LATER, NOW, case="taken", raises=DuplicateUsernameError
    )
    send(
        users, "rename", carol.id, "bob", LATER, NOW, case="reserved", raises=DuplicateUsernameError
    )
    send(users, "get_by_reserved_name", ("bob", "bob", "bob"), NOW)


def user_endings(story: Story, users: MongoUserStore, user: User, database: Any) -> None:
    legacy = {"password": "md5", "permissions": "view", "apiKey": "plain"}
    database["users"].insert_many([{"username": "Carl", **legacy}, {"email": "nameless@x"}])
    database["userTokens"].insert_one({"token": "legacy", "userId": user.id, "expires": NOW})
    story.send(users, "migrate", dry_run=True, case="dry run")
    story.send(users, "migrate")
    story.send(users, "delete", user.id)
    story.send(users, "delete", "not an id", case="malformed id")


def role_story(story: Story, roles: MongoRoleStore, users: MongoUserStore, user: User) -> None:
    send = story.send
    send(roles, "put", Role("editor", ("edit", "view")))
    send(roles, "put", Role("editor", ("edit",)), case="replace")
    roles.put(Role("gone", ("x",)))
    send(roles, "get", "editor")
    send(roles, "get", 7, case="not a name")
    send(roles, "list")
    send(roles, "get_many", ["editor", "nobody"])
    send(roles, "get_many", [], case="no names")
    send(roles, "delete", "gone")
    send(roles, "delete", 7, case="not a name")
    send(users, "set_roles", user.id, ("editor", "temp"))
    send(users, "remove_role", "temp")
    send(users, "remove_role", 7, case="not a name")
    send(users, "count_holders", "admin", (), True)
    send(users, "count_holders", "admin", ("editor",), True, case="through roles")
    send(users, "count_holders", None, ("editor",), False, case="holders of a role")
    send(users, "count_holders", None, (), False, case="nothing asked")
    send(users, "set_suspended", user.id, NOW)
    send(users, "set_suspended", user.id, None, case="reinstate")
    send(users, "record_login", user.id, NOW, "192.0.2.1")
    send(users, "record_login", "not an id", NOW, None, case="malformed id")


def session_story(
    story: Story,
    sessions: MongoSessionStore,
    users: MongoUserStore,
    user: User,
    roles: MongoRoleStore,
) -> None:
    send = story.send
    session = Session(h("token"), "sid-1", user.id, NOW, NOW, LATER, "agent", "127.0.0.1", "v1")
    send(sessions, "create", session)
    send(sessions, "create", session, case="duplicate", raises=ValueError)
    sessions.create(Session(h("other"), "sid-2", user.id, NOW, NOW, LATER))
    send(sessions, "get", h("token"), NOW)
    send(sessions, "get_with_user", h("token"), NOW, users)
    send(sessions, "get_with_user", h("token"), NOW, MemoryUserStore(), case="users elsewhere")
    send(sessions, "get_with_user", h("token"), NOW, users, roles, case="with roles")
    send(sessions, "touch", h("token"), NOW)
    send(sessions, "set_credential_version", h("token"), "v2")
    send(sessions, "list_for_user", user.id, NOW)
    send(sessions, "delete_by_id", user.id, "sid-2")
    send(sessions, "delete_for_user", user.id, h("token"), case="keeping one")
    send(sessions, "delete_for_user", user.id)
    send(sessions, "delete", h("token"))
    send(sessions, "purge_expired", NOW)
    send(sessions, "migrate", dry_run=True, now=NOW, case="dry run")
    send(sessions, "migrate", now=NOW)


def api_key_story(
    story: Story, keys: MongoApiKeyStore, users: MongoUserStore, user: User, roles: MongoRoleStore
) -> None:
    send = story.send
    key = ApiKey("k1", user.id, "deploy", h("key 1"), NOW, ("read",), LATER)
    send(keys, "create", key, 3, NOW)
    send(keys, "create", key, 3, NOW, case="name taken", raises=ApiKeyNameTakenError)
    clash = ApiKey("k9", user.id, "clash", h("key 1"), NOW)
    send(keys, "create", clash, 3, NOW, case="hash taken", raises=ValueError)
    keys.create(ApiKey("k2", user.id, "ci", h("key 2"), NOW), 3, NOW)
    send(keys, "create", ApiKey("k3", user.id, "x", h("key 3"), NOW), 2, NOW, case="at the limit")
    send(keys, "replace", ApiKey("k4", user.id, "deploy", h("key 4"), NOW), NOW)
    send(keys, "get_by_hash", h("key 4"), NOW)
    send(keys, "get_by_hash_with_user", h("key 4"), NOW, users)
    send(keys, "get_by_hash_with_user", h("key 4"), NOW, users, roles, case="with roles")
    send(keys, "list_for_user", user.id, NOW)
    send(keys, "holders", "deploy", [user.id, "0" * 24], NOW)
    send(keys, "touch", "k4", NOW)
    send(keys, "delete", user.id, "k2", NOW)
    send(keys, "delete_for_user", user.id, NOW)


def attempt_story(story: Story, attempts: MongoAttemptStore) -> None:
    send = story.send
    send(attempts, "increment", "login:alice", "alice", NOW, LATER)
    send(attempts, "decrement", "login:alice", NOW)
    send(attempts, "get", "login:alice", NOW)
    send(attempts, "delete", "login:alice")
    send(attempts, "delete_for_subject", "alice")


def audit_story(story: Story, audit: MongoAuditStore, user: User) -> None:
    send = story.send
    entry = AuditEntry(
        at=NOW,
        event="login-failed",
        outcome="failure",
        user_id=user.id,
        actor_id=None,
        remote_addr="127.0.0.1",
        details={"method": "password"},
    )
    send(audit, "append", entry)
    kept = audit.page(None, None, None, NOW, 1)[0]
    send(audit, "page", None, None, None, NOW, 50, case="everyone")
    send(
        audit, "page", user.id, None, (kept.at, kept.entry_id), NOW, 50, case="a user, after a page"
    )
    send(audit, "page", None, "login-failed", (NOW, ""), NOW, 50, case="an event, before a time")


def identity_story(story: Story, identities: MongoIdentityStore, user: User) -> None:
    send = story.send
    made = LinkedIdentity("id-1", user.id, "google", GOOGLE, "1001", "a@example.org", True, NOW)
    send(identities, "link", made)
    taken = dataclasses.replace(made, identity_id="id-2", user_id="0" * 24)
    send(identities, "link", taken, case="pair linked already")
    clash = dataclasses.replace(made, subject="1002")
    send(identities, "link", clash, case="identity id taken", raises=ValueError)
    send(identities, "find", GOOGLE, "1001")
    send(identities, "get", user.id, "id-1")
    send(identities, "list_for_user", user.id)
    send(identities, "counts", [user.id, "0" * 24])
    send(identities, "touch", "id-1", LATER, "b@example.org", False)
    send(identities, "delete", user.id, "id-1")
    send(identities, "delete_for_user", user.id)


def device_story(story: Story, devices: MongoDeviceStore, user: User) -> None:
    send = story.send
    send(devices, "see", user.id, h("device"), NOW, case="a new device")
    send(devices, "see", user.id, h("device"), LATER, case="a known device")
    send(devices, "list_for_user", user.id)
    send(devices, "delete_for_user", user.id)


def mail_token_story(story: Story, mail: MongoMailTokenStore, user: User) -> None:
    send = story.send
    token = MailToken(h("mail"), "reset", user.id, "alice@example.org", h("binding"), NOW, LATER)
    send(mail, "create", token)
    send(mail, "take", h("mail"), "reset", NOW)
    send(mail, "delete_for_user", user.id, "reset", case="one purpose")
    send(mail, "delete_for_user", user.id)
    send(mail, "purge_expired", NOW)


def trusted_device_story(story: Story, devices: MongoTrustedDeviceStore, user: User) -> None:
    send = story.send
    device = TrustedDevice("d1", h("device"), user.id, "Firefox", NOW, NOW, LATER)
    send(devices, "create", device)
    send(devices, "get", h("device"), NOW)
    send(devices, "list_for_user", user.id, NOW)
    send(devices, "touch", h("device"), NOW)
    send(devices, "delete", user.id, "d1")
    send(devices, "delete_for_user", user.id)
    send(devices, "purge_expired", NOW)


def mfa_story(story: Story, mfa: MongoMfaStore, user: User) -> None:
    send = story.send
    send(mfa, "start_totp", TotpEnrolment(user.id, "sealed", NOW))
    send(mfa, "confirm_totp", user.id, "sealed", 10, (h("r1"), h("r2")))
    send(mfa, "start_totp", TotpEnrolment(user.id, "other", NOW), case="confirmed already")
    send(mfa, "get_totp", user.id)
    send(mfa, "use_totp_step", user.id, 11)
    send(mfa, "use_recovery_code", user.id, h("r1"))
    send(mfa, "set_recovery_codes", user.id, (h("r3"),))
    send(mfa, "totp_users", [user.id, "0" * 24])
    send(mfa, "delete_totp", user.id)
    send(mfa, "create_challenge", MfaChallenge(h("challenge"), user.id, "v1", LATER))
    send(mfa, "get_challenge", h("challenge"), NOW)
    send(mfa, "delete_challenge", h("challenge"), NOW)
    send(mfa, "create_passkey", Passkey("cred-1", user.id, "phone", b"\x01" * 77, 0, NOW))
    send(mfa, "get_passkey", "cred-1")
    send(mfa, "list_passkeys", user.id)
    send(mfa, "passkey_counts", [user.id])
    send(mfa, "rename_passkey", user.id, "cred-1", "old phone")
    send(mfa, "use_passkey", "cred-1", 0, 1, NOW)
    send(mfa, "delete_passkey", user.id, "cred-1")
    send(mfa, "delete_passkeys", user.id)
    send(mfa, "create_passkey_challenge", PasskeyChallenge(h("ceremony"), "login", None, LATER))
    send(mfa, "take_passkey_challenge", h("ceremony"), NOW)
