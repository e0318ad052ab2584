"""Passkeys (WebAuthn, with py_webauthn): registering them, and logging in with one as a second
factor after the password or, with the option `passwordless`, as the only factor.

Every challenge is 256 random bits, stored only as its SHA-256, for one ceremony and (but for a
passwordless login) one user, spent by its first use and valid for five minutes. A response is
refused with a 400 that says why: another origin or relying party, a challenge unknown, spent or
expired, a bad signature, or a sign count that did not grow (a cloned authenticator: also a security
event). Imported only with the option `passkeys`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from frappyauth.core import signals
from frappyauth.core.errors import (
    BadRequestError,
    ConflictError,
    PasskeyChallengeError,
    PasskeyClonedError,
    PasskeyNotFoundError,
    PasskeyOriginError,
    PasskeyRefusedError,
    PasskeyRelyingPartyError,
    PasskeySignatureError,
    RecentLoginRequiredError,
)
from frappyauth.core.second_factors import SecondFactors
from frappyauth.core.mfa_models import Passkey, PasskeyChallenge, RelyingParty
from frappyauth.core.minting import hash_secret
from frappyauth.core.models import Actor, Identity, User
from frappyauth.core.context import ServiceContext
from frappyauth.core.sessions import signed_in_recently
from frappyauth.core.throttle import Admission, Throttle

CHALLENGE_LIFETIME = timedelta(minutes=5)
REGISTER, LOGIN = "register", "login"
MAX_NAME_LENGTH = 100


class Passkeys:
    """Passkeys for one app: every decision here, persistence in the MFA store."""

    def __init__(
        self, context: ServiceContext, throttle: Throttle, second_factors: SecondFactors
    ) -> None:
        self._context, self._second_factors, self._store = (
            context,
            second_factors,
            second_factors.store,
        )
        self._throttle = throttle
        self._verification = UserVerificationRequirement(context.options.webauthn_user_verification)

    # registration

    def check_recent_login(self, identity: Identity) -> None:
        """Raise `RecentLoginRequiredError` unless the request's session began within
        `RECENT_LOGIN`: a stolen older session (without the password) cannot plant a credential
        that outlives the owner's password change."""
        if not signed_in_recently(identity.session, self._context.clock()):
            raise RecentLoginRequiredError()

    def registration_options(self, identity: Identity, rp: RelyingParty) -> dict[str, Any]:
        """The options for `navigator.credentials.create()`, with a new challenge for this user."""
        self.check_recent_login(identity)
        user = identity.user
        resident = (
            ResidentKeyRequirement.REQUIRED
            if self._context.options.passwordless
            else ResidentKeyRequirement.PREFERRED
        )
        options = generate_registration_options(
            rp_id=rp.rp_id,
            rp_name=self._context.options.webauthn_rp_name,
            user_name=user.username,
            user_id=user.id.encode("utf-8"),
            challenge=self._new_challenge(REGISTER, user.id),
            exclude_credentials=self._descriptors(user.id),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=resident, user_verification=self._verification
            ),
        )
        return json.loads(options_to_json(options))

    def register(
        self,
        identity: Identity,
        rp: RelyingParty,
        name: str,
        credential: dict[str, Any],
        actor: Actor,
    ) -> Passkey:
        """Verify the response of `navigator.credentials.create()` and keep the passkey under
        `name`."""
        _check_name(name)
        self.check_recent_login(identity)
        client = _client_data(credential, "webauthn.create")
        self._take(client, REGISTER, identity.user.id)
        _check_origin(client, rp)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=_b64(client["challenge"]),
                expected_rp_id=rp.rp_id,
                expected_origin=list(rp.origins),
                require_user_verification=self._verification_required,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as refused:
            raise _refusal(refused) from None
        passkey = Passkey(
            credential_id=_b64_text(verified.credential_id),
            user_id=identity.user.id,
            name=name,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            created_at=self._context.clock(),
        )
        try:
            self._store.create_passkey(passkey)
        except ValueError:
            raise ConflictError("This passkey is registered already.") from None
        self._context.events.announce(
            signals.passkey_registered,
            user_id=passkey.user_id,
            actor=actor,
            passkey_id=passkey.credential_id,
        )
        return passkey

    # the user's passkeys

    def of_user(self, user_id: str) -> list[Passkey]:
        return self._store.list_passkeys(user_id)

    def rename(self, user_id: str, credential_id: str, name: str) -> Passkey:
        _check_name(name)
        renamed = self._store.rename_passkey(user_id, credential_id, name)
        if renamed is None:
            raise PasskeyNotFoundError()
        return renamed

    def delete(self, identity: Identity, credential_id: str, actor: Actor) -> None:
        self.check_recent_login(identity)
        user_id = identity.user.id
        if not self._store.delete_passkey(user_id, credential_id):
            raise PasskeyNotFoundError()
        self._context.events.announce(
            signals.passkey_removed, user_id=user_id, actor=actor, passkey_id=credential_id
        )

    # login

    def login_options(self, rp: RelyingParty, mfa_token: str | None) -> dict[str, Any]:
        """The options for `navigator.credentials.get()`: for the user of a pending login
        (`mfa_token`), or with `passwordless` for whoever the authenticator holds a passkey of
        (discoverable credentials)."""
        user_id = None if mfa_token is None else self._second_factors.pending(mfa_token)[1].id
        if user_id is None and not self._context.options.passwordless:
            raise BadRequestError(
                "Give the mfaToken of POST /login: passkeys are a second factor here."
            )
        options = generate_authentication_options(
            rp_id=rp.rp_id,
            challenge=self._new_challenge(LOGIN, user_id),
            allow_credentials=self._descriptors(user_id) if user_id else [],
            user_verification=self._verification
            if user_id
            else UserVerificationRequirement.REQUIRED,
        )
        return json.loads(options_to_json(options))

    def login(
        self,
        rp: RelyingParty,
        mfa_token: str | None,
        credential: dict[str, Any],
        remote_addr: str | None,
    ) -> tuple[User, Admission]:
        """Verify the response of `navigator.credentials.get()`; return the user it signs in and the
        counted attempt, for `SignIn.finish`."""
        pending = None if mfa_token is None else self._second_factors.pending(mfa_token)
        client = _client_data(credential, "webauthn.get")
        challenge = self._take(client, LOGIN, pending[1].id if pending else None)
        credential_id = credential.get("id")
        passkey = self._store.get_passkey(credential_id) if isinstance(credential_id, str) else None
        user = None if passkey is None else self._context.stores.users.get(passkey.user_id)
        if (
            passkey is None
            or user is None
            or (challenge.user_id is not None and challenge.user_id != user.id)
        ):
            raise PasskeyRefusedError("This passkey is not one of this login's.")
        admission = self._throttle.admit(user.username_key, remote_addr)
        # Alone (passwordless), a passkey is the whole login: a stolen key without its PIN or
        # biometric is not.
        self._check_assertion(
            rp,
            client,
            credential,
            passkey,
            Actor(None, remote_addr),
            require_verification=self._verification_required or pending is None,
        )
        if pending is not None:
            self._second_factors.spend(pending[0], admission.when)
        return user, admission

    @property
    def _verification_required(self) -> bool:
        return self._verification == UserVerificationRequirement.REQUIRED

    def _check_assertion(
        self,
        rp: RelyingParty,
        client: dict[str, Any],
        credential: dict[str, Any],
        passkey: Passkey,
        actor: Actor,
        require_verification: bool,
    ) -> None:
        _check_origin(client, rp)
        data = _b64(_response_field(credential, "authenticatorData"))
        if len(data) < 37:
            raise PasskeyRefusedError("The authenticator data is malformed.")
        if data[:32] != hashlib.sha256(rp.rp_id.encode("utf-8")).digest():
            raise PasskeyRelyingPartyError()
        count = int.from_bytes(data[33:37], "big")
        if (count or passkey.sign_count) and count <= passkey.sign_count:
            self._second_factors.refused(
                passkey.user_id,
                actor,
                "passkey sign count went backwards",
                passkey_id=passkey.credential_id,
            )
            raise PasskeyClonedError()
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=_b64(client["challenge"]),
                expected_rp_id=rp.rp_id,
                expected_origin=list(rp.origins),
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=require_verification,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as refused:
            self._second_factors.refused(passkey.user_id, actor, "passkey refused")
            raise _refusal(refused) from None
        if not self._store.use_passkey(
            passkey.credential_id,
            passkey.sign_count,
            verified.new_sign_count,
            self._context.clock(),
        ):
            raise PasskeyClonedError(
                "This passkey was used at the same moment elsewhere; try again."
            )

    # challenges

    def _new_challenge(self, ceremony: str, user_id: str | None) -> bytes:
        challenge = secrets.token_bytes(32)
        self._store.create_passkey_challenge(
            PasskeyChallenge(
                challenge_hash=hash_secret(_b64_text(challenge)),
                ceremony=ceremony,
                user_id=user_id,
                expires_at=self._context.clock() + CHALLENGE_LIFETIME,
            )
        )
        return challenge

    def _take(self, client: dict[str, Any], ceremony: str, user_id: str | None) -> PasskeyChallenge:
        """Spend the challenge the response signed; it must be of this ceremony and, if bound,
        this user's."""
        challenge = self._store.take_passkey_challenge(
            hash_secret(client["challenge"]), self._context.clock()
        )
        if challenge is None or challenge.ceremony != ceremony or challenge.user_id != user_id:
            raise PasskeyChallengeError()
        return challenge

    def _descriptors(self, user_id: str) -> list[PublicKeyCredentialDescriptor]:
        return [
            PublicKeyCredentialDescriptor(id=_b64(p.credential_id))
            for p in self._store.list_passkeys(user_id)
        ]


