"""Sign-in through identity providers (option `identity_providers`): which account a provider's
identity opens, linking and unlinking, and the single-use values of a flow.

An identity is its provider's (issuer, subject) pair; an address never identifies by itself. The
rules are those that stop pre-account hijacking (Sudhodanan & Paverd, USENIX Security 2022):

- an unlinked identity whose address a local account has is not merged (`AccountExistsError`),
  unless option `identity_merge_verified_email` allows it and both the provider's and the local
  address are verified, from a provider that verifies addresses;
- a new account is made only where option `registration` allows it (and its domain is allowed);
- linking to an account whose address was never verified ends the account's other sessions and
  voids its pending mailed links (an attacker who pre-registered the address loses his session and
  his address change).

The flow's single-use values are `identity_flows.IdentityFlows`'; the code a callback hands the
front end is exchanged for a sign-in through `SignIn.with_identity`, so a provider's sign-in ends
in the common finish like every other.
"""

from __future__ import annotations


from frappyauth.core import signals
from frappyauth.core.accounts import Accounts
from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import (
    AccountExistsError,
    IdentityLinkedElsewhereError,
    IdentityNotFoundError,
    InvalidEmailError,
    LastWayInError,
    ProviderRefusedError,
    SignUpClosedError,
    UnknownProviderError,
)
from frappyauth.core.identity_providers import ProviderAccount, ProviderSettings
from frappyauth.core.identity_providers import claimed_permissions
from frappyauth.core.federated_accounts import new_account
from frappyauth.core.minting import new_session_id
from frappyauth.core.passwords import NO_PASSWORD
from frappyauth.core.models import Actor, LinkedIdentity, Session, User, email_key
from frappyauth.core.protocols import IdentityStore
from frappyauth.core.sessions import Sessions

USERNAME_TRIES = 10


