"""The answers that endpoints of every flow share: users as JSON, and the answer to a sign-in."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from frappyauth.core.models import User
from frappyauth.core.second_factors import SecondFactorPending
from frappyauth.core.sign_in import SignInResult
from frappyauth.web.responses import set_session_cookie
from frappyauth.web.state import current_state


def users_json(users: list[User]) -> list[dict[str, Any]]:
    """Users as clients see them: never a password, hash or key. `hasApiKey` says whether `POST
    /key` made a key (or the record holds a legacy one); with the mail flows on, `emailVerified`;
    with second factors on, which ones the user has (`mfa`). Every endpoint answers users through
    this function."""
    services = current_state().services
    holders = services.api_keys.default_key_holders(users)
    mfa = services.second_factors.status(users) if services.second_factors is not None else {}
    mail_flows = services.options.mail_flows
    return [_user_json(user, user.id in holders, mail_flows, mfa.get(user.id)) for user in users]


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
