"""Read-only JSON values: a stored user's profile, which a store hands out without copying it.

A profile is a `dict` (and its lists are `list`s) that refuses every change, so it still serialises
as JSON and BSON, compares equal to the plain value, and passes `isinstance(..., dict)`. Copying it
is free: nothing can change it. To edit a profile, build a new one (`dict(user.profile)`,
`copy.deepcopy(user.profile)` for a mutable deep copy) and pass it to `set_profile`.

Not `frozendict` with tuples for lists: `(1, 2) == [1, 2]` is false, so a profile read back would no
longer equal the one written.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

REFUSAL = "A stored user's profile is read-only: build a new one and pass it to set_profile()."


def _refuse(self: object, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(REFUSAL)


class ReadOnlyDict(dict[str, Any]):
    """A `dict` that refuses changes; made by `read_only`, whose values are read-only too."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> ReadOnlyDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {
            key: copy.deepcopy(value, memo) for key, value in self.items()
        }  # a mutable copy to edit

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadOnlyDict, (dict(self),))


class ReadOnlyList(list[Any]):
    """A `list` that refuses changes; made by `read_only`, whose items are read-only too."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = insert = pop = remove = (
        clear
    ) = sort = reverse = _refuse

    def __copy__(self) -> ReadOnlyList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(item, memo) for item in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadOnlyList, (list(self),))


EMPTY = ReadOnlyDict()  # most profiles are empty: one object for all of them


IMMUTABLE_SCALARS = (
    str,
    int,
    float,
    bytes,
    type(None),
)  # JSON's, and most of BSON's (bool is an int)


def read_only(value: Any) -> Any:
    """`value` made read-only, deeply: dicts and lists become the read-only kinds, tuples and sets
    keep their kind (a tuple, a `frozenset`) with read-only items, immutable scalars stay.
    Anything else (a value no JSON or BSON decoder makes) is deep-copied, so the caller's object
    is not the stored one; treat it as read-only. A value `read_only` made is returned as it is."""
    if type(value) in (ReadOnlyDict, ReadOnlyList) or isinstance(value, IMMUTABLE_SCALARS):
        return value
    if isinstance(value, dict):
        return (
            ReadOnlyDict({key: read_only(item) for key, item in value.items()}) if value else EMPTY
        )
    if isinstance(value, list):
        return ReadOnlyList(read_only(item) for item in value)
    if isinstance(value, tuple):
        return tuple(read_only(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(read_only(item) for item in value)
    return copy.deepcopy(value)
