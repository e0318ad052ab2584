"""`flask frappyauth ...`: user administration from the shell, on any app that called
`register_endpoints`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from flask.cli import AppGroup

from frappyauth.core.errors import FrappyAuthError
from frappyauth.core.models import Actor, User, username_key
from frappyauth.stores.memory import MemoryUserStore
from frappyauth.web.state import current_state

CLI_ACTOR = Actor("cli")
cli = AppGroup("frappyauth", help="Manage frappyauth users.")


def _password_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Read the password at a hidden prompt, typed twice, or as one line of standard input when that
    is not a terminal (`echo ... | flask frappyauth create-user bob`); never from the command
    line."""
    return click.option(
        "--password",
        callback=_ask_password,
        help="Asked for when not given; prefer the prompt, arguments show in `ps`.",
    )(command)


def _ask_password(context: click.Context, parameter: click.Parameter, value: str | None) -> str:
    if value is not None:
        return value
    stdin = sys.stdin  # replaced by click's test runner like any redirection
    if stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError(
            "No password: type it at the prompt, or give it as one line of standard input."
        )
    return line


def _run(action: Callable[[], str], changes: bool = True) -> None:
    try:
        result = action()
    except FrappyAuthError as error:
        raise click.ClickException(error.message) from None
    if changes and isinstance(current_state().services.stores.users, MemoryUserStore):
        # Before the result, whose last line scripts may read (a new API key).
        click.echo(
            "Note: this app keeps its users in memory (MemoryUserStore): the change lives only in "
            "this "
            "process and is gone when the command ends. Give the app a MongoDB store to keep it.",
            err=True,
        )
    click.echo(result)


@cli.command("create-user")
@click.argument("username")
@click.option(
    "--permission", "permissions", multiple=True, help="A permission to give; repeat for more."
)
@_password_option
def create_user(username: str, permissions: tuple[str, ...], password: str) -> None:
    """Create a user."""
    _run(
        lambda: _created(
            current_state().services.accounts.create(
                username, password, permissions or None, actor=CLI_ACTOR
            )
        )
    )


@cli.command("create-admin")
@click.argument("username")
@_password_option
def create_admin(username: str, password: str) -> None:
    """Create a user with the admin permission."""
    admin = current_state().services.options.user_admin_permission
    _run(
        lambda: _created(
            current_state().services.accounts.create(username, password, (admin,), actor=CLI_ACTOR)
        )
    )


@cli.command("init-admin")
@click.argument("username")
@_password_option
def init_admin(username: str, password: str) -> None:
    """Create an admin only if there are no users yet (safe to run at every deployment)."""

    def action() -> str:
        created = current_state().services.accounts.create_initial_admin(username, password)
        return "Users exist already; nothing was created." if created is None else _created(created)

    _run(action)


@cli.command("set-password")
@click.argument("username")
@_password_option
def set_password(username: str, password: str) -> None:
    """Set a user's password and end all of their sessions."""

    def action() -> str:
        user = current_state().services.accounts.get_by_username(username)
        current_state().services.accounts.reset_password(user.id, password, actor=CLI_ACTOR)
        return f"Password of {user.username!r} set; their sessions ended."

    _run(action)


@cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Clear the login throttle for a user's account, from every address."""

    def action() -> str:
        user = current_state().services.accounts.get_by_username(username)
        current_state().services.accounts.unlock(user.id, actor=CLI_ACTOR)
        return f"Unlocked {user.username!r}: failed logins from every address are forgotten."

    _run(action)


@cli.command("reset-mfa")
@click.argument("username")
def reset_mfa(username: str) -> None:
    """Remove a user's second factors (a lost phone; the way back in for the last admin)."""

    def action() -> str:
        mfa = current_state().services.second_factors
        if mfa is None:
            raise click.ClickException(
                "Second factors are off on this app (the frappyauth option 'totp')."
            )
        user = mfa.reset(
            current_state().services.accounts.get_by_username(username).id, actor=CLI_ACTOR
        )
        return (
            f"Removed the second factors of {user.username!r}: their next login takes the "
            f"password only."
        )

    _run(action)


@cli.command("list-users")
@click.option("--page", default=0, type=click.IntRange(min=0), help="Page number, from 0.")
def list_users(page: int) -> None:
    """List users, a page at a time."""
    users, total = current_state().services.accounts.page(page)
    for user in users:
        click.echo(f"{user.id}  {user.username}  {','.join(user.permissions)}")
    click.echo(f"{len(users)} shown, {total} in all")


