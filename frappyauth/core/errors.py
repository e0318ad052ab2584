"""The core's errors: one root, each subclass with a fixed HTTP status and a stable machine code.

Programmer mistakes (bad options, a missing `register_endpoints`) raise `ValueError`/`RuntimeError`
instead; these errors describe something a client or a backend did, and the HTTP layer renders them.
Messages never contain a password, token, key or hash.
"""

from __future__ import annotations


class FrappyAuthError(Exception):
    """Root of every error the HTTP layer turns into a JSON answer."""

    status: int = 500
    code: str = "internal_error"
    message: str = "The server could not complete the request."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


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

    def __init__(self, message: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message)
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
        "Sign in again first: passkeys change only within minutes of a login.",
    )


class PasskeyNotFoundError(NotFoundError):
    code, message = "passkey_not_found", "No such passkey."
