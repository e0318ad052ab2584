"""Trusted devices (option `trusted_devices`): the caller's list, forgetting them, and the cookie a
second step sets when its body asks `trustDevice: true`."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from frappyauth.core.device_models import TrustedDevice
from frappyauth.core.errors import BadRequestError
from frappyauth.core.models import Actor
from frappyauth.core.sign_in import SignedIn
from frappyauth.web.endpoints import TRUSTED_DEVICES, Endpoints
from frappyauth.web.guard import request_actor, request_identity
from frappyauth.web.responses import (
    DEVICE_COOKIE,
    clear_device_cookie,
    iso_time,
    set_device_cookie,
)
from frappyauth.web.schemas import DATE_TIME, NULLABLE_STRING, closed, obj, operation
from frappyauth.web.state import current_state, switched_on

endpoints = Endpoints(requires=(TRUSTED_DEVICES,))

TRUST_DEVICE = {
    "type": "boolean",
    "description": "After this second factor, let this browser skip it for a while (option "
    "trusted_devices; ignored while it is off).",
}
DEVICE = closed(
    ["id", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "current"],
    id={"type": "string"},
    createdAt=DATE_TIME,
    lastUsedAt=DATE_TIME,
    expiresAt=DATE_TIME,
    userAgent=NULLABLE_STRING,
    current={"type": "boolean"},
)


def device_cookie() -> str | None:
    """The secret of this browser's trusted device, if it sent one."""
    return request.cookies.get(DEVICE_COOKIE) or None


def asks_trust(body: dict[str, Any]) -> bool:
    """Whether a second step's body asks to trust this browser (`trustDevice`, default false);
    read before the sign-in, so that a bad value changes nothing."""
    asked = body.get("trustDevice", False)
    if not isinstance(asked, bool):
        raise BadRequestError("The field 'trustDevice' must be true or false.")
    return asked


def trust_device_if_asked(response: Response, asked: bool, signed_in: SignedIn) -> None:
    """After a second factor: if `asked` (and the option is on), trust this browser and set its
    cookie on `response`."""
    services = current_state().services
    if asked and services.trusted_devices is not None:
        secret = services.trusted_devices.trust(
            signed_in.user,
            request.user_agent.string or None,
            Actor(signed_in.user.id, request.remote_addr),
            replacing=device_cookie(),
        )
        set_device_cookie(response, secret, services.options)


def _device_json(device: TrustedDevice, current: bool) -> dict[str, Any]:
    """A device as its owner sees it: never its secret or the secret's hash."""
    return {
        "id": device.device_id,
        "createdAt": iso_time(device.created_at),
        "lastUsedAt": iso_time(device.last_used_at),
        "expiresAt": iso_time(device.expires_at),
        "userAgent": device.user_agent,
        "current": current,
    }


@endpoints.route(
    "GET",
    "/devices",
    operation(
        "The caller's trusted devices (browsers that skip the second factor)",
        closed(["devices"], devices={"type": "array", "items": DEVICE}),
        (401, 403),
    ),
)
def own_devices() -> Response:
    identity = request_identity(allow_api_key=False)
    devices = switched_on(current_state().services.trusted_devices)
    current = devices.current_id(identity.user.id, device_cookie())
    return jsonify(
        {
            "devices": [
                _device_json(device, device.device_id == current)
                for device in devices.of_user(identity.user.id)
            ]
        }
    )


@endpoints.route(
    "DELETE",
    "/devices",
    operation(
        "Forget every trusted device of the caller",
        obj(["deleted"], deleted={"type": "integer", "minimum": 0}),
        (401, 403),
    ),
)
def forget_own_devices() -> Response:
    identity = request_identity(allow_api_key=False)
    services = current_state().services
    count = switched_on(services.trusted_devices).forget_all(
        identity.user.id, request_actor(identity)
    )
    response = jsonify({"deleted": count})
    clear_device_cookie(response, services.options)
    return response


@endpoints.route(
    "DELETE",
    "/devices/<device_id>",
    operation(
        "Forget one of the caller's trusted devices",
        closed(["deviceId", "deleted"], deviceId={"type": "string"}, deleted={"const": True}),
        (401, 403, 404),
    ),
)
def forget_own_device(device_id: str) -> Response:
    identity = request_identity(allow_api_key=False)
    services = current_state().services
    devices = switched_on(services.trusted_devices)
    current = devices.current_id(identity.user.id, device_cookie())
    devices.forget(identity.user.id, device_id, request_actor(identity))
    response = jsonify({"deviceId": device_id, "deleted": True})
    if current == device_id:
        clear_device_cookie(response, services.options)
    return response