class Federation:
    """The identity providers of one app and the accounts their identities open."""

    def __init__(
        self,
        context: ServiceContext,
        accounts: Accounts,
        sessions: Sessions,
        providers: dict[str, ProviderSettings],
    ) -> None:
        self._context, self._accounts, self._sessions = context, accounts, sessions
        self.providers = providers

    @property
    def _identities(self) -> IdentityStore:
        store = self._context.stores.identities
        assert store is not None  # resolved whenever option identity_providers is set
        return store

    def provider(self, name: str) -> ProviderSettings:
        settings = self.providers.get(name)
        if settings is None:
            raise UnknownProviderError()
        return settings

    # signing in and linking

    def sign_in(self, account: ProviderAccount, remote_addr: str | None) -> User:
        """The account `account` opens: linked, merged (only as the rules allow) or new."""
        return self._linked_user(account) or self._unlinked_user(account, remote_addr)

    def link(
        self,
        user_id: str,
        account: ProviderAccount,
        remote_addr: str | None,
        keep: Session | None = None,
    ) -> User:
        """Link `account` to the user who started the linking flow; `keep` is the linking
        browser's session, which survives the rule for unverified addresses."""
        user = self._context.stores.users.get(user_id)
        if user is None:
            raise ProviderRefusedError(
                "The account that started this is gone.", reason="invalid_state"
            )
        linked = self._store_link(user, account, remote_addr)
        if linked.user_id != user.id:
            raise IdentityLinkedElsewhereError()
        if not user.email_verified:
            self._void_what_an_unverified_address_left(user, remote_addr, keep)
        return user

    def _linked_user(self, account: ProviderAccount) -> User | None:
        linked = self._identities.find(account.issuer, account.subject)
        if linked is None:
            return None
        user = self._context.stores.users.get(linked.user_id)
        if user is None:  # its user was deleted meanwhile: the link is stale
            self._identities.delete(linked.user_id, linked.identity_id)
            return None
        now = self._context.clock()
        self._identities.touch(linked.identity_id, now, account.email, account.email_verified)
        return self._grant_claimed(user, account)

    def _unlinked_user(self, account: ProviderAccount, remote_addr: str | None) -> User:
        settings, options = self.provider(account.provider), self._context.options
        address = self._proven_address(account)
        key = None if address is None else email_key(address)
        local = None if key is None else self._context.stores.users.get_by_email(key)
        if local is not None:
            if not self._may_merge(account, local):
                raise AccountExistsError()
            return self._owner_of(self._store_link(local, account, remote_addr))
        if not options.registration or not self._domain_allowed(key):
            raise SignUpClosedError()
        try:
            user = new_account(
                self._accounts, options.default_permissions, settings, account, address, remote_addr
            )
        except AccountExistsError:  # a concurrent first sign-in with this identity made it
            raced = self._linked_user(account)
            if raced is None:
                raise
            return raced
        linked = self._store_link(user, account, remote_addr)
        if linked.user_id != user.id:  # a concurrent first sign-in linked its own new account
            self._context.stores.users.delete(user.id)
        return self._owner_of(linked)

    def _may_merge(self, account: ProviderAccount, local: User) -> bool:
        """Only by option, only a proven address (see `_proven_address`) the same as the local one
        (not merely the same key: case folding makes distinct mailboxes equal), verified too."""
        return (
            self._context.options.identity_merge_verified_email
            and local.email_verified
            and local.email == self._proven_address(account)
        )

    def _proven_address(self, account: ProviderAccount) -> str | None:
        """The provider's address, normalised, if it is proven: the provider verifies addresses
        and says this one is verified. An unproven address is ignored entirely: it neither finds,
        nor makes, nor names an account (whoever typed it need not own it). Only the mail flows
        keep addresses unique, so without them `None` too."""
        settings = self.provider(account.provider)
        if (
            account.email is None
            or not (settings.verifies_email and account.email_verified)
            or not self._context.options.mail_flows
        ):
            return None
        from frappyauth.core.addresses import normalise_email

        try:
            return normalise_email(account.email)
        except InvalidEmailError:  # the provider's claim is no address: it identifies nothing
            return None

    def _domain_allowed(self, key: str | None) -> bool:
        domains = self._context.options.identity_sign_up_domains
        if not domains:
            return True
        return key is not None and key.rsplit("@", 1)[-1] in {d.casefold() for d in domains}

    def _store_link(
        self, user: User, account: ProviderAccount, remote_addr: str | None
    ) -> LinkedIdentity:
        now = self._context.clock()
        linked = self._identities.link(
            LinkedIdentity(
                identity_id=new_session_id(),
                user_id=user.id,
                provider=account.provider,
                issuer=account.issuer,
                subject=account.subject,
                email=account.email,
                email_verified=account.email_verified,
                created_at=now,
                last_used_at=now,
            )
        )
        if linked.user_id == user.id and linked.created_at == now:
            self._context.events.announce(
                signals.identity_linked,
                user_id=user.id,
                actor=Actor(user.id, remote_addr),
                provider=account.provider,
            )
        return linked

    def _owner_of(self, linked: LinkedIdentity) -> User:
        """The user a link belongs to (a concurrent callback may have linked it first)."""
        user = self._context.stores.users.get(linked.user_id)
        if user is None:
            raise ProviderRefusedError("The account was deleted meanwhile.", reason="invalid_state")
        return user

    def _grant_claimed(self, user: User, account: ProviderAccount) -> User:
        """Add the permissions the provider's claim grants; never takes any away."""
        granted = claimed_permissions(self.provider(account.provider), account)
        missing = tuple(p for p in granted if p not in user.permissions)
        if not missing:
            return user
        updated = self._context.stores.users.set_permissions(user.id, user.permissions + missing)
        return updated or user

    def _void_what_an_unverified_address_left(
        self, user: User, remote_addr: str | None, keep: Session | None
    ) -> None:
        """Whoever registered an unverified address may hold a session or a mailed link for it:
        after a link, only the linking session survives, and no pending link does."""
        self._sessions.end_all(user.id, Actor(user.id, remote_addr), keep=keep)
        mailed = self._context.stores.mail_tokens
        if mailed is not None:
            mailed.delete_for_user(user.id)

    # the account's identities

    def identities_of(self, user_id: str) -> list[LinkedIdentity]:
        return self._identities.list_for_user(user_id)

    def unlink(
        self,
        user: User,
        identity_id: str,
        actor: Actor,
        keep: Session | None = None,
        by_admin: bool = False,
    ) -> None:
        """Remove a link and end the account's sessions but `keep` (some may have come through the
        link: removing a stranger's identity must lock the stranger out).

        `LastWayInError` (unless an administrator asks) if the account would be left with no
        password, no passwordless passkey and no other identity. The check is made again after the
        delete: of two unlinks racing for an account's last two links, each then finds none left,
        puts its own back and answers 409.
        """
        linked = self._identities.get(user.id, identity_id)
        if linked is None:
            raise IdentityNotFoundError()
        if not by_admin and not self._has_way_in_but(user, identity_id):
            raise LastWayInError()
        if not self._identities.delete(user.id, identity_id):
            raise IdentityNotFoundError()
        if not by_admin and not self._has_way_in_but(user, identity_id):
            self._identities.link(linked)
            raise LastWayInError()
        self._sessions.end_all(user.id, actor, keep=keep)
        self._context.events.announce(signals.identity_unlinked, user_id=user.id, actor=actor)

    def _has_way_in_but(self, user: User, identity_id: str) -> bool:
        others = [
            i for i in self._identities.list_for_user(user.id) if i.identity_id != identity_id
        ]
        return bool(others) or self._has_other_way_in(user)

    def _has_other_way_in(self, user: User) -> bool:
        if user.password_hash != NO_PASSWORD:
            return True
        mfa = self._context.stores.mfa
        return bool(
            self._context.options.passwordless
            and mfa is not None
            and mfa.passkey_counts([user.id]).get(user.id)
        )
