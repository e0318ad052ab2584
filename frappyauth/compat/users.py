"""The user record with frappymongouser's attributes (`to_json`, `user_id`, `api_key`), never its
secrets."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from frappyauth.core import models

# What `User.api_key` answers for a user with a key: the key itself is not stored, only its hash.
HIDDEN_API_KEY = "(hidden: frappyauth stores only a hash of the key)"


def deprecated(old: str, new: str) -> None:
    """Warn, from the caller's caller (the application's line), that `old` is replaced by `new`."""
    warnings.warn(f"{old} is deprecated; use {new}.", DeprecationWarning, stacklevel=3)


@dataclass(frozen=True)
class User(models.User):
    """A `frappyauth.User` that also answers frappymongouser's attributes, with a warning each.

    `uid` and `data_model_version` are the document's `uid` and `dataModelVersion`, kept as they
    were.
    """

    uid: str | None = None
    data_model_version: int | None = None
    # Asked only when `api_key` is read: whether the user holds the key `POST /key` manages, which
    # lives in the API-key store, not on this record.
    holds_default_key: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Keep the profile a plain, mutable `dict`, as frappymongouser's was: old code edits it in
        place and passes it to `update_profile`. Harmless here: this store builds a new `User`
        from each document read."""
        object.__setattr__(
            self, "profile", copy.deepcopy(self.profile)
        )  # a read-only one deep-copies to a dict

    @property
    def user_id(self) -> str | None:
        """frappymongouser's `user_id` was the document's `uid` field (the id is `user.id`)."""
        deprecated("User.user_id", "User.uid")
        return self.uid

    @property
    def api_key(self) -> str | None:
        """`None` without a key; with one, a placeholder: the key cannot be read back (it is
        hashed)."""
        deprecated("User.api_key", "User.api_key_hash is not None (`hasApiKey` in the user JSON)")
        has_key = self.api_key_hash is not None or (
            self.holds_default_key is not None and self.holds_default_key(self.id)
        )
        return HIDDEN_API_KEY if has_key else None

    def to_json(self) -> dict[str, Any]:
        """frappymongouser's shape without its secrets: no `password`, no `apiKey`."""
        deprecated(
            "User.to_json()",
            "the user JSON of the endpoints (`frappyauth.web.responses.user_json`)",
        )
        body: dict[str, Any] = {"_id": self.id}
        if self.data_model_version is not None:
            body["dataModelVersion"] = self.data_model_version
        if self.username:
            body["username"] = self.username
        body["permissions"] = list(self.permissions)
        if self.email is not None:
            body["email"] = self.email
        if self.uid is not None:
            body["uid"] = self.uid
        body["profile"] = self.profile
        return body
