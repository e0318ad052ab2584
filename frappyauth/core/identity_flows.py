"""The single-use values of an identity provider flow, stored hashed as mailed tokens are: the
`state` from the start to the provider's callback, and the code from the callback to the front
end's exchange (`SignIn.with_identity`).

Both are 256 random bits, taken from the store atomically (single use) and short-lived; the code
is bound to the user's credential, so a password change between callback and exchange voids it.
"""

from __future__ import annotations

from datetime import timedelta

from frappyauth.core.context import ServiceContext
from frappyauth.core.errors import InvalidTokenError, ProviderRefusedError
from frappyauth.core.mail_tokens import binding_of
from frappyauth.core.minting import hash_secret, new_secret
from frappyauth.core.models import Identity, MailToken, User
from frappyauth.core.protocols import MailTokenStore
from frappyauth.core.sessions import require_recent_login
from frappyauth.core.throttle import Throttle

FLOW, SIGN_IN_CODE = "identity_flow", "identity_sign_in"
FLOW_LIFETIME = timedelta(minutes=10)  # from the start to the provider's callback
CODE_LIFETIME = timedelta(seconds=60)  # from the callback to the front end's exchange


class IdentityFlows:
    """Issues and takes the single-use values of provider flows."""

    def __init__(self, context: ServiceContext, throttle: Throttle) -> None:
        self._context, self._throttle = context, throttle

    @property
    def _tokens(self) -> MailTokenStore:
        store = self._context.stores.mail_tokens
        assert store is not None  # resolved whenever option identity_providers is set
        return store

    def begin_flow(
        self, linking_user: User | None, remote_addr: str | None, binding: str = ""
    ) -> str:
        """A new flow's `state` (stored hashed, single use, `FLOW_LIFETIME`); a linking flow
        remembers its user and (`binding`) the session that started it. Anyone may start one, so
        each start is counted per client network before it is stored."""
        self._throttle.limit_anonymous("identity_flow", remote_addr)
        return self._issue(FLOW, linking_user, FLOW_LIFETIME, binding=binding)

    def begin_link(self, identity: Identity, remote_addr: str | None) -> str:
        """A linking flow's `state`, for a session made within minutes (a stolen older session
        cannot add a way in, as with passkeys)."""
        require_recent_login(identity, self._context.clock())
        assert identity.session is not None  # a recent login is a session
        return self.begin_flow(identity.user, remote_addr, binding=identity.session.session_id)

    def end_flow(self, state: str) -> tuple[str, str] | None:
        """Use up the flow's `state`; return the user id and session id that started a linking
        flow (`None` for a sign-in flow).
        `ProviderRefusedError(reason="invalid_state")` for a state unknown, used or expired."""
        token = self._tokens.take(hash_secret(state), FLOW, self._context.clock())
        if token is None:
            raise ProviderRefusedError(
                "The sign-in expired or was used; retry.", reason="invalid_state"
            )
        return (token.user_id, token.binding) if token.user_id else None

    def take_code(self, code: str) -> User:
        """The user a callback's code signs in; `InvalidTokenError` if the code is unknown, used,
        expired, or the user's password changed since."""
        token = self._tokens.take(hash_secret(code), SIGN_IN_CODE, self._context.clock())
        user = None if token is None else self._context.stores.users.get(token.user_id)
        if token is None or user is None or binding_of(user) != token.binding:
            raise InvalidTokenError()
        return user

    def _issue(self, purpose: str, user: User | None, lifetime: timedelta, binding: str) -> str:
        now, secret = self._context.clock(), new_secret()
        self._tokens.create(
            MailToken(
                token_hash=hash_secret(secret),
                purpose=purpose,
                user_id=user.id if user else "",
                email="",
                binding=binding,
                created_at=now,
                expires_at=now + lifetime,
            )
        )
        return secret

    def issue_code(self, user: User) -> str:
        """The one-time code the callback hands the front end for `user`'s sign-in."""
        return self._issue(SIGN_IN_CODE, user, CODE_LIFETIME, binding=binding_of(user))
