"""The core's errors: one root, each subclass with a fixed HTTP status and a stable machine code.

Programmer mistakes (bad options, a missing `register_endpoints`) raise `ValueError`/`RuntimeError`
instead; these errors describe something a client or a backend did, and the HTTP layer renders them.
Messages never contain a password, token, key or hash.
"""

from __future__ import annotations

from typing import Any


class Text(str):
    """A piece of English text to be translated when it is shown (gettext's `N_`): a value given
    to an error's message that is words, not data (`"a string"` in "The field 'x' must be a
    string."). Message extraction collects `Text("...")` calls."""


class FrappyAuthError(Exception):
    """Root of every error the HTTP layer turns into a JSON answer.

    A message is an English template, extracted into the translation catalog as it is written:
    data goes in as keyword arguments named in it (`BadRequestError("At most {limit}.",
    limit=5)`), never into an f-string, so the HTTP layer can translate the template and then fill
    it in. `message` is the English sentence, filled in.
    """

    status: int = 500
    code: str = "internal_error"
    message: str = "The server could not complete the request."

    def __init__(self, message: str | None = None, **params: Any) -> None:
        self.template = message or self.message
        self.params = params
        self.message = self.template.format(**params) if params else self.template
        super().__init__(self.message)


class BadRequestError(FrappyAuthError):
    status, code, message = 400, "bad_request", "The request is malformed."


class AuthenticationError(FrappyAuthError):
    status, code, message = 401, "unauthenticated", "Valid credentials are required."


class InvalidCredentialsError(AuthenticationError):
    code, message = "invalid_credentials", "Username or password is wrong."


