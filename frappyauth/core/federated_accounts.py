"""Accounts made by a first sign-in through an identity provider: their username, permissions and
address."""

from __future__ import annotations

from frappyauth.core.accounts import Accounts
from frappyauth.core.errors import (
    AccountExistsError,
    BadRequestError,
    DuplicateEmailError,
    DuplicateUsernameError,
)
from frappyauth.core.identity_providers import (
    ProviderAccount,
    ProviderSettings,
    claimed_permissions,
)
from frappyauth.core.lookalikes import has_default_ignorable
from frappyauth.core.minting import new_secret
from frappyauth.core.models import Actor, User, email_key

NUMBERED = 9  # "alice", "alice-2" ... "alice-9", then a random suffix
MAX_BASE_LENGTH = 40


def new_account(
    accounts: Accounts,
    defaults: tuple[str, ...],
    settings: ProviderSettings,
    account: ProviderAccount,
    address: str | None,
    remote_addr: str | None,
) -> User:
    """Create the account: `default_permissions` and what the provider's claim grants, the proven
    `address` (verified) or none, no password, and the first free username derived from the
    provider's name for it. `AccountExistsError` when the address was taken meanwhile."""
    permissions = defaults + tuple(
        p for p in claimed_permissions(settings, account) if p not in defaults
    )
    hint = account.name_hint or (address or "").split("@")[0] or account.provider
    for username in candidate_usernames(hint):
        try:
            return accounts.create(
                username,
                None,
                permissions=permissions,
                email=address,
                email_key=None if address is None else email_key(address),
                email_verified=address is not None,
                actor=Actor(None, remote_addr),
            )
        except (DuplicateUsernameError, BadRequestError):  # taken, a lookalike, or unusable
            continue
        except DuplicateEmailError:
            raise AccountExistsError() from None
    raise AccountExistsError("No free username could be derived for this identity.")


def candidate_usernames(hint: str) -> list[str]:
    """Usernames to try, from a name a provider chose (a hostile provider chooses anything):
    visible, printable characters only, capped; numbered; then random."""
    base = (
        "".join(
            c for c in hint if c.isprintable() and not c.isspace() and not has_default_ignorable(c)
        )[:MAX_BASE_LENGTH]
        or "user"
    )
    numbered = [base] + [f"{base}-{n}" for n in range(2, NUMBERED + 1)]
    return numbered + [f"{base}-{new_secret()[:8]}", f"user-{new_secret()[:12]}"]
