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
from frappyauth.stores.memory import (
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemoryMfaStore,
    MemorySessionStore,
    MemoryUserStore,
)
from frappyauth.web.state import AuthState, current_state

CLI_ACTOR = Actor("cli")
# Also installed as a `flask.commands` entry point, so that `flask frappyauth --help` (and each
# command's `--help`) answers without loading the app, whose start-up may need its database.
cli = AppGroup("frappyauth", help="Manage frappyauth users.")
MEMORY_STORES = (
    MemoryUserStore,
    MemorySessionStore,
    MemoryApiKeyStore,
    MemoryAttemptStore,
    MemoryMfaStore,
)
# What each store of `Stores` keeps, for the refusal below.
KEPT = {
    "users": "users",
    "sessions": "sessions",
    "api_keys": "API keys",
    "attempts": "login throttle",
    "mfa": "second factors",
}


def _state() -> AuthState:
    """This app's frappyauth state, or one line saying it has none (the group is on every app)."""
    try:
        return current_state()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None


def _refuse_memory(*kinds: str) -> None:
    """Refuse a command that would write to a store in this process's memory: each command runs in
    a process of its own, so the change would end with it and never reach the running app."""
    stores = _state().services.stores
    for kind in kinds:
        store = getattr(stores, kind)
        if isinstance(store, MEMORY_STORES):
            raise click.ClickException(
                f"This app keeps its {KEPT[kind]} in memory ({type(store).__name__}): a change "
                "made here would end with this command, never reaching the running app. Give the "
                "app a MongoDB store (the demo: set MONGODB_URI), or use the HTTP API or the "
                "console."
            )


