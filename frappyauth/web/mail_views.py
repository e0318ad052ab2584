"""The endpoints of the mail flows (registration, verification, password reset, address change)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Response, jsonify, request

from frappyauth.core.models import User
from frappyauth.core.options import Options
from frappyauth.web import bodies
from frappyauth.web.credentials import request_credential
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.responses import user_json
from frappyauth.web.state import current_state

if TYPE_CHECKING:  # imported only with a mail flow on: it needs the `[mail]` extra
    from frappyauth.core.mail_flows import MailFlows


def _mail() -> MailFlows:
    mail = current_state().mail
    if mail is None:  # the routes are only registered with a mail flow on
        raise RuntimeError("frappyauth's mail flows are not set up on this app.")
    return mail



def _user(user: User) -> Response:
    """The user JSON, `hasApiKey` included, as the other endpoints answer it."""
    return jsonify(user_json(user, user.id in current_state().api_keys.default_key_holders([user])))


def _status(status: str, code: int) -> Response:
    response = jsonify({"status": status})
    response.status_code = code
    return response


def register() -> Response:
    body = bodies.request_object()
    user = _mail().registration.register(
        bodies.string(body, "username"), bodies.string(body, "password"), bodies.string(body, "email"),
        bodies.optional_object(body, "profile"), request_actor(None))
    return _status("verification_sent", 202) if user is None else _user(user)


def verify_email() -> Response:
    token = bodies.string(bodies.request_object(), "token")
    return _user(_mail().registration.verify(token, request_actor(None)))


def resend_verification() -> Response:
    """For the logged-in caller, or (so an unverified user who may not log in can ask) for `{email}`."""
    body = bodies.request_object()
    identity = request_identity(allow_api_key=False) if request_credential(request) is not None else None
    email = None if identity is not None else bodies.string(body, "email")
    _mail().registration.resend(identity.user if identity else None, email, request_actor(identity))
    return _status("verification_sent", 202)


def request_password_reset() -> Response:
    body = bodies.request_object()
    email, username = bodies.optional_string(body, "email"), bodies.optional_string(body, "username")
    _mail().password_reset.request(email, username, request_actor(None))
    return _status("reset_requested", 200)


def confirm_password_reset() -> Response:
    body = bodies.request_object()
    user = _mail().password_reset.confirm(bodies.string(body, "token"), bodies.string(body, "password"),
                                          request_actor(None))
    return _user(user)


def request_email_change() -> Response:
    identity, body = request_identity(allow_api_key=False), bodies.request_object()
    _mail().email_change.request(identity.user, bodies.string(body, "password"), bodies.string(body, "email"),
                                 request_actor(identity))
    return _status("confirmation_sent", 202)


def confirm_email_change() -> Response:
    token = bodies.string(bodies.request_object(), "token")
    return _user(_mail().email_change.confirm(token, request_actor(None)))


def admin_email(email: str | None) -> tuple[str | None, str | None]:
    """The address an administrator gave, and its key: normalised and unique with the mail flows on, kept as
    given (the seed's behaviour) without them."""
    mail = current_state().mail
    return (email, None) if mail is None else mail.addresses(email)


def mail_routes(options: Options) -> list[tuple[str, Callable[..., Response], str]]:
    routes: list[tuple[str, Callable[..., Response], str]] = []
    if options.registration:
        routes.append(("/register", register, "POST"))
    if options.email_verification is not None:
        routes += [("/verify-email", verify_email, "POST"), ("/verify-email/resend", resend_verification, "POST")]
    if options.password_reset:
        routes += [("/password-reset", request_password_reset, "POST"),
                   ("/password-reset/confirm", confirm_password_reset, "POST")]
    if options.email_change:
        routes += [("/email", request_email_change, "POST"), ("/email/confirm", confirm_email_change, "POST")]
    return routes


