"""The `IdentityStore` contract, sentence by sentence, against every store in
`backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta
from typing import Any

import mongomock
import pytest
from pymongo.errors import DuplicateKeyError

from backends import BACKEND_PARAMS, BACKENDS, MONGO_BACKEND_PARAMS
from conftest import LATER, NOW
from http_support import USER_PASSWORD, auth, body
from frappyauth.core.errors import StoreUnavailableError
from frappyauth.core.models import LinkedIdentity
from frappyauth.core.protocols import IdentityStore
from frappyauth.stores.memory import MemoryIdentityStore
from frappyauth.stores.mongo import MongoIdentityStore
from frappyauth.stores.mongo.identities import LINK_ATTEMPTS

GOOGLE = "https://accounts.google.com"
GITHUB = "https://github.com"
RACERS = 24


def linked(
    identity_id: str = "i1",
    user_id: str = "u1",
    subject: str = "1001",
    issuer: str = GOOGLE,
    created_at=NOW,
    **changes: Any,
) -> LinkedIdentity:
    return LinkedIdentity(
        identity_id=identity_id,
        user_id=user_id,
        provider="github" if issuer == GITHUB else "google",
        issuer=issuer,
        subject=subject,
        email=changes.pop("email", "ann@example.org"),
        email_verified=changes.pop("email_verified", True),
        created_at=created_at,
        **changes,
    )


# link


def test_link_stores_a_new_link_and_returns_it(identity_store: IdentityStore) -> None:
    identity = linked()
    assert identity_store.link(identity) == identity
    assert identity_store.find(GOOGLE, "1001") == identity
    assert identity_store.get("u1", "i1") == identity
    assert identity_store.list_for_user("u1") == [identity]


def test_every_field_survives_the_round_trip(identity_store: IdentityStore) -> None:
    identity = linked(issuer=GITHUB, email=None, email_verified=False, last_used_at=LATER)
    identity_store.link(identity)
    assert identity_store.get("u1", "i1") == identity


@pytest.mark.parametrize("holder", ["u1", "u2"], ids=["same user", "another user"])
def test_a_pair_linked_already_stores_nothing_and_answers_the_existing_link(
    identity_store: IdentityStore, holder: str
) -> None:
    first = identity_store.link(linked("i1", holder))
    again = linked("i2", "u1", email="other@example.org", created_at=LATER)
    assert identity_store.link(again) == first
    assert identity_store.get("u1", "i2") is None
    assert identity_store.counts(["u1", "u2"]) == {holder: 1}
    assert identity_store.find(GOOGLE, "1001") == first


def test_a_pair_is_issuer_and_subject_together(identity_store: IdentityStore) -> None:
    """The same subject at another issuer, or another subject at the same issuer, is another
    account."""
    identity_store.link(linked("i1", subject="42"))
    identity_store.link(linked("i2", subject="42", issuer=GITHUB))
    identity_store.link(linked("i3", subject="43"))
    assert identity_store.counts(["u1"]) == {"u1": 3}


def test_an_address_never_makes_two_links_one(identity_store: IdentityStore) -> None:
    identity_store.link(linked("i1", "u1", subject="1", email="ann@example.org"))
    identity_store.link(linked("i2", "u2", subject="2", email="ann@example.org"))
    assert identity_store.counts(["u1", "u2"]) == {"u1": 1, "u2": 1}


def test_another_pairs_link_with_the_same_id_is_refused_storing_nothing(
    identity_store: IdentityStore,
) -> None:
    identity_store.link(linked("i1", subject="1"))
    with pytest.raises(ValueError):
        identity_store.link(linked("i1", "u2", subject="2"))
    assert identity_store.find(GOOGLE, "2") is None
    assert identity_store.counts(["u1", "u2"]) == {"u1": 1}


@pytest.fixture(params=[p for p in BACKEND_PARAMS if BACKENDS[p.id].thread_safe])
def thread_safe_identity_store(request: pytest.FixtureRequest) -> Any:
    backend = BACKENDS[request.param]
    with backend.database() as db:
        yield backend.identity_store(db)


def race(store: Any) -> list[LinkedIdentity]:
    """`RACERS` threads, each a user of its own, link one pair at once; return what each got."""
    start, results = threading.Barrier(RACERS), []

    def link(number: int) -> None:
        start.wait(timeout=10)
        results.append(store.link(linked(f"i{number}", f"u{number}")))

    threads = [threading.Thread(target=link, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_of_concurrent_links_of_one_pair_one_is_stored_and_every_caller_gets_it(
    thread_safe_identity_store: Any,
) -> None:
    results = race(thread_safe_identity_store)
    assert len(results) == RACERS and len({r.identity_id for r in results}) == 1
    stored = thread_safe_identity_store.counts([f"u{n}" for n in range(RACERS)])
    assert stored == {results[0].user_id: 1}


class PairCheckRendezvous(dict):
    """The memory store's pair index, whose every look-up waits until all racers have looked: the
    interleaving a check-then-store without a lock loses (all see the pair free, all store). A
    store that rightly makes them take turns breaks the rendezvous after 0.2 s, once."""

    def __init__(self) -> None:
        super().__init__()
        self.rendezvous = threading.Barrier(RACERS, timeout=0.2)

    def get(self, key: Any, default: Any = None) -> Any:
        found = super().get(key, default)
        try:
            self.rendezvous.wait()
        except threading.BrokenBarrierError:
            pass
        return found


def test_a_forced_interleaving_of_24_links_of_one_pair_leaves_one_link() -> None:
    store = MemoryIdentityStore()
    store._by_pair = PairCheckRendezvous()  # type: ignore[assignment]
    results = race(store)
    assert len(results) == RACERS and len({r.identity_id for r in results}) == 1
    assert store.counts([f"u{n}" for n in range(RACERS)]) == {results[0].user_id: 1}
    assert store.find(GOOGLE, "1001") == results[0]


# find


def test_find_returns_the_link_of_the_pair_or_none(identity_store: IdentityStore) -> None:
    identity_store.link(linked())
    assert identity_store.find(GOOGLE, "1001") == linked()
    assert identity_store.find(GOOGLE, "1002") is None
    assert identity_store.find(GITHUB, "1001") is None


def test_find_compares_issuer_and_subject_exactly(identity_store: IdentityStore) -> None:
    identity_store.link(linked(subject="AbC"))
    assert identity_store.find(GOOGLE, "abc") is None
    assert identity_store.find(GOOGLE.upper(), "AbC") is None
    assert identity_store.find(GOOGLE + "/", "AbC") is None
    assert identity_store.find(GOOGLE, "AbC ") is None
    assert identity_store.find(GOOGLE, {"$ne": ""}) is None  # type: ignore[arg-type]


# get


def test_get_returns_the_users_link_or_none(identity_store: IdentityStore) -> None:
    identity_store.link(linked())
    assert identity_store.get("u1", "i1") == linked()
    assert identity_store.get("u1", "no such id") is None
    assert identity_store.get("u1", {"$ne": ""}) is None  # type: ignore[arg-type]


def test_get_of_another_users_link_is_none(identity_store: IdentityStore) -> None:
    identity_store.link(linked("i1", "u1"))
    assert identity_store.get("u2", "i1") is None


# list_for_user


def test_list_for_user_is_oldest_first_and_only_the_users(identity_store: IdentityStore) -> None:
    newer = linked("i1", subject="1", created_at=NOW + timedelta(minutes=5))
    older = linked("i2", subject="2", created_at=NOW)
    others = linked("i3", "u2", subject="3", created_at=NOW - timedelta(minutes=1))
    for identity in (newer, older, others):
        identity_store.link(identity)
    assert identity_store.list_for_user("u1") == [older, newer]
    assert identity_store.list_for_user("nobody") == []


def test_links_of_one_instant_are_listed_by_identity_id(identity_store: IdentityStore) -> None:
    for identity_id, subject in (("i-b", "1"), ("i-c", "2"), ("i-a", "3")):
        identity_store.link(linked(identity_id, subject=subject))
    assert [i.identity_id for i in identity_store.list_for_user("u1")] == ["i-a", "i-b", "i-c"]


# counts


def test_counts_says_how_many_links_each_user_has_leaving_out_those_with_none(
    identity_store: IdentityStore,
) -> None:
    identity_store.link(linked("i1", "u1", subject="1"))
    identity_store.link(linked("i2", "u1", subject="2", issuer=GITHUB))
    identity_store.link(linked("i3", "u2", subject="3"))
    identity_store.link(linked("i4", "u3", subject="4"))
    assert identity_store.counts(["u1", "u2", "nobody"]) == {"u1": 2, "u2": 1}
    assert identity_store.counts([]) == {}


# touch


def test_touch_records_the_sign_in_and_the_latest_address_claim(
    identity_store: IdentityStore,
) -> None:
    identity_store.link(linked(email="ann@example.org", email_verified=True))
    assert identity_store.touch("i1", LATER, "ann@new.example", False) is True
    expected = linked(email="ann@new.example", email_verified=False, last_used_at=LATER)
    assert identity_store.get("u1", "i1") == expected
    assert identity_store.find(GOOGLE, "1001") == expected
    assert identity_store.touch("i1", LATER, None, False) is True
    assert identity_store.get("u1", "i1").email is None  # type: ignore[union-attr]


def test_touch_of_no_such_link_is_false(identity_store: IdentityStore) -> None:
    assert identity_store.touch("no such id", LATER, None, False) is False
    assert identity_store.touch({"$ne": ""}, LATER, None, False) is False  # type: ignore[arg-type]


# delete


def test_delete_removes_the_users_link_and_frees_its_pair(identity_store: IdentityStore) -> None:
    identity_store.link(linked("i1", "u1"))
    assert identity_store.delete("u1", "i1") is True
    assert identity_store.get("u1", "i1") is None and identity_store.find(GOOGLE, "1001") is None
    assert identity_store.delete("u1", "i1") is False
    relinked = linked("i2", "u2")
    assert identity_store.link(relinked) == relinked  # its pair may be linked again


def test_delete_leaves_another_users_link_alone(identity_store: IdentityStore) -> None:
    identity_store.link(linked("i1", "u1"))
    assert identity_store.delete("u2", "i1") is False
    assert identity_store.get("u1", "i1") == linked("i1", "u1")
    assert identity_store.delete("u1", {"$ne": ""}) is False  # type: ignore[arg-type]


# delete_for_user


def test_delete_for_user_removes_every_link_of_the_user_and_counts_them(
    identity_store: IdentityStore,
) -> None:
    identity_store.link(linked("i1", "u1", subject="1"))
    identity_store.link(linked("i2", "u1", subject="2", issuer=GITHUB))
    identity_store.link(linked("i3", "u2", subject="3"))
    assert identity_store.delete_for_user("u1") == 2
    assert identity_store.list_for_user("u1") == [] and identity_store.find(GOOGLE, "1") is None
    assert identity_store.counts(["u1", "u2"]) == {"u2": 1}
    assert identity_store.delete_for_user("u1") == 0


# records


def test_a_returned_link_cannot_change_what_is_stored(identity_store: IdentityStore) -> None:
    returned = identity_store.link(linked())
    with pytest.raises(dataclasses.FrozenInstanceError):
        returned.user_id = "u2"  # type: ignore[misc]
    assert identity_store.get("u1", "i1") == linked()


# MongoDB: the atomic form of `link`


@pytest.fixture(params=MONGO_BACKEND_PARAMS)
def mongo_identities(request: pytest.FixtureRequest) -> Any:
    backend = BACKENDS[request.param]
    with backend.database() as db:
        yield MongoIdentityStore(db), db["userIdentities"]


def as_document(identity: LinkedIdentity) -> dict[str, Any]:
    return {
        "_id": identity.identity_id,
        "userId": identity.user_id,
        "provider": identity.provider,
        "issuer": identity.issuer,
        "subject": identity.subject,
        "email": identity.email,
        "emailVerified": identity.email_verified,
        "createdAt": identity.created_at.replace(tzinfo=None),
        "lastUsedAt": None,
    }


def test_the_server_holds_one_document_per_pair(mongo_identities) -> None:
    store, collection = mongo_identities
    store.start()
    unique = [info["key"] for info in collection.index_information().values() if info.get("unique")]
    assert [("issuer", 1), ("subject", 1)] in unique
    store.link(linked("i1"))
    with pytest.raises(DuplicateKeyError):  # another worker's insert of the pair is refused
        collection.insert_one(as_document(linked("i2", "u2")))


def test_a_pair_another_worker_linked_first_is_answered_from_its_duplicate_key(
    mongo_identities,
) -> None:
    """What a worker that lost the race sees: its insert refused, the winner's link answered."""
    store, collection = mongo_identities
    store.start()
    winner = linked("i-winner", "u-winner")
    collection.insert_one(as_document(winner))  # written by another worker
    assert store.link(linked("i-loser", "u-loser")) == winner
    assert collection.count_documents({}) == 1


