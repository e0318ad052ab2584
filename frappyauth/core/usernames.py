"""What a username may be; and the caps on what a client names an account by, a username or an
address, applied before anything normalises, hashes, counts or stores it.

NFKC turns some characters into 18 (U+FDFA): capped only after normalising, a 63 KB request could
make a 378,000-character throttle key. So every name from a request becomes a key through
`capped_username_key`, and every address passes `check_email_length` (`addresses.normalise_email`
calls it first).
"""

from __future__ import annotations

from frappyauth.core.errors import BadRequestError, InvalidEmailError
from frappyauth.core.lookalikes import has_default_ignorable, lookalike_keys
from frappyauth.core.models import username_key

MAX_USERNAME_LENGTH = 150
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path


def check_username_length(username: str) -> None:
    """The creation cap, on the given and the normalised form: NFKC expands some characters 18-fold,
    so a short request could otherwise make a huge counter key."""
    if len(username) > MAX_USERNAME_LENGTH or len(username_key(username)) > MAX_USERNAME_LENGTH:
        raise BadRequestError(
            "The username must have at most {limit} characters.", limit=MAX_USERNAME_LENGTH
        )


def check_username(username: str) -> None:
    """Printable, without surrounding spaces or invisible code points, at most 150 characters: a
    name people can read and type. Applies when a name is created; existing names stay valid."""
    if not username or username != username.strip() or not username.isprintable():
        raise BadRequestError(
            "The username must be printable text without leading or trailing spaces."
        )
    check_username_length(username)
    if has_default_ignorable(username):  # "admin\ufe0f" shows as "admin"
        raise BadRequestError("The username must not contain invisible characters.")


def capped_username_key(username: str) -> str:
    """The key of a username a client sent (to sign in, to name an account): capped first, then
    normalised. Every name from a request goes through here before it is counted or looked up."""
    check_username_length(username)
    return username_key(username)


def check_email_length(address: str) -> None:
    """The cap on an address, before it is validated, normalised (NFC) or kept as given."""
    if len(address) > MAX_EMAIL_LENGTH:
        raise InvalidEmailError()


def name_keys(username: str) -> tuple[str, str, str]:
    """Every key a name is held by: its `username_key` and its two lookalike keys. A renamed
    user's old name stays reserved under all three, so neither it nor a lookalike of it can be
    taken at once."""
    return (username_key(username), *lookalike_keys(username))