def _check_name(name: str) -> None:
    if not name or name != name.strip() or not name.isprintable() or len(name) > MAX_NAME_LENGTH:
        raise BadRequestError(
            f"The passkey name must be printable text of 1 to {MAX_NAME_LENGTH} characters."
        )


def _check_origin(client: dict[str, Any], rp: RelyingParty) -> None:
    if client.get("origin") not in rp.origins:
        raise PasskeyOriginError()


def _client_data(credential: dict[str, Any], kind: str) -> dict[str, Any]:
    """The client data the authenticator signed over, checked for its type and a challenge."""
    try:
        client = json.loads(_b64(_response_field(credential, "clientDataJSON")))
    except (ValueError, UnicodeDecodeError):
        raise PasskeyRefusedError("The clientDataJSON is malformed.") from None
    if (
        not isinstance(client, dict)
        or client.get("type") != kind
        or not isinstance(client.get("challenge"), str)
    ):
        raise PasskeyRefusedError(f"The clientDataJSON is not of a {kind} ceremony.")
    return client


def _response_field(credential: dict[str, Any], name: str) -> str:
    response = credential.get("response")
    value = response.get(name) if isinstance(response, dict) else None
    if not isinstance(value, str) or len(value) > 64 * 1024:
        raise PasskeyRefusedError(f"The credential's response.{name} is missing or malformed.")
    return value


def _b64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PasskeyRefusedError("A field is not base64url.") from None


def _b64_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _refusal(error: Exception) -> PasskeyRefusedError:
    reason = str(error)
    if "RP ID hash" in reason:
        return PasskeyRelyingPartyError()
    if "signature" in reason.lower():
        return PasskeySignatureError()
    if "origin" in reason:
        return PasskeyOriginError()
    return PasskeyRefusedError()
