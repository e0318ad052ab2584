"""What the Mongo MFA store promises beyond the contract: its collections and indexes, what its
documents hold after a whole enrolment and login over HTTP, and compare-and-sets that are single
conditional writes (proved by the form of the calls, as mongomock is not thread-safe)."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from conftest import LATER, NOW
from frappyauth.core.mfa_models import MfaChallenge, TotpEnrolment
from frappyauth.core.minting import hash_secret
from frappyauth.stores.mongo import MongoMfaStore, MongoSessionStore, MongoUserStore
from http_support import ADMIN_PASSWORD, Clock, SecretLedger, build_app, login
from mfa_support import code, enrol, first_step, second_step


@pytest.fixture
def db() -> Any:
    return mongomock.MongoClient()["frappyauth_test"]


def test_enrolments_and_challenges_have_their_own_collections_and_indexes(db) -> None:
    MongoMfaStore(db).create_challenge(MfaChallenge("t", "u1", "v", LATER))
    totp = {tuple(k for k, _ in i["key"]): i for i in db["userTotp"].index_information().values()}
    tokens = {
        tuple(k for k, _ in i["key"]): i for i in db["userMfaTokens"].index_information().values()
    }
    assert totp[("userId",)]["unique"] and tokens[("tokenHash",)]["unique"]
    assert tokens[("expires",)]["expireAfterSeconds"] == 0  # the server deletes expired challenges


def test_the_documents_hold_no_secret_after_enrolment_and_login(db) -> None:
    clock = Clock(NOW)
    app = build_app(
        MongoUserStore(db), MongoSessionStore(db), clock, SecretLedger(), totp=True
    )  # the companion
    client = app.test_client()
    secret, codes = enrol(client, login(client, "admin", ADMIN_PASSWORD), ADMIN_PASSWORD, clock.now)
    clock.advance(seconds=30)
    pending = first_step(client, "admin", ADMIN_PASSWORD)
    stored = repr(list(db["userTotp"].find())) + repr(list(db["userMfaTokens"].find()))
    assert secret not in stored and pending not in stored and not any(c in stored for c in codes)
    assert db["userMfaTokens"].find_one()["tokenHash"] == hash_secret(pending)
    assert second_step(client, pending, code=code(secret, clock.now)).status_code == 200
    assert db["userMfaTokens"].count_documents({}) == 0  # spent


class Recorder:
    """Wraps a collection and records the name and filter of each call."""

    def __init__(self, collection: Any) -> None:
        self._collection, self.calls = collection, []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._collection, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args[0] if args else None))
            return method(*args, **kwargs)

        return call


def test_spending_a_step_a_recovery_code_or_a_challenge_is_one_conditional_write(db) -> None:
    store = MongoMfaStore(db)
    store.start_totp(TotpEnrolment("u1", "sealed", NOW))
    store.confirm_totp("u1", "sealed", 100, ("c1",))
    store.create_challenge(MfaChallenge("t", "u1", "v", LATER))
    totp, challenges = Recorder(store._totp), Recorder(store._challenges)
    store._totp, store._challenges = totp, challenges
    assert (
        store.use_totp_step("u1", 101)
        and store.use_recovery_code("u1", "c1")
        and store.delete_challenge("t", NOW)
    )
    assert totp.calls == [
        ("update_one", {"userId": "u1", "confirmed": True, "lastStep": {"$lt": 101}}),
        ("update_one", {"userId": "u1", "confirmed": True, "recoveryCodes": "c1"}),
    ]
    assert challenges.calls == [("find_one_and_delete", {"tokenHash": "t"})]


def test_a_sign_count_and_a_passkey_challenge_are_spent_by_one_conditional_write(db) -> None:
    from frappyauth.core.mfa_models import Passkey, PasskeyChallenge

    store = MongoMfaStore(db)
    store.create_passkey(Passkey("p1", "u1", "n", b"k", 3, NOW))
    store.create_passkey_challenge(PasskeyChallenge("c1", "login", None, LATER))
    passkeys, challenges = Recorder(store._passkeys), Recorder(store._passkey_challenges)
    store._passkeys, store._passkey_challenges = passkeys, challenges
    assert (
        store.use_passkey("p1", 3, 4, NOW) and store.take_passkey_challenge("c1", NOW) is not None
    )
    assert passkeys.calls == [("update_one", {"credentialId": "p1", "signCount": 3})]
    assert challenges.calls == [("find_one_and_delete", {"challengeHash": "c1"})]
