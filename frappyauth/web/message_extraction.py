"""Keeping the translation catalogs in step with the code (a development tool: it needs Babel,
which the running library does not).

    python -m frappyauth.web.message_extraction

extracts every message into `frappyauth/translations/messages.pot`, merges it into each
language's `messages.po` (a new message arrives with an empty translation, which
`tests/test_languages.py` then names) and compiles each `.po` into the `.mo` the library reads.

What counts as a message:
- Python (`frappyauth/`): the first argument of a call to an error class (a name ending in
  `Error` that is not a built-in exception), a `message` set in an error class's body, and
  `Text(...)`, `gettext(...)`, `ngettext(...)` calls;
- mail templates: Jinja's `{% trans %}` blocks and `gettext`/`ngettext` calls;
- the console: every text node and text attribute of `index.html`, and the `t(...)`/`tn(...)`
  calls of its scripts.
"""

from __future__ import annotations

import ast
import copy
import builtins
import io
from datetime import datetime, timezone
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from frappyauth.core.languages import ENGLISH, LANGUAGES
from frappyauth.web.languages import CONSOLE

PACKAGE = Path(__file__).resolve().parent.parent
TRANSLATIONS = PACKAGE / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
TEXT_CALLS = {"Text": 1, "gettext": 1, "_": 1, "ngettext": 2}
NOT_OURS = {"UsageError", "ClickException", "LegacyUsernameConflictError"}

METHOD_MAP = [
    ("web/message_extraction.py", "ignore"),
    ("**.py", "frappyauth.web.message_extraction:extract_python"),
    ("templates/**.txt", "jinja2"),
    ("templates/**.html", "jinja2"),
    ("templates/**.jinja", "jinja2"),
    ("web/console_static/index.html", "frappyauth.web.message_extraction:extract_html"),
    ("web/console_static/**.js", "javascript"),
]
OPTIONS_MAP = {
    "templates/**.txt": {"trimmed": "true"},
    "templates/**.html": {"trimmed": "true"},
    "templates/**.jinja": {"trimmed": "true"},
}
# The console's scripts: `t("text", {values})` and `tn("one", "many", count, {values})`.
CONSOLE_KEYWORDS = {"t": (1,), "tn": (1, 2)}

# Fixed header dates and no source locations: the files change only when a message does, so
# branches that add messages in different places merge cleanly.
STABLE_DATE = datetime(2026, 12, 7, tzinfo=timezone.utc)

Extracted = Iterator[tuple[int, str, Any, list[str]]]


def _is_error_name(name: str) -> bool:
    return name.endswith("Error") and not hasattr(builtins, name) and name not in NOT_OURS


def _callee(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else ""


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _class_messages(node: ast.ClassDef) -> Extracted:
    """`message = "..."` and `code, message = "...", "..."` in an error class's body."""
    for statement in node.body:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        target, value = statement.targets[0], statement.value
        pairs = (
            zip(target.elts, value.elts)
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
            else [(target, value)]
        )
        for name, text in pairs:
            if isinstance(name, ast.Name) and name.id == "message" and _literal(text) is not None:
                yield statement.lineno, "gettext", _literal(text), []


def _call_messages(node: ast.Call) -> Extracted:
    name = _callee(node)
    count = TEXT_CALLS.get(name, 1 if _is_error_name(name) else 0)
    texts = [_literal(argument) for argument in node.args[:count]]
    if count and len(texts) == count and all(text is not None for text in texts):
        yield node.lineno, "gettext" if count == 1 else "ngettext", tuple(texts), []


def extract_python(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Extracted:
    """Babel's extraction method for frappyauth's Python files (see the module's docstring)."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _is_error_name(node.name):
            yield from _class_messages(node)
        elif isinstance(node, ast.Call):
            yield from _call_messages(node)


def unextractable_messages(root: Path = PACKAGE) -> list[str]:
    """Where an error is raised with a message built on the spot (an f-string, `+`, `%`,
    `.format`): such a message cannot be translated; give the template and its values as keyword
    arguments. (A name is fine: a `Text` constant, or a template passed on.)"""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _is_error_name(_callee(node))
                and node.args
                and isinstance(node.args[0], (ast.JoinedStr, ast.BinOp, ast.Call))
            ):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


TRANSLATED_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")  # as in i18n.js


class _TextNodes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[tuple[int, str]] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skipping += tag in ("script", "style")
        for name, value in attrs:
            if name in TRANSLATED_ATTRIBUTES and value:
                self.texts.append((self.getpos()[0], " ".join(value.split())))

    def handle_endtag(self, tag: str) -> None:
        self._skipping -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skipping:
            self.texts.append((self.getpos()[0], text))


def extract_html(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Extracted:
    """Every text node of the console's page and every text attribute (`aria-label`, `alt`...),
    white space collapsed as the page's script looks them up."""
    parser = _TextNodes()
    parser.feed(fileobj.read().decode("utf-8"))
    for line, text in parser.texts:
        yield line, "gettext", text, []


def extract_template() -> Catalog:
    """A catalog of every message in the code, as `messages.pot` should hold it."""
    catalog = Catalog(project="frappyauth", creation_date=STABLE_DATE, fuzzy=False)
    keywords = {**DEFAULT_KEYWORDS, **CONSOLE_KEYWORDS}
    found = extract_from_dir(
        PACKAGE, METHOD_MAP, OPTIONS_MAP, keywords=keywords, strip_comment_tags=True
    )
    for filename, line, message, comments, context in found:
        if filename.startswith("web/console_static/"):
            context = CONSOLE  # the console's words are sent to it as one catalog of their own
        catalog.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update() -> None:
    """Extract the template, merge it into every language, compile every language."""
    template = extract_template()
    with TEMPLATE.open("wb") as file:
        write_po(file, template, no_location=True, omit_header=True, width=100)
    for language in LANGUAGES:
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=language, project="frappyauth", fuzzy=False)
        if path.exists():
            with path.open("rb") as file:
                catalog = read_po(file, locale=language)
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.revision_date = catalog.creation_date = STABLE_DATE
        catalog.last_translator = catalog.language_team = "frappyauth"
        if (
            language == ENGLISH
        ):  # the code is written in English: its translation is the text itself
            for message in catalog:
                if message.id and not all(message.string or [""]):
                    message.string = message.id  # a plural's forms are the two English ones
        with path.open("wb") as file:
            write_po(file, catalog, no_location=True, width=100)
        path.with_suffix(".mo").write_bytes(compiled(catalog))


if __name__ == "__main__":
    update()
