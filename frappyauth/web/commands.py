"""Every `flask frappyauth` command on one group: the user and key commands (`cli`) and the audit
trail's (`audit_cli`). Flask finds the group here, through the `flask.commands` entry point, without
loading the app (so `--help` needs no database)."""

from frappyauth.web.audit_cli import cli

__all__ = ["cli"]