def test_a_link_retried_after_its_lost_acknowledgement_answers_itself(mongo_identities) -> None:
    store, collection = mongo_identities
    store.start()
    identity = linked()
    collection.insert_one(as_document(identity))  # this link's first attempt, stored
    assert store.link(identity) == identity
    assert collection.count_documents({}) == 1


def test_the_documents_have_the_documented_fields(mongo_identities) -> None:
    store, collection = mongo_identities
    store.link(linked(last_used_at=LATER))
    document = collection.find_one({"_id": "i1"})
    assert set(document) == {
        "_id",
        "userId",
        "provider",
        "issuer",
        "subject",
        "email",
        "emailVerified",
        "createdAt",
        "lastUsedAt",
    }


# the core: deleting a user deletes its linked identities (issue 25, "Recovery")


def test_deleting_a_user_deletes_its_identities_and_no_one_elses(
    client, admin_token, identity_store: IdentityStore
) -> None:
    made = client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD},
        headers=auth(admin_token),
    )
    bob, admin = body(made)["id"], body(client.get("/api/user", headers=auth(admin_token)))["id"]
    identity_store.link(linked("i1", bob, subject="1"))
    identity_store.link(linked("i2", bob, subject="2", issuer=GITHUB))
    identity_store.link(linked("i3", admin, subject="3"))
    assert client.delete(f"/api/user/users/{bob}", headers=auth(admin_token)).status_code == 200
    assert identity_store.list_for_user(bob) == [] and identity_store.find(GOOGLE, "1") is None
    assert identity_store.counts([bob, admin]) == {admin: 1}


class HolderGoneEachTime:
    """A collection on which the pair's holder is unlinked between every refused insert and the
    read of the holder: the rare race `link` tries again after, a bounded number of times."""

    def __init__(self, collection: Any) -> None:
        self._collection, self.inserts = collection, 0

    def insert_one(self, document: dict[str, Any]) -> Any:
        self.inserts += 1
        raise DuplicateKeyError("E11000 duplicate key error")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


def test_a_holder_unlinked_while_a_link_reads_it_makes_the_link_try_again_then_503() -> None:
    store = MongoIdentityStore(mongomock.MongoClient()["identities"])
    store._identities = flaky = HolderGoneEachTime(store._identities)  # type: ignore[assignment]
    with pytest.raises(StoreUnavailableError):
        store.link(linked())
    assert flaky.inserts == LINK_ATTEMPTS > 1
