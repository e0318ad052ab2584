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
username_changed = _signals.signal("username-changed")  # adds `old_username`, `username`
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
