"""mkdocs hook: the options table of docs/options.md, generated from `dataclasses.fields(Options)`.

Names, types and defaults come from the dataclass, so they cannot drift. Each option's meaning is,
in this order: the field's `metadata["doc"]`, the row for it in the hand-written table between `<!--
options:start -->` and `<!-- options:end -->` in docs/options.md (`| `name` | meaning |`), or the
comment on the field's line in `frappyauth/core/options.py`. A hand-written row for an option the
dataclass does not have, or an option with no meaning at all, stops the build.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import MISSING, Field, fields
from typing import Any

from frappyauth.core.options import Options

START, END = "<!-- options:start -->", "<!-- options:end -->"
HAND_ROW = re.compile(r"^\|\s*`(\w+)`\s*\|(.*)\|\s*$", re.MULTILINE)
FIELD_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+?)\s*$", re.MULTILINE)


def default_of(field: Field[Any]) -> Any:
    if field.default is not MISSING:
        return field.default
    if field.default_factory is not MISSING:
        return field.default_factory()
    return MISSING


def shown(value: Any) -> str:
    """A default as a user writes it in `options_override`: lists for tuples, strings bare."""
    if value is MISSING:
        return "(required)"
    if isinstance(value, (tuple, list)):
        return f"`{json.dumps(list(value))}`"
    return f"`{value}`"


def type_of(field: Field[Any]) -> str:
    text = (
        field.type
        if isinstance(field.type, str)
        else getattr(field.type, "__name__", str(field.type))
    )
    return text.replace("tuple[str, ...]", "list of str").replace(
        " | ", " or "
    )  # a bare | would split the cell


def source_comments() -> dict[str, str]:
    """The comment at the end of each field's line, where the source can be read (the last
    resort)."""
    try:
        source = inspect.getsource(Options)
    except (OSError, TypeError):
        return {}
    return {name: comment for name, comment in FIELD_COMMENT.findall(source)}


def hand_meanings(markdown: str) -> dict[str, str]:
    table = markdown.split(START, 1)[1].split(END, 1)[0]
    return {name: cells.split("|")[-1].strip() for name, cells in HAND_ROW.findall(table)}


def rows(markdown: str) -> list[tuple[str, str, str, str]]:
    """(name, type, default, meaning) of every option, in the dataclass's order."""
    hand, comments = hand_meanings(markdown), source_comments()
    known = [field.name for field in fields(Options)]
    strangers = sorted(set(hand) - set(known))
    if strangers:
        raise ValueError(f"docs/options.md describes options that do not exist: {strangers}")
    table = []
    for field in fields(Options):
        meaning = field.metadata.get("doc") or hand.get(field.name) or comments.get(field.name)
        if not meaning:
            raise ValueError(
                f"the option {field.name!r} has no meaning: add a row to docs/options.md"
            )
        table.append((field.name, type_of(field), shown(default_of(field)), meaning))
    return table


def render(markdown: str) -> str:
    """The page with the hand-written rows replaced by the generated table."""
    head, rest = markdown.split(START, 1)
    tail = rest.split(END, 1)[1]
    lines = ["| option | type | default | meaning |", "|---|---|---|---|"]
    lines += [
        f"| `{name}` | {kind} | {default} | {meaning} |"
        for name, kind, default, meaning in rows(markdown)
    ]
    return head + "\n".join(lines) + "\n" + tail


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return render(markdown) if START in markdown else markdown
