"""Races of roles and suspension, each interleaving forced with events (never a sleep):

- two admins changing one role: a deletion and a grant of that role, in both orders that matter;
  no user is ever left holding a role that does not exist, and the role is never lost while held;
- two admins demoting each other, one through a role and one directly: an administrator remains;
- a login racing a suspension: the session the login creates after the suspension ended the user's
  sessions is refused all the same, because the suspension is read with the session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from conftest import NOW
from frappyauth.core.errors import LastAdminError, RoleInUseError, UnknownRoleError
from frappyauth.core.errors import AuthenticationError
from frappyauth.core.models import Actor, Role, User
from frappyauth.core.options import build_options
from frappyauth.core.protocols import Stores
from frappyauth.core.services import Services, build_services
from frappyauth.stores.memory import memory_stores

ADMIN = Actor("admin")
PASSWORD = "a password long enough"


class Pausing:
    """Wraps a store: the first call of `method` in a thread named `thread` tells `reached` and
    waits for `release` before (or, with `after`, after) it runs."""

    def __init__(self, store: Any, method: str, thread: str, after: bool = False) -> None:
        self._store, self._method, self._thread, self._after = store, method, thread, after
        self.reached, self.release, self._done = threading.Event(), threading.Event(), False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if name != self._method:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            pause = threading.current_thread().name == self._thread and not self._done
            if pause and not self._after:
                self._wait()
            result = attribute(*args, **kwargs)
            if pause and self._after:
                self._wait()
            return result

        return call

    def _wait(self) -> None:
        self._done = True
        self.reached.set()
        assert self.release.wait(timeout=10)


def services_over(wrap: Callable[[Stores], Stores], **options: Any) -> Services:
    return build_services(
        build_options({"bcrypt_cost": 4, "roles": True, "suspension": True, **options}),
        wrap(memory_stores()),
        clock=lambda: NOW,
    )


def in_thread(name: str, work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:  # the outcome is asserted by the test
            outcome.append(error)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, outcome


def seeded(services: Services) -> User:
    services.accounts.create("admin", PASSWORD, permissions=("admin",))
    services.roles.put("reporter", ("report",), ADMIN)
    return services.accounts.create("bob", PASSWORD, permissions=("view",))


def test_a_grant_between_a_deletions_check_and_its_write_keeps_the_role() -> None:
    pausing: dict[str, Pausing] = {}

    def wrap(stores: Stores) -> Stores:
        pausing["roles"] = Pausing(stores.roles, "delete", "deleter")
        return Stores(**{**stores.__dict__, "roles": pausing["roles"]})

    services = services_over(wrap)
    bob = seeded(services)
    thread, outcome = in_thread("deleter", lambda: services.roles.delete("reporter", False, ADMIN))
    assert pausing["roles"].reached.wait(timeout=10)  # nobody held it when the deleter looked
    services.roles.grant(bob.id, ["reporter"], ADMIN)
    pausing["roles"].release.set()
    thread.join()
    assert isinstance(outcome[0], RoleInUseError)
    assert services.stores.roles.get("reporter") == Role("reporter", ("report",))
    assert services.stores.users.get(bob.id).roles == ("reporter",)


def test_a_deletion_between_a_grants_check_and_its_write_takes_the_grant_back() -> None:
    pausing: dict[str, Pausing] = {}

    def wrap(stores: Stores) -> Stores:
        pausing["users"] = Pausing(stores.users, "set_roles", "granter")
        return Stores(**{**stores.__dict__, "users": pausing["users"]})

    services = services_over(wrap)
    bob = seeded(services)
    thread, outcome = in_thread(
        "granter", lambda: services.roles.grant(bob.id, ["reporter"], ADMIN)
    )
    assert pausing["users"].reached.wait(timeout=10)  # the role existed when the granter looked
    services.roles.delete("reporter", False, ADMIN)
    pausing["users"].release.set()
    thread.join()
    assert isinstance(outcome[0], UnknownRoleError)
    assert services.stores.roles.get("reporter") is None
    assert services.stores.users.get(bob.id).roles == ()


def test_two_admins_demoting_each_other_through_a_role_and_directly_leave_an_admin() -> None:
    pausing: dict[str, Pausing] = {}

    def wrap(stores: Stores) -> Stores:
        # The direct demotion's first count (before its write) waits while the role changes.
        pausing["users"] = Pausing(stores.users, "count_holders", "demoter", after=True)
        return Stores(**{**stores.__dict__, "users": pausing["users"]})

    services = services_over(wrap)
    admin = services.accounts.create("admin", PASSWORD, permissions=("admin",))
    services.roles.put("admins", ("admin",), ADMIN)
    bob = services.accounts.create("bob", PASSWORD)
    services.roles.grant(bob.id, ["admins"], ADMIN)
    thread, outcome = in_thread(
        "demoter", lambda: services.accounts.set_permissions(admin.id, (), Actor(bob.id))
    )
    assert pausing["users"].reached.wait(timeout=10)  # it counted two admins
    services.roles.put("admins", (), Actor(admin.id))  # bob loses admin: the admin remains
    pausing["users"].release.set()
    thread.join()
    assert isinstance(outcome[0], LastAdminError)
    assert services.stores.users.get(admin.id).permissions == ("admin",)


def test_two_puts_of_one_role_leave_one_of_them_whole() -> None:
    pausing: dict[str, Pausing] = {}

    def wrap(stores: Stores) -> Stores:
        pausing["roles"] = Pausing(stores.roles, "put", "first")
        return Stores(**{**stores.__dict__, "roles": pausing["roles"]})

    services = services_over(wrap)
    seeded(services)
    thread, outcome = in_thread("first", lambda: services.roles.put("reporter", ("a", "b"), ADMIN))
    assert pausing["roles"].reached.wait(timeout=10)
    services.roles.put("reporter", ("x",), ADMIN)
    pausing["roles"].release.set()
    thread.join()
    assert services.stores.roles.get("reporter") == Role("reporter", ("a", "b"))  # the later write


def test_a_login_racing_a_suspension_leaves_no_usable_session() -> None:
    pausing: dict[str, Pausing] = {}

    def wrap(stores: Stores) -> Stores:
        # The login has checked the password and the suspension; it waits before its session.
        pausing["sessions"] = Pausing(stores.sessions, "create", "login")
        return Stores(**{**stores.__dict__, "sessions": pausing["sessions"]})

    services = services_over(wrap)
    bob = seeded(services)
    thread, outcome = in_thread(
        "login", lambda: services.sign_in.with_password("bob", PASSWORD, None, None)
    )
    assert pausing["sessions"].reached.wait(timeout=10)
    services.suspension.suspend(bob.id, "stolen laptop", ADMIN)  # ends every session there is
    pausing["sessions"].release.set()
    thread.join()
    token = outcome[0].token  # the login itself finished: its session was created after the sweep
    with pytest.raises(AuthenticationError):
        services.sessions.identify(token)
    services.suspension.unsuspend(bob.id, ADMIN)
    with pytest.raises(AuthenticationError):  # nor does it come back with the user
        services.sessions.identify(token)
    assert services.sign_in.with_password("bob", PASSWORD, None, None).token
