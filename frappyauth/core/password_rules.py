"""What a new password must pass: the one check behind sign-up, a change, a reset, an
administrator's set and the CLI's `set-password` (never a login).

In this order, cheapest first: the length limits; with `refuse_common_passwords`, the shipped list
of common passwords (`common_passwords`); with `min_password_score`, the strength estimate (the
`[strength]` extra, zxcvbn); with `breached_password_check`, the online range check
(`breached_passwords`), which never refuses when it cannot be made.
"""

from __future__ import annotations

from collections.abc import Callable

from frappyauth.core.breached_passwords import BreachedPasswords
from frappyauth.core.common_passwords import is_common_password
from frappyauth.core.errors import (
    PasswordBreachedError,
    PasswordTooCommonError,
    PasswordTooWeakError,
)
from frappyauth.core.options import Options
from frappyauth.core.passwords import check_new_password

# A strength estimate: password -> (score from 0 to 4, advice for the user, possibly empty).
StrengthEstimate = Callable[[str], tuple[int, str]]


class PasswordRules:
    """The rules of one app's options; built once in `services.build_services`."""

    def __init__(
        self,
        options: Options,
        estimate: StrengthEstimate | None = None,
        breached: BreachedPasswords | None = None,
    ) -> None:
        self._options, self._estimate, self._breached = options, estimate, breached

    def check(self, password: object) -> str:
        """Return `password` if it may be set; raise `InvalidPasswordError` (length),
        `PasswordTooCommonError`, `PasswordTooWeakError` or `PasswordBreachedError` otherwise."""
        options = self._options
        checked = check_new_password(
            password, options.password_min_length, options.password_max_length
        )
        if options.refuse_common_passwords and is_common_password(checked):
            raise PasswordTooCommonError()
        minimum = options.min_password_score
        if self._estimate is not None and minimum is not None:
            score, advice = self._estimate(checked)
            if score < minimum:
                # The advice is the estimator's own English words, shown as they come.
                raise (
                    PasswordTooWeakError(
                        "That password is too easy to guess. {advice}", advice=advice
                    )
                    if advice
                    else PasswordTooWeakError()
                )
        if self._breached is not None and self._breached.is_breached(checked):
            raise PasswordBreachedError()
        return checked


def zxcvbn_estimate(user_inputs: tuple[str, ...] = ()) -> StrengthEstimate:
    """The `[strength]` extra's estimate; raises `RuntimeError` when zxcvbn is not installed."""
    try:
        from zxcvbn import zxcvbn
    except ImportError:
        raise RuntimeError(
            "frappyauth option 'min_password_score' needs the strength extra: pip install "
            "'frappyauth[strength]'."
        ) from None

    def estimate(password: str) -> tuple[int, str]:
        result = zxcvbn(password[:100], user_inputs=list(user_inputs))  # its cost grows with length
        feedback = result.get("feedback") or {}
        advice = " ".join(
            filter(None, [feedback.get("warning") or "", *(feedback.get("suggestions") or [])])
        )
        return int(result["score"]), advice

    return estimate
