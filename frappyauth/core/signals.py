"""Security events as blinker signals, in Flask's style.

Each is sent with the app as sender and these keyword arguments: `user_id`, the user it concerns
(`None` for a failed login of an unknown username, and for a throttled login, refused before any
lookup); `actor`, the id of the user who did it, `"cli"`, or `None`; `remote_addr`, the client's
address (`None` outside a request). `session_revoked` adds `count`. No signal ever carries a
password, token, key or hash. Subscribe with, for example::

    from frappyauth.core import signals

    @signals.login_failed.connect_via(app) def alert(app, user_id, actor, remote_addr, **extra):
        ...
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

login_succeeded = _signals.signal("login-succeeded")
login_failed = _signals.signal("login-failed")
login_throttled = _signals.signal("login-throttled")
logged_out = _signals.signal("logged-out")
session_revoked = _signals.signal("session-revoked")
password_changed = _signals.signal("password-changed")
user_created = _signals.signal("user-created")
user_deleted = _signals.signal("user-deleted")
permissions_changed = _signals.signal("permissions-changed")
profile_changed = _signals.signal("profile-changed")
username_changed = _signals.signal("username-changed")  # the user's id only: read the new name
api_key_created = _signals.signal("api-key-created")
api_key_revoked = _signals.signal("api-key-revoked")
user_unlocked = _signals.signal("user-unlocked")
# The mail flows. `password_reset_requested` carries no user id when no account matched.
user_registered = _signals.signal("user-registered")
email_verified = _signals.signal("email-verified")
password_reset_requested = _signals.signal("password-reset-requested")
password_reset = _signals.signal("password-reset")
email_changed = _signals.signal("email-changed")
mfa_enabled = _signals.signal("mfa-enabled")  # adds `method`
mfa_disabled = _signals.signal("mfa-disabled")  # adds `method`; an admin's reset: `method` "all"
mfa_challenge_failed = _signals.signal(
    "mfa-challenge-failed"
)  # a wrong or replayed code; adds `reason`
passkey_registered = _signals.signal("passkey-registered")
passkey_removed = _signals.signal("passkey-removed")
identity_linked = _signals.signal("identity-linked")  # adds `provider`
identity_unlinked = _signals.signal("identity-unlinked")
# The new-device alerts: `new_device_signed_in` when an alert is sent (recorded: the browser family
# and the approximate network); `sign_in_reported` when its "this wasn't me" link was followed.
new_device_signed_in = _signals.signal("new-device-signed-in")
sign_in_reported = _signals.signal("sign-in-reported")
# Impersonation: `user_id` is the impersonated user, `actor` the administrator (for requests, the
# user, with the administrator kept as the audit entry's `impersonator_id`).
impersonation_started = _signals.signal("impersonation-started")  # adds `session_id`
impersonation_ended = _signals.signal("impersonation-ended")  # adds `session_id`
impersonated_request = _signals.signal("impersonated-request")  # adds `method`, `path`
# Roles and suspension (options `roles`, `suspension`).
role_changed = _signals.signal("role-changed")  # adds `role` and `permissions`
role_deleted = _signals.signal("role-deleted")  # adds `role` and `count` (users it was taken from)
roles_granted = _signals.signal("roles-granted")  # adds `roles`
user_suspended = _signals.signal("user-suspended")  # adds `reason` (the admin's words, or None)
user_unsuspended = _signals.signal("user-unsuspended")
device_trusted = _signals.signal("device-trusted")  # a browser may skip the second factor
devices_forgotten = _signals.signal("devices-forgotten")  # adds `count`
email_sign_in_requested = _signals.signal(
    "email-sign-in-requested"
)  # carries no user id when no account matched
