"""The effective permissions outside HTTP: the second-factor rule counts roles too, and the option
needs a role store."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import NOW
from frappyauth.core.errors import MfaEnrolmentRequiredError
from frappyauth.core.models import Identity, Role, User
from frappyauth.core.options import build_options
from frappyauth.core.services import build_services
from frappyauth.stores.memory import memory_stores

KEY = "a test key that seals TOTP secrets, 32+ characters"


def test_require_mfa_for_counts_a_permission_held_through_a_role() -> None:
    options = {"totp": True, "mfa_encryption_key": KEY, "require_mfa_for": ["admin"], "roles": True}
    services = build_services(build_options(options), memory_stores(), clock=lambda: NOW)
    user = services.stores.users.create(User(id="", username="bob", password_hash="h"))
    services.second_factors.check_enrolled(Identity(user, None))  # nothing required: no admin
    services.stores.roles.put(Role("admins", ("admin",)))
    admin_by_role = user.with_role_permissions(("admin",))
    with pytest.raises(MfaEnrolmentRequiredError):
        services.second_factors.check_enrolled(Identity(admin_by_role, None))


def test_the_option_roles_needs_a_role_store() -> None:
    stores = dataclasses.replace(memory_stores(), roles=None)
    with pytest.raises(ValueError, match="needs a role store"):
        build_services(build_options({"roles": True}), stores)
