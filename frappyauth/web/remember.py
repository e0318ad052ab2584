"""The `remember` field of a sign-in (option `remember_me`): a persistent session cookie, or one
that ends with the browser session.

Every step that can start a session reads it: `POST /login`, and the second steps
(`POST /login/mfa`, `POST /passkeys/login`) that start the session when a second factor is owed.
The client sends its choice with the step that ends the sign-in, as it sends `trustDevice`; the
pending sign-in keeps nothing of it, so an mfaToken is all a second step needs, as before.
"""

from __future__ import annotations

from typing import Any

from frappyauth.core.errors import BadRequestError
from frappyauth.web.state import current_state

REMEMBER = {
    "type": "boolean",
    "description": "With option remember_me: a cookie that outlives the browser session "
    "(remember_lifetime), else one that ends with it.",
}


def remember_choice(body: dict[str, Any]) -> bool | None:
    """The client's choice, `False` when it sent none; `None` without option `remember_me` (the
    field is then ignored like any other unknown one, and the seed's cookie is set)."""
    if not current_state().services.options.remember_me:
        return None
    value = body.get("remember", False)
    if not isinstance(value, bool):
        raise BadRequestError("The field 'remember' must be true or false.")
    return value
