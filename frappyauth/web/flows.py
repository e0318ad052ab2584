"""Every flow's endpoint declarations, in one list: the blueprints, the JSON 404 of an endpoint that
is switched off and the OpenAPI document are all derived from it (see `endpoints`)."""

from __future__ import annotations

from frappyauth.web import (
    audit_views,
    admin_views,
    console,
    identity_views,
    impersonation_views,
    device_views,
    email_sign_in_views,
    key_views,
    mail_views,
    new_device_views,
    openapi,
    passkey_views,
    privacy_views,
    role_views,
    session_views,
    totp_views,
    username_views,
)
from frappyauth.web.endpoints import Endpoint

ALL_ENDPOINTS: tuple[Endpoint, ...] = (
    *session_views.endpoints,
    *admin_views.endpoints,
    *admin_views.managing,
    *key_views.endpoints,
    *key_views.managing,
    *mail_views.endpoints,
    *totp_views.endpoints,
    *totp_views.resetting,
    *passkey_views.endpoints,
    *device_views.endpoints,
    *email_sign_in_views.endpoints,
    *console.endpoints,
    *audit_views.endpoints,
    *identity_views.endpoints,
    *privacy_views.endpoints,
    *new_device_views.endpoints,
    *impersonation_views.endpoints,
    *role_views.endpoints,
    *role_views.suspending,
    *username_views.endpoints,
    *openapi.endpoints,
)
