"""What a username may be: checked, and capped before anything normalises, hashes, counts or
stores it."""

from __future__ import annotations

from frappyauth.core.errors import BadRequestError
from frappyauth.core.lookalikes import has_default_ignorable
from frappyauth.core.models import username_key

MAX_USERNAME_LENGTH = 150


def check_username_length(username: str) -> None:
    """The creation cap, on the given and the normalised form: NFKC expands some characters 18-fold,
    so a short request could otherwise make a huge counter key."""
    if len(username) > MAX_USERNAME_LENGTH or len(username_key(username)) > MAX_USERNAME_LENGTH:
        raise BadRequestError(f"The username must have at most {MAX_USERNAME_LENGTH} characters.")


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
