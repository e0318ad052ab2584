"""The "this wasn't me" link of a new-device alert (option `new_device_alerts`): anyone holding
the mailed token may follow it."""

from __future__ import annotations

from flask import Response, jsonify

from frappyauth.web import bodies
from frappyauth.web.endpoints import NEW_DEVICE_ALERTS, Endpoints
from frappyauth.web.guard import request_actor
from frappyauth.web.schemas import STRING, closed, obj, operation
from frappyauth.web.state import current_state, switched_on

endpoints = Endpoints(requires=(NEW_DEVICE_ALERTS,))


@endpoints.route(
    "POST",
    "/sign-in-report",
    operation(
        "Report a sign-in as not one's own, with the token of a new-device alert: ends every "
        "session and API key, sets an unknown password and mails a password-reset link",
        closed(["status"], status={"const": "signed_out_everywhere"}),
        (400, 413, 415, 429),
        security=[],
        body=obj(["token"], token=STRING),
    ),
)
def report_sign_in() -> Response:
    token = bodies.string(bodies.request_object(), "token")
    switched_on(current_state().services.new_devices).report(token, request_actor(None))
    return jsonify({"status": "signed_out_everywhere"})