def _password_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--password`; without it the command asks with `_ask_password`, once it knows it can run."""
    return click.option(
        "--password", help="Asked for when not given; prefer the prompt, arguments show in `ps`."
    )(command)


def _ask_password(value: str | None) -> str:
    """Read the password at a hidden prompt, typed twice, or as one line of standard input when that
    is not a terminal (`echo ... | flask frappyauth create-user bob`), unless `--password` gave it.
    """
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


def _run(action: Callable[[], str]) -> None:
    try:
        result = action()
    except FrappyAuthError as error:
        raise click.ClickException(error.message) from None
    click.echo(result)


def _note_memory() -> None:
    """A reading command on memory stores sees only this process's own, new store."""
    users = _state().services.stores.users
    if isinstance(users, MemoryUserStore):
        click.echo(
            f"Note: this app keeps its users in memory ({type(users).__name__}): this command sees "
            "its own new store, not the running app's.",
            err=True,
        )


@cli.command("create-user")
@click.argument("username")
@click.option(
    "--permission", "permissions", multiple=True, help="A permission to give; repeat for more."
)
@_password_option
def create_user(username: str, permissions: tuple[str, ...], password: str | None) -> None:
    """Create a user."""
    _refuse_memory("users")
    password = _ask_password(password)
    _run(
        lambda: _created(
            _state().services.accounts.create(
                username, password, permissions or None, actor=CLI_ACTOR
            )
        )
    )


@cli.command("create-admin")
@click.argument("username")
@_password_option
def create_admin(username: str, password: str | None) -> None:
    """Create a user with the admin permission."""
    _refuse_memory("users")
    password = _ask_password(password)
    admin = _state().services.options.user_admin_permission
    _run(
        lambda: _created(
            _state().services.accounts.create(username, password, (admin,), actor=CLI_ACTOR)
        )
    )


@cli.command("init-admin")
@click.argument("username")
@_password_option
def init_admin(username: str, password: str | None) -> None:
    """Create an admin only if there are no users yet (safe to run at every deployment)."""
    _refuse_memory("users")
    password = _ask_password(password)

    def action() -> str:
        created = _state().services.accounts.create_initial_admin(username, password)
        return "Users exist already; nothing was created." if created is None else _created(created)

    _run(action)


@cli.command("set-password")
@click.argument("username")
@_password_option
def set_password(username: str, password: str | None) -> None:
    """Account recovery: set a user's password, end their sessions, revoke their API keys.

    As an administrator's reset (POST /users/<id>/password): with `passwordless` their passkeys are
    removed too, and the login throttle is cleared.
    """
    _refuse_memory("users", "sessions", "api_keys", "attempts", "mfa")
    password = _ask_password(password)

    def action() -> str:
        user = _state().services.accounts.get_by_username(username)
        _state().services.accounts.reset_password(user.id, password, actor=CLI_ACTOR)
        return f"Password of {user.username!r} set; their sessions ended, their API keys revoked."

    _run(action)


@cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Clear the login throttle for a user's account, from every address."""
    _refuse_memory("users", "attempts")

    def action() -> str:
        user = _state().services.accounts.get_by_username(username)
        _state().services.accounts.unlock(user.id, actor=CLI_ACTOR)
        return f"Unlocked {user.username!r}: failed logins from every address are forgotten."

    _run(action)


@cli.command("reset-mfa")
@click.argument("username")
def reset_mfa(username: str) -> None:
    """Remove a user's second factors (a lost phone; the way back in for the last admin)."""
    _refuse_memory("users", "mfa")

    def action() -> str:
        mfa = _state().services.second_factors
        if mfa is None:
            raise click.ClickException(
                "Second factors are off on this app (the frappyauth option 'totp')."
            )
        user = mfa.reset(_state().services.accounts.get_by_username(username).id, actor=CLI_ACTOR)
        return (
            f"Removed the second factors of {user.username!r}: their next login takes the "
            f"password only."
        )

    _run(action)


@cli.command("list-users")
@click.option("--page", default=0, type=click.IntRange(min=0), help="Page number, from 0.")
def list_users(page: int) -> None:
    """List users, a page at a time."""
    _note_memory()
    users, total = _state().services.accounts.page(page)
    for user in users:
        click.echo(f"{user.id}  {user.username}  {','.join(user.permissions)}")
    click.echo(f"{len(users)} shown, {total} in all")


def _user_named(username: str) -> User:
    user = _state().services.stores.users.get_by_username(username_key(username))
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
    _refuse_memory("users", "api_keys")

    def action() -> str:
        key, api_key = _state().services.api_keys.create(
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
    _note_memory()

    def action() -> str:
        keys = _state().services.api_keys.list(_user_named(username).id)
        lines = [
            f"{key.key_id}  {key.name}  "
            f"scopes {'all' if key.scopes is None else ','.join(key.scopes) or '-'}  "
            f"expires {key.expires_at.isoformat(timespec='seconds') if key.expires_at else 'never'}"
            for key in keys
        ]
        return "\n".join([*lines, f"{len(keys)} API keys"])

    _run(action)


@cli.command("revoke-key")
@click.argument("username")
@click.argument("key_id")
def revoke_key(username: str, key_id: str) -> None:
    """Revoke one API key of a user."""
    _refuse_memory("users", "api_keys")

    def action() -> str:
        _state().services.api_keys.revoke(_user_named(username).id, key_id, CLI_ACTOR)
        return f"API key {key_id} revoked."

    _run(action)


@cli.command("revoke-keys")
@click.argument("username")
def revoke_keys(username: str) -> None:
    """Revoke every API key of a user, a legacy one included."""
    _refuse_memory("users", "api_keys")

    def action() -> str:
        user = _user_named(username)
        count = _state().services.api_keys.revoke_all(user.id, CLI_ACTOR)
        return f"{count} API keys of {user.username!r} revoked."

    _run(action)


@cli.command("send-test-email")
@click.argument("address")
def send_test_email(address: str) -> None:
    """Send a test message through the app's mailer now, to check the mail settings."""
    state = _state()
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
    context = _state().services.context
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
