"""The `MfaStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest

from conftest import LATER, NOW
from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge, TotpEnrolment
from frappyauth.core.protocols import MfaStore
from frappyauth.stores.memory import MemoryMfaStore


def enrolment(user_id: str = "u1", secret: str = "sealed-1", **changes) -> TotpEnrolment:
    return dataclasses.replace(
        TotpEnrolment(user_id=user_id, secret=secret, created_at=NOW), **changes
    )


def confirmed(store: MfaStore, user_id: str = "u1", codes: tuple[str, ...] = ("c1", "c2")) -> None:
    assert store.start_totp(enrolment(user_id)) is True
    assert store.confirm_totp(user_id, "sealed-1", 100, codes) is True


def challenge(token_hash: str = "t1", user_id: str = "u1", expires_at=LATER) -> MfaChallenge:
    return MfaChallenge(
        token_hash=token_hash, user_id=user_id, credential_version="v1", expires_at=expires_at
    )


# start_totp / get_totp


def test_get_totp_returns_the_started_enrolment_unconfirmed(mfa_store: MfaStore) -> None:
    assert mfa_store.get_totp("u1") is None
    assert mfa_store.start_totp(enrolment(confirmed=True, last_step=7)) is True
    assert mfa_store.get_totp("u1") == enrolment(confirmed=False, last_step=7)
    assert mfa_store.get_totp("u2") is None
    assert mfa_store.get_totp("") is None


def test_start_totp_replaces_an_unconfirmed_enrolment(mfa_store: MfaStore) -> None:
    mfa_store.start_totp(enrolment(secret="sealed-1"))
    assert mfa_store.start_totp(enrolment(secret="sealed-2")) is True
    assert mfa_store.get_totp("u1").secret == "sealed-2"


def test_start_totp_never_replaces_a_confirmed_enrolment(mfa_store: MfaStore) -> None:
    confirmed(mfa_store)
    assert mfa_store.start_totp(enrolment(secret="sealed-2")) is False
    stored = mfa_store.get_totp("u1")
    assert (stored.secret, stored.confirmed, stored.last_step) == ("sealed-1", True, 100)


# confirm_totp


def test_confirm_totp_sets_the_step_and_the_recovery_codes_in_one_write(
    mfa_store: MfaStore,
) -> None:
    confirmed(mfa_store, codes=("c1", "c2", "c3"))
    assert mfa_store.get_totp("u1") == enrolment(
        confirmed=True, last_step=100, recovery_code_hashes=("c1", "c2", "c3")
    )


def test_confirm_totp_refuses_another_secret_a_confirmed_one_and_none(mfa_store: MfaStore) -> None:
    assert mfa_store.confirm_totp("u1", "sealed-1", 1, ()) is False  # none
    mfa_store.start_totp(enrolment(secret="sealed-2"))
    assert mfa_store.confirm_totp("u1", "sealed-1", 1, ()) is False  # replaced by another secret
    assert mfa_store.get_totp("u1").confirmed is False
    assert mfa_store.confirm_totp("u1", "sealed-2", 1, ()) is True
    assert mfa_store.confirm_totp("u1", "sealed-2", 2, ("x",)) is False  # confirmed already
    assert mfa_store.get_totp("u1").last_step == 1


# use_totp_step


def test_use_totp_step_is_a_compare_and_set_on_a_confirmed_enrolment(mfa_store: MfaStore) -> None:
    mfa_store.start_totp(enrolment())
    assert mfa_store.use_totp_step("u1", 5) is False  # not confirmed
    mfa_store.confirm_totp("u1", "sealed-1", 100, ())
    assert mfa_store.use_totp_step("u1", 100) is False  # not above: the step was used
    assert mfa_store.use_totp_step("u1", 99) is False
    assert mfa_store.use_totp_step("u1", 101) is True
    assert mfa_store.use_totp_step("u1", 101) is False
    assert mfa_store.get_totp("u1").last_step == 101
    assert mfa_store.use_totp_step("u2", 500) is False


# recovery codes


def test_use_recovery_code_removes_it_once(mfa_store: MfaStore) -> None:
    confirmed(mfa_store, codes=("c1", "c2"))
    assert mfa_store.use_recovery_code("u1", "c1") is True
    assert mfa_store.use_recovery_code("u1", "c1") is False
    assert mfa_store.use_recovery_code("u1", "c3") is False
    assert mfa_store.use_recovery_code("u2", "c2") is False
    assert mfa_store.get_totp("u1").recovery_code_hashes == ("c2",)


def test_recovery_codes_of_an_unconfirmed_enrolment_are_neither_used_nor_set(
    mfa_store: MfaStore,
) -> None:
    mfa_store.start_totp(enrolment(recovery_code_hashes=("c1",)))
    assert mfa_store.use_recovery_code("u1", "c1") is False
    assert mfa_store.set_recovery_codes("u1", ("n1",)) is False
    assert mfa_store.get_totp("u1").recovery_code_hashes == ("c1",)


def test_set_recovery_codes_replaces_them(mfa_store: MfaStore) -> None:
    confirmed(mfa_store, codes=("c1", "c2"))
    assert mfa_store.set_recovery_codes("u1", ("n1", "n2", "n3")) is True
    assert mfa_store.use_recovery_code("u1", "c1") is False
    assert mfa_store.get_totp("u1").recovery_code_hashes == ("n1", "n2", "n3")
    assert mfa_store.set_recovery_codes("u2", ("n1",)) is False


# delete_totp / totp_users


def test_delete_totp_says_whether_there_was_one_confirmed_or_not(mfa_store: MfaStore) -> None:
    confirmed(mfa_store, "u1")
    mfa_store.start_totp(enrolment("u2"))
    assert mfa_store.delete_totp("u1") is True
    assert mfa_store.delete_totp("u2") is True
    assert mfa_store.delete_totp("u1") is False
    assert mfa_store.get_totp("u1") is None
    assert mfa_store.start_totp(enrolment("u1")) is True  # a new enrolment may start afterwards


def test_totp_users_are_those_with_a_confirmed_enrolment(mfa_store: MfaStore) -> None:
    confirmed(mfa_store, "u1")
    confirmed(mfa_store, "u3")
    mfa_store.start_totp(enrolment("u2"))
    assert mfa_store.totp_users(["u1", "u2", "u4"]) == {"u1"}
    assert mfa_store.totp_users([]) == set()


# challenges


def test_get_challenge_returns_it_until_it_expires(mfa_store: MfaStore) -> None:
    mfa_store.create_challenge(challenge())
    assert mfa_store.get_challenge("t1", NOW) == challenge()
    assert mfa_store.get_challenge("t1", LATER - timedelta(seconds=1)) == challenge()
    assert mfa_store.get_challenge("t1", LATER) is None
    assert mfa_store.get_challenge("t2", NOW) is None


def test_create_challenge_refuses_a_duplicate_hash(mfa_store: MfaStore) -> None:
    mfa_store.create_challenge(challenge())
    with pytest.raises(ValueError):
        mfa_store.create_challenge(challenge(user_id="u2"))
    assert mfa_store.get_challenge("t1", NOW).user_id == "u1"


def test_delete_challenge_says_whether_a_live_one_was_deleted(mfa_store: MfaStore) -> None:
    mfa_store.create_challenge(challenge())
    mfa_store.create_challenge(challenge("t2"))
    assert mfa_store.delete_challenge("t1", NOW) is True
    assert mfa_store.delete_challenge("t1", NOW) is False
    assert mfa_store.get_challenge("t1", NOW) is None
    assert mfa_store.delete_challenge("t2", LATER) is False  # expired: deleted, but it was not live
    assert mfa_store.get_challenge("t2", NOW) is None


# concurrency (the memory store; Mongo's are single conditional updates)


@pytest.mark.parametrize(
    "operation", ["step", "recovery code", "challenge", "sign count", "passkey challenge"]
)
def test_of_24_concurrent_spends_exactly_one_succeeds(operation: str) -> None:
    store = MemoryMfaStore()
    confirmed(store, codes=("c1",))
    store.create_challenge(challenge())
    store.create_passkey(passkey())
    store.create_passkey_challenge(PasskeyChallenge("c1", "login", None, LATER))
    spend = {
        "sign count": lambda: store.use_passkey("p1", 0, 1, NOW),
        "passkey challenge": lambda: store.take_passkey_challenge("c1", NOW) is not None,
        "step": lambda: store.use_totp_step("u1", 101),
        "recovery code": lambda: store.use_recovery_code("u1", "c1"),
        "challenge": lambda: store.delete_challenge("t1", NOW),
    }[operation]
    start, results = threading.Barrier(24), []

    def race() -> None:
        start.wait()
        results.append(spend())

    threads = [threading.Thread(target=race) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 23 + [True]


# passkeys


def passkey(
    credential_id: str = "p1", user_id: str = "u1", created_at=NOW, sign_count: int = 0
) -> Passkey:
    return Passkey(
        credential_id=credential_id,
        user_id=user_id,
        name=f"name-{credential_id}",
        public_key=b"\xa5\x01\x02cose",
        sign_count=sign_count,
        created_at=created_at,
    )


def test_get_passkey_returns_the_created_one_with_every_field(mfa_store: MfaStore) -> None:
    mfa_store.create_passkey(passkey())
    assert mfa_store.get_passkey("p1") == passkey()
    assert mfa_store.get_passkey("p2") is None
    with pytest.raises(ValueError):
        mfa_store.create_passkey(passkey(user_id="u2"))
    assert mfa_store.get_passkey("p1").user_id == "u1"


def test_list_and_count_passkeys_per_user(mfa_store: MfaStore) -> None:
    mfa_store.create_passkey(passkey("p2", created_at=LATER))
    mfa_store.create_passkey(passkey("p1"))
    mfa_store.create_passkey(passkey("p3", user_id="u2"))
    assert [p.credential_id for p in mfa_store.list_passkeys("u1")] == ["p1", "p2"]  # oldest first
    assert mfa_store.passkey_counts(["u1", "u2", "u3"]) == {"u1": 2, "u2": 1}
    assert mfa_store.list_passkeys("u3") == []


def test_rename_and_delete_only_the_users_own_passkey(mfa_store: MfaStore) -> None:
    mfa_store.create_passkey(passkey())
    assert mfa_store.rename_passkey("u2", "p1", "x") is None
    assert mfa_store.rename_passkey("u1", "p1", "phone") == dataclasses.replace(
        passkey(), name="phone"
    )
    assert mfa_store.rename_passkey("u1", "p9", "x") is None
    assert mfa_store.delete_passkey("u2", "p1") is False
    assert mfa_store.delete_passkey("u1", "p1") is True
    assert mfa_store.delete_passkey("u1", "p1") is False
    assert mfa_store.get_passkey("p1") is None


def test_delete_passkeys_removes_all_of_a_user(mfa_store: MfaStore) -> None:
    mfa_store.create_passkey(passkey("p1"))
    mfa_store.create_passkey(passkey("p2"))
    mfa_store.create_passkey(passkey("p3", user_id="u2"))
    assert mfa_store.delete_passkeys("u1") == 2
    assert mfa_store.delete_passkeys("u1") == 0
    assert mfa_store.passkey_counts(["u1", "u2"]) == {"u2": 1}


def test_use_passkey_is_a_compare_and_set_on_the_sign_count(mfa_store: MfaStore) -> None:
    mfa_store.create_passkey(passkey(sign_count=3))
    assert mfa_store.use_passkey("p1", 2, 9, LATER) is False
    assert mfa_store.use_passkey("p1", 3, 4, LATER) is True
    assert mfa_store.use_passkey("p1", 3, 5, LATER) is False
    assert mfa_store.get_passkey("p1") == dataclasses.replace(
        passkey(), sign_count=4, last_used_at=LATER
    )
    assert mfa_store.use_passkey("p9", 0, 1, LATER) is False


def test_a_passkey_challenge_is_taken_once_and_only_while_live(mfa_store: MfaStore) -> None:
    mfa_store.create_passkey_challenge(PasskeyChallenge("c1", "login", None, LATER))
    mfa_store.create_passkey_challenge(PasskeyChallenge("c2", "register", "u1", LATER))
    with pytest.raises(ValueError):
        mfa_store.create_passkey_challenge(PasskeyChallenge("c1", "register", "u2", LATER))
    assert mfa_store.take_passkey_challenge("c1", NOW) == PasskeyChallenge(
        "c1", "login", None, LATER
    )
    assert mfa_store.take_passkey_challenge("c1", NOW) is None
    assert mfa_store.take_passkey_challenge("c2", LATER) is None  # expired: taken, but not returned
    assert mfa_store.take_passkey_challenge("c2", NOW) is None