class PermissionDeniedError(FrappyAuthError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFoundError(FrappyAuthError):
    status, code, message = 404, "not_found", "Nothing is here."


class UserNotFoundError(NotFoundError):
    code, message = "user_not_found", "No such user."


class SessionNotFoundError(NotFoundError):
    code, message = "session_not_found", "No such session."


class ApiKeyNotFoundError(NotFoundError):
    code, message = "api_key_not_found", "No such API key."


class ConflictError(FrappyAuthError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class DuplicateUsernameError(ConflictError):
    """Raised by a store's `create` when the username's key, or one of its lookalike keys, is
    taken."""

    code, message = "username_taken", "That username is already taken, or looks like one that is."


class DuplicateEmailError(ConflictError):
    """Raised by a store when another user holds the address's `email_key`."""

    code, message = "email_taken", "That email address is already in use."


class LastAdminError(ConflictError):
    code, message = "last_admin", "The last administrator cannot be removed or demoted."


class ApiKeyNameTakenError(ConflictError):
    """Raised by an API-key store's `create` when the user has a key of that name."""

    code, message = "api_key_name_taken", "You already have an API key of that name."


class TooManyApiKeysError(ConflictError):
    code, message = "too_many_api_keys", "You have as many API keys as allowed; revoke one first."


class RoleNotFoundError(NotFoundError):
    code, message = "role_not_found", "No such role."


class UnknownRoleError(BadRequestError):
    code, message = "unknown_role", "No role of that name exists."


class RoleInUseError(ConflictError):
    code, message = (
        "role_in_use",
        "Users hold this role; take it from them first, or delete it with force=true.",
    )


class AccountSuspendedError(PermissionDeniedError):
    """Raised only after the password (or other factor) was found right: it tells a guesser
    nothing."""

    code, message = "account_suspended", "This account is suspended."


class InvalidPasswordError(BadRequestError):
    code = "invalid_password"


class PasswordTooCommonError(InvalidPasswordError):
    """A new password on the shipped list of common passwords (option `refuse_common_passwords`)."""

    code, message = (
        "password_too_common",
        "That password is one of the most common ones, which are guessed first; choose another.",
    )


class PasswordTooWeakError(InvalidPasswordError):
    """A new password the strength estimate scores below option `min_password_score`."""

    code, message = "password_too_weak", "That password is too easy to guess."


class PasswordBreachedError(InvalidPasswordError):
    """A new password the breached-password service lists (option `breached_password_check`)."""

    code, message = (
        "password_breached",
        "That password has appeared in a data breach, so it is guessed early; choose another.",
    )


class PasswordChangedMeanwhileError(ConflictError):
    code, message = (
        "password_changed",
        "The password was changed while this request ran; nothing was changed.",
    )


class InvalidEmailError(BadRequestError):
    code, message = "invalid_email", "That is not a valid email address."


class InvalidTokenError(BadRequestError):
    """A mailed token that is unknown, used, expired, of another purpose or void: all answered
    alike."""

    code, message = "invalid_token", "The link is invalid or has expired."


class EmailNotVerifiedError(PermissionDeniedError):
    code, message = (
        "email_not_verified",
        "Confirm your email address first: follow the link we sent you.",
    )


class RetryLaterError(FrappyAuthError):
    """An error whose answer carries `Retry-After`."""

    def __init__(self, message: str | None = None, retry_after: int = 1, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = max(1, int(retry_after))


class TooManyAttemptsError(RetryLaterError):
    status, code, message = 429, "too_many_attempts", "Too many failed logins; try again later."


class TooManyRequestsError(RetryLaterError):
    status, code, message = 429, "too_many_requests", "Too many requests; try again later."


class StoreUnavailableError(RetryLaterError):
    """Raised by a store that cannot reach its database; nothing was written."""

    status, code, message = (
        503,
        "store_unavailable",
        "The user store is unavailable; try again later.",
    )


class StoreFailedError(FrappyAuthError):
    """Raised by a store whose database refused or failed an operation for a reason other than an
    outage (a timeout or an unreachable server is `StoreUnavailableError`). The store logged the
    cause."""

    status, code, message = 500, "store_failed", "The user store could not complete the request."


class CrossSiteRequestError(PermissionDeniedError):
    code, message = "cross_site_request", "This request did not come from an allowed origin."


class PayloadTooLargeError(FrappyAuthError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaTypeError(FrappyAuthError):
    status, code, message = (
        415,
        "unsupported_media_type",
        "The request body must be application/json.",
    )


class InvalidMfaTokenError(AuthenticationError):
    code, message = "invalid_mfa_token", "The mfaToken is invalid or has expired; log in again."


class InvalidMfaCodeError(AuthenticationError):
    """A wrong code or recovery code at login (401: the login failed)."""

    code, message = "invalid_mfa_code", "The code is wrong."


class WrongMfaCodeError(PermissionDeniedError):
    """A wrong code from a logged-in user (403, like a wrong old password: the session stays
    valid)."""

    code, message = "invalid_mfa_code", "The code is wrong."


class MfaCodeUsedError(BadRequestError):
    code, message = "mfa_code_used", "This code was already used; wait for the next one."


class MfaEnrolmentRequiredError(PermissionDeniedError):
    code, message = (
        "mfa_enrolment_required",
        "Your permissions require a second factor: set up TOTP first.",
    )


class MfaAlreadyEnabledError(ConflictError):
    code, message = "mfa_already_enabled", "TOTP is already on; turn it off first."


class MfaNotEnabledError(ConflictError):
    code, message = (
        "mfa_not_enabled",
        "TOTP is not on (or its enrolment was not started) for this account.",
    )


class PasskeyRefusedError(BadRequestError):
    """A WebAuthn response that is not accepted; each subclass says why."""

    code, message = "passkey_invalid", "The passkey response could not be verified."


class PasskeyChallengeError(PasskeyRefusedError):
    code, message = (
        "passkey_challenge_invalid",
        "The challenge is unknown, used already or expired; start again.",
    )


class PasskeyOriginError(PasskeyRefusedError):
    code, message = (
        "passkey_wrong_origin",
        "The passkey was used on an origin this server does not accept.",
    )


class PasskeyRelyingPartyError(PasskeyRefusedError):
    code, message = "passkey_wrong_rp", "The passkey belongs to another relying party."


class PasskeySignatureError(PasskeyRefusedError):
    code, message = "passkey_bad_signature", "The passkey's signature is wrong."


class PasskeyClonedError(PasskeyRefusedError):
    code, message = (
        "passkey_cloned",
        "The authenticator's counter went backwards: it may have been cloned.",
    )


class RecentLoginRequiredError(PermissionDeniedError):
    code, message = (
        "recent_login_required",
        "Sign in again first: this change is allowed only within minutes of a login.",
    )


class PasskeyNotFoundError(NotFoundError):
    code, message = "passkey_not_found", "No such passkey."


class UnknownProviderError(NotFoundError):
    code, message = "provider_not_found", "No identity provider of that name is configured."


class IdentityNotFoundError(NotFoundError):
    code, message = "identity_not_found", "No such linked identity."


class AccountExistsError(ConflictError):
    """An unlinked provider identity whose address an account already has: never merged by default
    (a pre-registered account with someone else's address must not gain their provider)."""

    code, message = (
        "account_exists",
        "An account with this address exists: sign in to it, then link the provider there.",
    )


class SignUpClosedError(PermissionDeniedError):
    code, message = (
        "sign_up_closed",
        "No account is linked to this identity, and sign-up through it is closed.",
    )


class IdentityLinkedElsewhereError(ConflictError):
    code, message = "identity_linked_elsewhere", "This identity is linked to another account."


class LastWayInError(ConflictError):
    code, message = (
        "last_way_in",
        "This is the account's last way to sign in: add a password, a passkey or another "
        "provider first.",
    )


class ProviderRefusedError(BadRequestError):
    """A provider's answer that failed validation (its `code` says why): a tampered or replayed
    state, a wrong issuer, a bad ID token, or the user's refusal at the provider."""

    code, message = "provider_refused", "The identity provider's answer was refused."

    def __init__(self, message: str | None = None, *, reason: str = "provider_refused") -> None:
        super().__init__(message)
        self.code = reason


class ProviderUnavailableError(RetryLaterError):
    status, code, message = (
        503,
        "provider_unavailable",
        "The identity provider cannot be reached; try again later.",
    )


class SecondFactorRequiredError(PermissionDeniedError):
    code, message = (
        "second_factor_required",
        "Give a code of your second factor, or sign in again first: an account with a second "
        "factor is deleted only with a code or within minutes of a sign-in.",
    )


class ImpersonationForbiddenError(PermissionDeniedError):
    code, message = (
        "impersonation_forbidden",
        "An impersonation session cannot do this, and administrators cannot be impersonated.",
    )


class RecentSecondFactorRequiredError(PermissionDeniedError):
    code, message = (
        "recent_second_factor_required",
        "Sign in again with your second factor first: impersonation starts only within minutes "
        "of such a sign-in.",
    )


class NotImpersonatingError(ConflictError):
    code, message = "not_impersonating", "This session is not an impersonation session."


class DeviceNotFoundError(NotFoundError):
    code, message = "device_not_found", "No such trusted device."


class InvalidSignInCodeError(AuthenticationError):
    """An emailed sign-in code or link that is wrong, used, expired or spent by too many wrong
    guesses: all answered alike."""

    code, message = "invalid_code", "The code is wrong or has expired; ask for a new one."
