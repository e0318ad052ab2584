"""Email addresses: validated and normalised with `email-validator` (the `[mail]` extra), unique
ignoring case.

Only the mail flows import this module, so an app without them needs no `email-validator`.
"""

from __future__ import annotations

import email_validator

from frappyauth.core.errors import InvalidEmailError
from frappyauth.core.models import email_key
from frappyauth.core.usernames import check_email_length


def normalise_email(address: str) -> str:
    """Return the address in its normalised form (Unicode NFC, lower-case domain);
    `InvalidEmailError` if bad.

    Deliverability (DNS) is not checked: no network lookups in a request, and a mail that cannot be
    delivered simply never gets its link used.
    """
    if not isinstance(address, str):
        raise InvalidEmailError()
    check_email_length(address)
    try:
        return email_validator.validate_email(address, check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        raise InvalidEmailError() from None


__all__ = ["email_key", "normalise_email"]  # email_key lives with the records, needing no extra
