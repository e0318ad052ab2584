"""Sign-in by a code or link sent by mail (option `email_sign_in`): asking for one, and using it.

Using one ends like `POST /login`: the same answer (`sign_in_answer`), a second factor still owed
when the user has one, skipped on a trusted device.
"""

from __future__ import annotations

from flask import Response, jsonify, request

from frappyauth.core.options import Options
from frappyauth.web import bodies
from frappyauth.web.answers import sign_in_answer
from frappyauth.web.device_views import device_cookie
from frappyauth.web.endpoints import EMAIL_SIGN_IN, Endpoints
from frappyauth.web.guard import request_actor
from frappyauth.web.schemas import MFA_REQUIRED, STRING, Operation, obj, operation, ref
from frappyauth.web.state import current_state, switched_on

endpoints = Endpoints(requires=(EMAIL_SIGN_IN,))

# `core.email_sign_in.CODE_DIGITS` digits; not imported from there: that module needs the `mail`
# extra, and this one is imported by every app.
CODE = {"type": "string", "pattern": "^[0-9]{8}$", "description": "The 8 digits of the mail."}


@endpoints.route(
    "POST",
    "/login/email",
    operation(
        "Ask for a sign-in code and link by mail; the same answer for any address",
        obj(["status"], status={"const": "code_sent"}),
        (400, 413, 415, 429),
        security=[],
        ok_status=202,
        body=obj(["email"], email=STRING),
    ),
)
def request_email_sign_in() -> Response:
    body = bodies.request_object()
    email = bodies.string(body, "email")
    mail = switched_on(current_state().services.mail)
    switched_on(mail.email_sign_in).request(email, request_actor(None))
    response = jsonify({"status": "code_sent"})
    response.status_code = 202
    return response


def confirm_operation(options: Options) -> Operation:
    signed_in = obj(["user", "token"], user=ref("User"), token=STRING)
    answer = {"oneOf": [signed_in, MFA_REQUIRED]} if options.totp or options.passkeys else signed_in
    return operation(
        "Sign in with the mailed code (and its address), or the token of the mailed link",
        answer,
        (400, 401, 403, 413, 415, 429),
        security=[],
        body=obj([], email=STRING, code=CODE, token=STRING),
    )


@endpoints.route("POST", "/login/email/confirm", confirm_operation)
def confirm_email_sign_in() -> Response:
    body = bodies.request_object()
    email, code, token = (  # `null` is no way to leave one out: the document says string
        bodies.optional_string(body, "email", nullable=False),
        bodies.optional_string(body, "code", nullable=False),
        bodies.optional_string(body, "token", nullable=False),
    )
    return sign_in_answer(
        current_state().services.sign_in.with_emailed_code(
            email,
            code,
            token,
            request.user_agent.string or None,
            request.remote_addr,
            device=device_cookie(),
        )
    )
