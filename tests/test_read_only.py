"""A user is a read-only value, so a store can hand out its own record: the profile's kinds, and
narrowing."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from frappyauth.core.models import User
from frappyauth.core.read_only import ReadOnlyDict, ReadOnlyList, read_only


def user(**fields) -> User:
    return User(**{"id": "u1", "username": "ann", "password_hash": "$2b$04$x", **fields})


def test_the_callers_values_of_every_kind_are_not_the_stored_ones() -> None:
    class Note:  # a value no JSON or BSON decoder makes
        def __init__(self) -> None:
            self.text = "kept"

    tags, pair, note = {"a"}, (1, [2]), Note()
    profile = user(
        profile={
            "tags": tags,
            "pair": pair,
            "note": note,
            "at": datetime(2026, 1, 1, tzinfo=timezone.utc),
            "flag": True,
            "raw": b"x",
            "none": None,
        }
    ).profile
    tags.add("b")
    pair[1].append(3)
    note.text = "changed"
    assert profile["tags"] == {"a"} and isinstance(profile["tags"], frozenset)
    assert profile["pair"] == (1, [2]) and isinstance(profile["pair"][1], ReadOnlyList)
    assert profile["note"].text == "kept"
    assert (profile["flag"], profile["raw"], profile["none"]) == (True, b"x", None)


def test_read_only_values_serialise_pickle_and_copy_to_an_editable_value() -> None:
    profile = user(profile={"a": [1, {"b": 2}]}).profile
    assert json.loads(json.dumps(profile)) == {"a": [1, {"b": 2}]}
    again = pickle.loads(pickle.dumps(profile))
    assert (
        again == profile
        and isinstance(again, ReadOnlyDict)
        and isinstance(again["a"], ReadOnlyList)
    )
    assert copy.copy(profile) is profile
    editable = copy.deepcopy(profile)
    editable["a"][1]["b"] = 3
    assert type(editable) is dict and profile["a"][1]["b"] == 2
    assert (
        read_only(profile) is profile and user(profile={}).profile is user(profile={}).profile
    )  # shared empty


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.__setitem__("x", 1),
        lambda p: p.__delitem__("a"),
        lambda p: p.update(x=1),
        lambda p: p.pop("a"),
        lambda p: p.popitem(),
        lambda p: p.clear(),
        lambda p: p.setdefault("x", 1),
        lambda p: p.__ior__({"x": 1}),
        lambda p: p["a"].append(1),
        lambda p: p["a"].extend([1]),
        lambda p: p["a"].insert(0, 1),
        lambda p: p["a"].pop(),
        lambda p: p["a"].remove(1),
        lambda p: p["a"].clear(),
        lambda p: p["a"].sort(),
        lambda p: p["a"].reverse(),
        lambda p: p["a"].__setitem__(0, 9),
        lambda p: p["a"].__delitem__(0),
        lambda p: p["a"].__iadd__([1]),
        lambda p: p["a"].__imul__(2),
    ],
)
def test_every_change_is_refused(change) -> None:
    profile = user(profile={"a": [1, 2]}).profile
    with pytest.raises(TypeError, match="read-only"):
        change(profile)
    assert profile == {"a": [1, 2]}


def test_a_narrowed_user_is_a_new_value_of_the_same_kind_with_every_field() -> None:
    @dataclass(frozen=True, slots=True)
    class TenantUser(User):
        tenant: str = ""

    for owner in (
        user(permissions=("a", "b")),
        TenantUser(
            id="u1", username="ann", password_hash="$2b$04$x", permissions=("a", "b"), tenant="t1"
        ),
    ):
        narrowed = owner.with_permissions(("a",))
        assert (
            type(narrowed) is type(owner)
            and narrowed.permissions == ("a",)
            and owner.permissions == ("a", "b")
        )
        assert narrowed == dataclasses.replace(owner, permissions=("a",))
