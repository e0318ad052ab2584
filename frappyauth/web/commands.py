"""Every `flask frappyauth` command on one group: the user and key commands (`cli`), the audit
trail's (`audit_cli`), roles and suspension (`role_cli`). Flask finds the group here, through the
`flask.commands` entry point, without loading the app (so `--help` needs no database)."""

from frappyauth.web import role_cli  # noqa: F401 -- its commands join the group
from frappyauth.web.audit_cli import cli

__all__ = ["cli"]
