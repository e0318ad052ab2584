"""The answers that endpoints of every flow share: users as JSON, and the answer to a sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, jsonify

from frappyauth.core.authorization import is_admin
from frappyauth.core.models import User
from frappyauth.core.second_factors import SecondFactorPending
from frappyauth.core.sign_in import SignInResult
from frappyauth.web.guard import cached_identity
from frappyauth.web.responses import iso_time, set_session_cookie
from frappyauth.web.state import current_state


def users_json(users: list[User]) -> list[dict[str, Any]]:
    """Users as clients see them: never a password, hash or key. `hasApiKey` says whether `POST
    /key` made a key (or the record holds a legacy one); with the mail flows on, `emailVerified`;
    with second factors on, which ones the user has (`mfa`). Every endpoint answers users through
    this function. The options of roles, suspension and login history only add keys (see
    `_account_fields`)."""
    services = current_state().services
    holders = services.api_keys.default_key_holders(users)
    mfa = services.second_factors.status(users) if services.second_factors is not None else {}
    mail_flows = services.options.mail_flows
    answers = [_user_json(user, user.id in holders, mail_flows, mfa.get(user.id)) for user in users]
    _account_fields(answers, users)
    return answers


def _account_fields(answers: list[dict[str, Any]], users: list[User]) -> None:
    """With option `roles`, `roles` and `effectivePermissions` (`permissions` stays the direct
    ones); with `suspension`, `suspended` and `suspendedAt`; with `login_history`, `createdAt`,
    `passwordChangedAt`, `lastLoginAt`, `loginCount`, and `lastLoginAddress` for an admin asking."""
    services = current_state().services
    if services.roles is not None:
        for body, resolved in zip(answers, services.roles.resolve(users)):
            body["roles"] = list(resolved.roles)
            body["effectivePermissions"] = list(resolved.effective_permissions)
    if services.suspension is not None:
        for body, user in zip(answers, users):
            body["suspended"] = user.suspended_at is not None
            body["suspendedAt"] = _time(user.suspended_at)
    if services.options.login_history:
        viewer = cached_identity()
        admin = viewer is not None and is_admin(viewer.user, services.options)
        for body, user in zip(answers, users):
            body["createdAt"] = _time(user.created_at)
            body["passwordChangedAt"] = _time(user.password_changed_at)
            body["lastLoginAt"] = _time(user.last_login_at)
            body["loginCount"] = user.login_count
            if admin:
                body["lastLoginAddress"] = user.last_login_address


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else iso_time(moment)


def user_json(user: User) -> dict[str, Any]:
    return users_json([user])[0]


def _user_json(
    user: User, has_api_key: bool, mail_flows: bool, mfa: dict[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "_id": user.id,
        "id": user.id,
        "username": user.username,
        "permissions": list(user.permissions),
        "profile": user.profile,
        "hasApiKey": has_api_key,
    }
    if user.email is not None:
        body["email"] = user.email
    if mail_flows:
        body["emailVerified"] = user.email_verified
    if mfa is not None:
        body["mfa"] = mfa
    return body


def sign_in_answer(result: SignInResult) -> Response:
    """The answer to every sign-in: the user, the token and the session cookie; or, with a second
    factor still owed, `mfaRequired` with the token of the pending sign-in (and no cookie)."""
    if isinstance(result, SecondFactorPending):
        return jsonify(
            {"mfaRequired": True, "mfaToken": result.mfa_token, "methods": result.methods}
        )
    response = jsonify({"user": user_json(result.user), "token": result.token})
    set_session_cookie(response, result.token, current_state().services.options, result.remember)
    return response
