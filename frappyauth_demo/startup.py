"""Start-up checks that stop the demo with one line saying what to do, under gunicorn as well."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from typing import Any, NoReturn


def mongodb_hosts(uri: str) -> str:
    """The hosts of a MongoDB URI, without the user name and password it may hold."""
    authority = uri.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
    return authority.rsplit("@", 1)[-1]


def gunicorn_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """`workers` and `preload_app` of the gunicorn running this process, from `WEB_CONCURRENCY`,
    `GUNICORN_CMD_ARGS` and its command line (a config file is not read); 1 worker outside
    gunicorn."""
    settings: dict[str, Any] = {"workers": 1, "preload_app": False}
    if "gunicorn.arbiter" not in sys.modules:
        return settings
    from gunicorn.config import Config

    parser = Config().parser()
    settings["workers"] = int(environ.get("WEB_CONCURRENCY") or 1)
    for args in (
        shlex.split(environ.get("GUNICORN_CMD_ARGS", "")),
        sys.argv[1:],
    ):  # the command line wins
        given = vars(parser.parse_known_args(args)[0])
        settings.update({name: given[name] for name in settings if given.get(name) is not None})
    return settings


def refuse(line: str, environ: Mapping[str, str]) -> NoReturn:
    """Stop start-up with one line.

    In a gunicorn worker, an `AppImportError` makes gunicorn print the line and stop the whole
    server; any other exception would only end the worker, which gunicorn would start again,
    forever. In gunicorn's master (`--preload`) and outside gunicorn, `SystemExit` prints the line
    and exits 1.
    """
    if "gunicorn.arbiter" in sys.modules and not gunicorn_settings(environ)["preload_app"]:
        from gunicorn.errors import AppImportError

        raise AppImportError(line)
    raise SystemExit(line)
