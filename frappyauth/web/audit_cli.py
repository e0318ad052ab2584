"""`flask frappyauth audit`: the audit trail from the shell, as lines or JSON Lines (an export)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import click

from frappyauth.core.models import username_key
from frappyauth.web.audit_views import entry_json
from frappyauth.web.cli import cli
from frappyauth.web.state import current_state

_SPAN = re.compile(r"(\d{1,6})([dhm])")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@cli.command("audit")
@click.option("--user", "username", help="Only the events of this user.")
@click.option("--type", "event", help="Only events of this type, e.g. login-failed.")
@click.option("--since", help="Only events of the last span: 7d, 12h, 30m.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one entry a line (an export).")
def audit(username: str | None, event: str | None, since: str | None, as_json: bool) -> None:
    """Show the audit trail, newest first (option audit_trail)."""
    services = current_state().services
    if services.audit is None:
        raise click.ClickException("The audit trail is off on this app (option 'audit_trail').")
    user_id = _user_id(username) if username else None
    oldest = _since(since, services.context.clock()) if since else None
    before: tuple[datetime, str] | None = None
    while True:
        entries = services.audit.page(user_id, event, before, 100, oldest)
        for entry in entries:
            click.echo(json.dumps(entry_json(entry)) if as_json else _line(entry_json(entry)))
        if len(entries) < 100:
            return
        before = entries[-1].at, entries[-1].entry_id


def _user_id(username: str) -> str:
    user = current_state().services.stores.users.get_by_username(username_key(username))
    if user is None:
        raise click.ClickException(f"There is no user {username!r}.")
    return user.id


def _since(span: str, now: datetime) -> datetime:
    match = _SPAN.fullmatch(span)
    if match is None:
        raise click.BadParameter("give a span like 7d, 12h or 30m", param_hint="--since")
    return now - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def _line(entry: dict) -> str:
    details = " ".join(f"{key}={value}" for key, value in entry["details"].items())
    return (
        f"{entry['at']}  {entry['event']}  {entry['outcome']}  user {entry['userId']}  "
        f"actor {entry['actorId']}  from {entry['remoteAddr']}  {details}"
    ).rstrip()