def _user_named(username: str) -> User:
    user = current_state().services.stores.users.get_by_username(username_key(username))
    if user is None:
        raise click.ClickException(f"There is no user {username!r}.")
    return user


@cli.command("create-key")
@click.argument("username")
@click.option("--name", required=True, help="What the key is for, e.g. ci; unique per user.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="A permission the key may use; repeat for more. "
    "Without any, the key has all of the user's permissions.",
)
@click.option(
    "--expires-in", type=click.IntRange(min=1), default=None, help="Seconds until the key expires."
)
def create_key(username: str, name: str, scopes: tuple[str, ...], expires_in: int | None) -> None:
    """Create an API key for a user and print it, this once."""

    def action() -> str:
        key, api_key = current_state().services.api_keys.create(
            _user_named(username),
            name,
            scopes=scopes or None,
            expires_in=expires_in,
            actor=CLI_ACTOR,
        )
        expiry = key.expires_at.isoformat(timespec="seconds") if key.expires_at else "never"
        return (
            f"API key {key.key_id} ({key.name!r}, expires {expiry}); it is shown this "
            f"once:\n{api_key}"
        )

    _run(action)


@cli.command("list-keys")
@click.argument("username")
def list_keys(username: str) -> None:
    """List a user's API keys (never the keys themselves)."""

    def action() -> str:
        keys = current_state().services.api_keys.list(_user_named(username).id)
        lines = [
            f"{key.key_id}  {key.name}  "
            f"scopes {'all' if key.scopes is None else ','.join(key.scopes) or '-'}  "
            f"expires {key.expires_at.isoformat(timespec='seconds') if key.expires_at else 'never'}"
            for key in keys
        ]
        return "\n".join([*lines, f"{len(keys)} API keys"])

    _run(action, changes=False)


@cli.command("revoke-key")
@click.argument("username")
@click.argument("key_id")
def revoke_key(username: str, key_id: str) -> None:
    """Revoke one API key of a user."""

    def action() -> str:
        current_state().services.api_keys.revoke(_user_named(username).id, key_id, CLI_ACTOR)
        return f"API key {key_id} revoked."

    _run(action)


@cli.command("revoke-keys")
@click.argument("username")
def revoke_keys(username: str) -> None:
    """Revoke every API key of a user, a legacy one included."""

    def action() -> str:
        user = _user_named(username)
        count = current_state().services.api_keys.revoke_all(user.id, CLI_ACTOR)
        return f"{count} API keys of {user.username!r} revoked."

    _run(action)


@cli.command("send-test-email")
@click.argument("address")
def send_test_email(address: str) -> None:
    """Send a test message through the app's mailer now, to check the mail settings."""
    state = current_state()
    if state.services.mail is None:
        raise click.ClickException(
            "No mail flow is on: turn one on and pass register_endpoints a mailer."
        )
    try:
        state.services.mail.send_test(address)
    except FrappyAuthError as error:
        raise click.ClickException(error.message) from None
    # The mailer's own failure is the answer this command gives.
    except Exception as error:  # noqa: BLE001
        raise click.ClickException(f"Not sent: {type(error).__name__}: {error}") from None
    click.echo(f"Test message sent to {address}.")


def _created(user: Any) -> str:
    return f"Created {user.username!r} ({user.id}) with permissions {list(user.permissions)}."


@cli.command("migrate")
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
def migrate(dry_run: bool) -> None:
    """Upgrade documents frappymongouser, frappyflaskauth or an old worker wrote, and record the
    schema.

    Runs every step even on a database already marked as migrated, to convert what old workers wrote
    since. Stores without documents (the memory stores) have nothing to migrate.
    """
    context = current_state().services.context
    # Not a protocol method: only stores that keep documents (the Mongo stores) have one.
    migrations = [
        getattr(store, "migrate")
        for store in (context.stores.users, context.stores.sessions)
        if hasattr(store, "migrate")
    ]
    if not migrations:
        click.echo("These stores keep no documents: nothing to migrate.")
    for migrate_store in migrations:
        try:
            report = migrate_store(dry_run=dry_run, progress=click.echo, now=context.clock())
        except (
            RuntimeError
        ) as refused:  # two usernames differing only in case: the operator must choose
            raise click.ClickException(str(refused)) from None
        click.echo(report.summary())
