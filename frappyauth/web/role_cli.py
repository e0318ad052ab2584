"""`flask frappyauth role ...`, `grant-role`, `suspend` and `unsuspend`: roles and suspension from
the shell (options `roles` and `suspension`), as an administrator does them over HTTP."""

from __future__ import annotations

import click

from frappyauth.core.roles import Roles
from frappyauth.core.suspension import Suspension
from frappyauth.stores.memory import MemoryRoleStore
from frappyauth.web.cli import CLI_ACTOR, _refuse_memory, _run, _state, _user_named, cli


def _roles(writes: bool) -> Roles:
    services = _state().services
    if services.roles is None:
        raise click.ClickException("Roles are off on this app (the frappyauth option 'roles').")
    if writes and isinstance(services.stores.roles, MemoryRoleStore):
        raise click.ClickException(
            "This app keeps its roles in memory: a change made here would end with this command, "
            "never reaching the running app. Use the HTTP API or give the app a MongoDB store."
        )
    return services.roles


def _suspension() -> Suspension:
    suspension = _state().services.suspension
    if suspension is None:
        raise click.ClickException(
            "Suspension is off on this app (the frappyauth option 'suspension')."
        )
    return suspension


@cli.group("role")
def role() -> None:
    """Manage roles: named sets of permissions users hold (option roles)."""


@role.command("set")
@click.argument("name")
@click.option("--permission", "permissions", multiple=True, help="A permission; repeat for more.")
def set_role(name: str, permissions: tuple[str, ...]) -> None:
    """Create the role NAME, or replace its permissions."""
    roles = _roles(writes=True)
    _run(lambda: _shown(roles.put(name, permissions, CLI_ACTOR).permissions, f"Role {name!r}:"))


@role.command("list")
def list_roles() -> None:
    """List every role with its permissions."""
    roles = _roles(writes=False).list()
    for each in roles:
        click.echo(f"{each.name}  {','.join(each.permissions) or '-'}")
    click.echo(f"{len(roles)} roles")


@role.command("delete")
@click.argument("name")
@click.option(
    "--force", is_flag=True, help="Delete it even while users hold it; take it from them."
)
def delete_role(name: str, force: bool) -> None:
    """Delete the role NAME (refused while users hold it, unless --force)."""
    roles = _roles(writes=True)
    _run(lambda: f"Role {roles.delete(name, force, CLI_ACTOR).name!r} deleted.")


@cli.command("grant-role")
@click.argument("username")
@click.argument("names", nargs=-1)
def grant_role(username: str, names: tuple[str, ...]) -> None:
    """Replace the roles USERNAME holds with NAMES (none: take every role)."""
    roles = _roles(writes=True)
    _refuse_memory("users")

    def action() -> str:
        user = roles.grant(_user_named(username).id, names, CLI_ACTOR)
        return _shown(user.roles, f"{user.username!r} holds the roles")

    _run(action)


@cli.command("suspend")
@click.argument("username")
@click.option("--reason", help="Why, for the audit trail and the log.")
def suspend(username: str, reason: str | None) -> None:
    """Suspend USERNAME: end their sessions; refuse their keys, passkeys and password."""
    suspension = _suspension()
    _refuse_memory("users", "sessions")

    def action() -> str:
        user = suspension.suspend(_user_named(username).id, reason, CLI_ACTOR)
        return f"{user.username!r} is suspended; their sessions ended."

    _run(action)


@cli.command("unsuspend")
@click.argument("username")
def unsuspend(username: str) -> None:
    """Reinstate the suspended USERNAME."""
    suspension = _suspension()
    _refuse_memory("users", "sessions")
    _run(lambda: f"{suspension.unsuspend(_user_named(username).id, CLI_ACTOR).username!r} is back.")


def _shown(names: tuple[str, ...], head: str) -> str:
    return f"{head} {', '.join(names) or 'none'}."
