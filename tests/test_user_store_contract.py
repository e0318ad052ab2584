"""The `UserStore` contract, sentence by sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import copy
import json
import threading

import pytest

from threads import run_in_threads
from frappyauth.core.errors import DuplicateUsernameError
from frappyauth.core.models import User, username_key
from frappyauth.core.protocols import UserStore

MISSING_IDS = ["0123456789abcdef01234567", "not-an-id", "", "x" * 500]


def new_user(username: str = "Alice", **fields) -> User:
    defaults = dict(
        id="ignored",
        username=username,
        password_hash="$2b$04$hash",
        permissions=("view",),
        profile={"name": "Alice", "nested": {"a": [1, 2]}},
        email="alice@example.org",
    )
    return User(**{**defaults, **fields})


# get


def test_get_returns_the_created_user_with_every_field(user_store: UserStore) -> None:
    created = user_store.create(new_user(api_key_hash="k" * 64))
    assert user_store.get(created.id) == created
    assert (created.username, created.permissions, created.email) == (
        "Alice",
        ("view",),
        "alice@example.org",
    )
    assert created.profile == {"name": "Alice", "nested": {"a": [1, 2]}}
    assert created.api_key_hash == "k" * 64 and created.password_hash == "$2b$04$hash"


@pytest.mark.parametrize("missing_id", MISSING_IDS)
def test_get_returns_none_for_an_unknown_or_malformed_id(
    user_store: UserStore, missing_id: str
) -> None:
    user_store.create(new_user())
    assert user_store.get(missing_id) is None


# get_by_username / get_by_api_key_hash


def test_get_by_username_finds_the_user_by_its_key(user_store: UserStore) -> None:
    created = user_store.create(new_user("Alice"))
    assert user_store.get_by_username(username_key("ALICE")) == created
    assert user_store.get_by_username("bob") is None


def test_get_by_api_key_hash_finds_the_user_or_none(user_store: UserStore) -> None:
    created = user_store.create(new_user(api_key_hash="a" * 64))
    user_store.create(new_user("Bob"))
    assert user_store.get_by_api_key_hash("a" * 64) == created
    assert user_store.get_by_api_key_hash("b" * 64) is None


# create


def test_create_assigns_a_new_string_id_and_ignores_the_given_one(user_store: UserStore) -> None:
    first, second = user_store.create(new_user("a")), user_store.create(new_user("b"))
    assert isinstance(first.id, str) and first.id not in ("ignored", "", second.id)


@pytest.mark.parametrize("clash", ["Alice", "ALICE", "alice", "ａｌｉｃｅ"])
def test_create_raises_duplicate_username_for_a_taken_key(
    user_store: UserStore, clash: str
) -> None:
    user_store.create(new_user("Alice"))
    with pytest.raises(DuplicateUsernameError):
        user_store.create(new_user(clash))
    assert user_store.count() == 1


@pytest.mark.parametrize(
    "existing, lookalike",
    [
        ("admin", "\u0430dmin"),
        ("admin", "adm\u0131n"),
        ("admin", "adm\u0456n"),
        ("admin", "\u0410DMIN"),
        ("alice", "aIice"),
        ("user0", "userO"),
    ],
)
def test_create_raises_duplicate_username_for_a_lookalike(
    user_store: UserStore, existing: str, lookalike: str
) -> None:
    user_store.create(new_user(existing))
    with pytest.raises(DuplicateUsernameError):
        user_store.create(new_user(lookalike))
    assert user_store.count() == 1 and user_store.get_by_username(username_key(lookalike)) is None


def test_names_that_do_not_look_alike_are_distinct(user_store: UserStore) -> None:
    for name in ("admin", "admins", "adm", "Zo\u00eb", "zoe"):
        user_store.create(new_user(name))
    assert user_store.count() == 5


def test_lookalike_keys_are_kept_through_updates_and_freed_by_delete(user_store: UserStore) -> None:
    user = user_store.create(new_user("admin"))
    user_store.set_permissions(user.id, ("admin",))
    user_store.set_api_key_hash(user.id, "k1")
    with pytest.raises(DuplicateUsernameError):
        user_store.create(new_user("\u0430dmin"))
    user_store.delete(user.id)
    assert user_store.create(new_user("\u0430dmin")).username == "\u0430dmin"


def create_at_once(user_store: UserStore, names: list[str]) -> list[object]:
    """Create a user of each name, each in its own thread at one barrier; the users or the
    duplicate errors."""
    outcomes: list[object] = []

    def create(name: str) -> None:
        try:
            outcomes.append(user_store.create(new_user(name)))
        except DuplicateUsernameError as error:
            outcomes.append(error)

    run_in_threads(create, [(name,) for name in names])
    return outcomes


def test_concurrent_creates_with_one_key_let_exactly_one_succeed(
    backend, user_store: UserStore
) -> None:
    if not backend.thread_safe:
        pytest.skip(
            "mongomock is not thread-safe: concurrency is tested on the memory store and real "
            "MongoDB"
        )
    for round_number in range(100):
        names = [
            f"carol{round_number}",
            f"Carol{round_number}",
            f"CAROL{round_number}",
            f"carol{round_number}",
        ]
        outcomes = create_at_once(user_store, names * 2)
        assert sum(isinstance(outcome, User) for outcome in outcomes) == 1
        assert sum(isinstance(outcome, DuplicateUsernameError) for outcome in outcomes) == 7
    assert user_store.count() == 100


def test_concurrent_creates_of_lookalikes_let_exactly_one_succeed(
    backend, user_store: UserStore
) -> None:
    if not backend.thread_safe:
        pytest.skip(
            "mongomock is not thread-safe: concurrency is tested on the memory store and real "
            "MongoDB"
        )
    for round_number in range(50):
        names = [
            f"{a}dm{i}n{round_number}" for a in ("a", "\u0430") for i in ("i", "\u0131", "\u0456")
        ]
        outcomes = create_at_once(user_store, names * 4)
        assert sum(isinstance(outcome, User) for outcome in outcomes) == 1
    assert user_store.count() == 50


def test_stored_profile_does_not_alias_the_callers_dict(user_store: UserStore) -> None:
    profile = {"nested": {"a": 1}}
    created = user_store.create(new_user(profile=profile))
    profile["nested"]["a"] = 2
    assert user_store.get(created.id).profile == {"nested": {"a": 1}}


NESTED_PROFILE = {"nested": {"a": 1, "list": [{"b": 2}]}}


@pytest.mark.parametrize(
    "hand_out",
    [
        lambda store, user: store.create(new_user("Bob", profile=NESTED_PROFILE)),
        lambda store, user: store.get(user.id),
        lambda store, user: store.get_by_username(username_key("Alice")),
        lambda store, user: store.get_by_api_key_hash("a" * 64),
        lambda store, user: store.list_page(0, 10)[0][0],
        lambda store, user: store.set_profile(user.id, NESTED_PROFILE),
        lambda store, user: store.set_permissions(user.id, ("view",)),
        lambda store, user: store.set_password_hash(user.id, "$2b$04$other", "version-2"),
        lambda store, user: store.set_api_key_hash(user.id, "a" * 64),
    ],
    ids=[
        "create",
        "get",
        "get_by_username",
        "get_by_api_key_hash",
        "list_page",
        "set_profile",
        "set_permissions",
        "set_password_hash",
        "set_api_key_hash",
    ],
)
def test_a_handed_out_profile_is_read_only_to_its_depths(user_store: UserStore, hand_out) -> None:
    user = user_store.create(new_user(profile=NESTED_PROFILE, api_key_hash="a" * 64))
    profile = hand_out(user_store, user).profile
    changes = [
        lambda: profile.__setitem__("added", True),
        lambda: profile["nested"].__setitem__("a", 2),
        lambda: profile.update(added=True),
        lambda: profile.pop("nested"),
        lambda: profile.clear(),
        lambda: profile["nested"]["list"].append(3),
        lambda: profile["nested"]["list"][0].update(b=3),
        lambda: profile.setdefault("added", 1),
        lambda: profile["nested"]["list"].__setitem__(0, None),
    ]
    for change in changes:
        with pytest.raises(TypeError, match="read-only"):
            change()
    assert isinstance(profile, dict) and profile == NESTED_PROFILE
    assert user_store.get(user.id).profile == NESTED_PROFILE


def test_a_profile_copied_to_edit_is_mutable_and_sets_a_new_profile(user_store: UserStore) -> None:
    user = user_store.create(new_user(profile={"nested": {"a": 1}}))
    edited = copy.deepcopy(user.profile)
    edited["nested"]["a"] = 2
    edited["added"] = [1]
    assert user_store.set_profile(user.id, edited).profile == {"nested": {"a": 2}, "added": [1]}
    edited["added"].append(2)  # the caller's dict, not the stored one
    assert user_store.get(user.id).profile == {"nested": {"a": 2}, "added": [1]}
    assert json.loads(json.dumps(user_store.get(user.id).profile)) == {
        "nested": {"a": 2},
        "added": [1],
    }


# list_page


def test_list_page_is_in_creation_order_with_the_total(user_store: UserStore) -> None:
    ids = [user_store.create(new_user(f"user{i}")).id for i in range(7)]
    pages = [user_store.list_page(offset, 3) for offset in (0, 3, 6)]
    assert [[user.id for user in page] for page, _ in pages] == [ids[0:3], ids[3:6], ids[6:7]]
    assert {total for _, total in pages} == {7}


def test_list_page_order_is_unaffected_by_updates(user_store: UserStore) -> None:
    ids = [user_store.create(new_user(f"user{i}")).id for i in range(4)]
    user_store.set_permissions(ids[0], ("admin",))
    user_store.set_profile(ids[1], {"changed": True})
    assert [user.id for user in user_store.list_page(0, 10)[0]] == ids


def test_deleting_a_user_shifts_later_users_forward(user_store: UserStore) -> None:
    ids = [user_store.create(new_user(f"user{i}")).id for i in range(5)]
    user_store.delete(ids[1])
    assert [user.id for user in user_store.list_page(1, 2)[0]] == ids[2:4]
    assert user_store.list_page(0, 10)[1] == 4


def test_list_page_past_the_end_is_empty(user_store: UserStore) -> None:
    user_store.create(new_user())
    assert user_store.list_page(5, 3) == ([], 1)


# list_by_username_prefix


def names(page: tuple[list[User], int]) -> tuple[list[str], int]:
    return [user.username for user in page[0]], page[1]


def test_prefix_search_finds_the_keys_starting_with_it_in_key_order(user_store: UserStore) -> None:
    for name in ["alvin", "Bob", "ALICE", "al", "amy", "Alfred", "a"]:
        user_store.create(new_user(name))
    assert names(user_store.list_by_username_prefix("al", 0, 10)) == (
        ["al", "Alfred", "ALICE", "alvin"],
        4,
    )
    assert names(user_store.list_by_username_prefix("alv", 0, 10)) == (["alvin"], 1)
    assert names(user_store.list_by_username_prefix("alvinx", 0, 10)) == ([], 0)


def test_prefix_search_compares_the_prefix_as_given(user_store: UserStore) -> None:
    user_store.create(new_user("Alice"))
    assert user_store.list_by_username_prefix("A", 0, 10) == (
        [],
        0,
    )  # keys are case-folded; "A" is not one


def test_prefix_search_pages_with_the_total_of_matches(user_store: UserStore) -> None:
    for i in range(7):
        user_store.create(new_user(f"user{i}"))
    user_store.create(new_user("other"))
    pages = [
        names(user_store.list_by_username_prefix("user", offset, 3)) for offset in (0, 3, 6, 9)
    ]
    assert pages == [
        (["user0", "user1", "user2"], 7),
        (["user3", "user4", "user5"], 7),
        (["user6"], 7),
        ([], 7),
    ]


def test_an_empty_prefix_matches_every_user(user_store: UserStore) -> None:
    for name in ["b", "c", "a"]:
        user_store.create(new_user(name))
    assert names(user_store.list_by_username_prefix("", 0, 10)) == (["a", "b", "c"], 3)


@pytest.mark.parametrize(
    "prefix, inside, outside",
    [
        (
            "a\U0010ffff",
            "a\U0010ffff\U0010ffffz",
            "b",
        ),  # the range's end steps past the last code point
        (
            "a\ud7ff",
            "a\ud7ffz",
            "a\ue000",
        ),  # and over the surrogates, which no stored string can hold
        ("é", "éa", "ê"),
    ],
)
def test_prefix_search_bounds_at_the_edges_of_unicode(
    user_store: UserStore, prefix, inside, outside
) -> None:
    for name in [inside, outside, prefix]:
        user_store.create(new_user(name))
    assert names(user_store.list_by_username_prefix(prefix, 0, 10)) == ([prefix, inside], 2)


def test_prefix_search_forgets_deleted_users(user_store: UserStore) -> None:
    doomed = user_store.create(new_user("alice"))
    user_store.create(new_user("alina"))
    user_store.delete(doomed.id)
    assert names(user_store.list_by_username_prefix("ali", 0, 10)) == (["alina"], 1)


# count


def test_count_counts_users_or_the_holders_of_a_permission(user_store: UserStore) -> None:
    user_store.create(new_user("a", permissions=("admin", "view")))
    bob = user_store.create(new_user("b", permissions=("view",)))
    user_store.create(new_user("c", permissions=("administrator",)))
    assert (user_store.count(), user_store.count("admin"), user_store.count("view")) == (3, 1, 2)
    user_store.set_permissions(bob.id, ("admin",))
    assert (user_store.count("admin"), user_store.count("view")) == (2, 1)
    user_store.delete(bob.id)
    assert (user_store.count(), user_store.count("admin"), user_store.count("nobody")) == (2, 1, 0)


# set_* updates


@pytest.mark.parametrize(
    "method, value, field",
    [
        ("set_permissions", ("admin", "edit"), "permissions"),
        ("set_profile", {"theme": "dark", "list": [1, {"x": None}]}, "profile"),
        ("set_api_key_hash", "c" * 64, "api_key_hash"),
    ],
)
def test_set_replaces_the_field_and_returns_the_updated_user(
    user_store: UserStore, method, value, field
) -> None:
    created = user_store.create(new_user())
    updated = getattr(user_store, method)(created.id, value)
    assert getattr(updated, field) == value
    assert user_store.get(created.id) == updated
    assert updated.username == created.username


@pytest.mark.parametrize(
    "method, value",
    [
        ("set_permissions", ("admin",)),
        ("set_profile", {}),
        ("set_api_key_hash", None),
    ],
)
@pytest.mark.parametrize("missing_id", MISSING_IDS)
def test_set_on_a_missing_user_returns_none(
    user_store: UserStore, method, value, missing_id
) -> None:
    user_store.create(new_user())
    assert getattr(user_store, method)(missing_id, value) is None


def test_set_api_key_hash_makes_only_the_new_hash_find_the_user(user_store: UserStore) -> None:
    created = user_store.create(new_user(api_key_hash="a" * 64))
    user_store.set_api_key_hash(created.id, "b" * 64)
    assert user_store.get_by_api_key_hash("a" * 64) is None
    assert user_store.get_by_api_key_hash("b" * 64).id == created.id
    cleared = user_store.set_api_key_hash(created.id, None)
    assert cleared.api_key_hash is None and user_store.get_by_api_key_hash("b" * 64) is None


def test_set_api_key_hash_refuses_another_users_hash(user_store: UserStore) -> None:
    alice = user_store.create(new_user("alice", api_key_hash="a" * 64))
    bob = user_store.create(new_user("bob"))
    with pytest.raises(ValueError):
        user_store.set_api_key_hash(bob.id, "a" * 64)
    assert (
        user_store.get_by_api_key_hash("a" * 64).id == alice.id
        and user_store.get(bob.id).api_key_hash is None
    )
    assert (
        user_store.set_api_key_hash(alice.id, "a" * 64).api_key_hash == "a" * 64
    )  # one's own hash again
    assert (
        user_store.set_api_key_hash("0123456789abcdef01234567", "a" * 64) is None
    )  # found by the state machine


# delete


def test_delete_removes_the_user_from_every_lookup(user_store: UserStore) -> None:
    created = user_store.create(new_user(api_key_hash="a" * 64))
    assert user_store.delete(created.id) is True
    assert user_store.get(created.id) is None
    assert user_store.get_by_username(created.username_key) is None
    assert user_store.get_by_api_key_hash("a" * 64) is None
    assert user_store.count() == 0


@pytest.mark.parametrize("missing_id", MISSING_IDS)
def test_delete_of_a_missing_user_returns_false(user_store: UserStore, missing_id: str) -> None:
    user_store.create(new_user())
    assert user_store.delete(missing_id) is False
    assert user_store.count() == 1


def test_a_deleted_username_can_be_taken_again(user_store: UserStore) -> None:
    user_store.delete(user_store.create(new_user("Alice")).id)
    assert user_store.create(new_user("alice")).username == "alice"


# password hash and credential version


def test_set_password_hash_writes_the_hash_and_the_version_together(user_store: UserStore) -> None:
    created = user_store.create(new_user())
    assert created.credential_version == ""
    updated = user_store.set_password_hash(created.id, "$2b$12$other", "v2")
    assert (updated.password_hash, updated.credential_version) == ("$2b$12$other", "v2")
    assert user_store.get(created.id) == updated


def test_set_password_hash_with_an_expected_hash_writes_only_over_that_hash(
    user_store: UserStore,
) -> None:
    created = user_store.create(new_user(password_hash="$2b$04$old"))
    user_store.set_password_hash(
        created.id, "$2b$04$reset", "v2"
    )  # someone else's change wrote first
    assert (
        user_store.set_password_hash(created.id, "$2b$04$mine", "v3", expected_hash="$2b$04$old")
        is None
    )
    assert user_store.get(created.id).password_hash == "$2b$04$reset"
    updated = user_store.set_password_hash(
        created.id, "$2b$04$mine", "v3", expected_hash="$2b$04$reset"
    )
    assert (updated.password_hash, updated.credential_version) == ("$2b$04$mine", "v3")


@pytest.mark.parametrize("missing_id", MISSING_IDS)
def test_set_password_hash_on_a_missing_user_returns_none(
    user_store: UserStore, missing_id: str
) -> None:
    user_store.create(new_user())
    assert user_store.set_password_hash(missing_id, "h", "v") is None


def test_upgrade_password_hash_replaces_only_the_hash_that_was_verified(
    user_store: UserStore,
) -> None:
    created = user_store.create(new_user(password_hash="5f4dcc3b5aa765d61d8327deb882cf99"))
    user_store.set_password_hash(
        created.id, "$2b$12$reset", "v2"
    )  # a reset wrote after the login read
    assert (
        user_store.upgrade_password_hash(
            created.id, "5f4dcc3b5aa765d61d8327deb882cf99", "$2b$12$old"
        )
        is False
    )
    assert user_store.get(created.id).password_hash == "$2b$12$reset"
    assert user_store.upgrade_password_hash(created.id, "$2b$12$reset", "$2b$13$same") is True
    stored = user_store.get(created.id)
    assert (stored.password_hash, stored.credential_version) == (
        "$2b$13$same",
        "v2",
    )  # the version stays


@pytest.mark.parametrize("missing_id", MISSING_IDS)
def test_upgrade_password_hash_of_a_missing_user_is_false(
    user_store: UserStore, missing_id: str
) -> None:
    assert user_store.upgrade_password_hash(missing_id, "h", "h2") is False


def test_lookups_never_miss_a_user_while_it_is_updated(backend, user_store: UserStore) -> None:
    """Found by tests/test_concurrency.py: an update removed and re-added the record, so a read
    between saw none."""
    if not backend.thread_safe:
        pytest.skip(
            "mongomock is not thread-safe: concurrency is tested on the memory store and real "
            "MongoDB"
        )
    user = user_store.create(new_user("alice"))
    misses: list[str] = []
    updated = threading.Event()

    def update() -> None:
        for i in range(20_000):
            user_store.set_api_key_hash(user.id, f"{i:064d}")
            user_store.set_profile(user.id, {"i": i})
        updated.set()

    def read() -> None:
        while not updated.is_set():  # read for as long as the updates go on
            if user_store.get(user.id) is None or user_store.get_by_username("alice") is None:
                misses.append("missed")

    run_in_threads(
        lambda role: update() if role == "update" else read(), [("update",), ("read",), ("read",)]
    )
    assert misses == []
