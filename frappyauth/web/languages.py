"""Which language a request is answered in: the signed-in user's profile setting
(`profile["language"]`), else the best of the request's `Accept-Language`, else English.

Only words change with the language: error codes, keys and status codes never do, and an English
(or absent) `Accept-Language` gets the very bytes it got before translations existed.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from frappyauth.core.errors import FrappyAuthError
from frappyauth.core.languages import ENGLISH, LANGUAGES, catalog, profile_language, translate
from frappyauth.core.models import User
from frappyauth.web.credentials import IDENTITY_KEY


def accepted_language(header: str | None) -> str:
    """The best of `LANGUAGES` for an `Accept-Language` header ("de-AT" counts as German)."""
    if not header:
        return ENGLISH
    accepted = parse_accept_header(header, LanguageAccept)
    return accepted.best_match(LANGUAGES, default=ENGLISH) or ENGLISH


def request_language(user: User | None = None) -> str:
    """The language to answer the current request in; `user` is the signed-in user, when known
    (else the one an earlier check of this request accepted)."""
    if user is None:
        identity = g.get(IDENTITY_KEY)  # what the guard accepted; not imported: it imports answers
        user = identity.user if identity is not None else None
    return profile_language(user) or accepted_language(request.headers.get("Accept-Language"))


def error_message(error: FrappyAuthError) -> str:
    """The error's message in the request's language."""
    language = request_language()
    if language == ENGLISH:
        return error.message  # untouched: English answers stay byte for byte as they were
    return translate(language, error.template, error.params)


def words(language: str, text: str) -> str:
    """A fixed English text in `language`."""
    return text if language == ENGLISH else catalog(language).gettext(text)


CONSOLE = "console"  # the message context (msgctxt) of the console's words


def console_messages(language: str) -> dict[str, Any]:
    """The console's words in `language`: a text's translation, or a plural's list of forms."""
    messages: dict[str, Any] = {}
    prefix = CONSOLE + "\x04"  # how gettext keys a message of a context
    # `_catalog` is the parsed `.mo`; gettext offers no public way to list what a catalog holds.
    for key, text in getattr(catalog(language), "_catalog", {}).items():
        msgid, form = key if isinstance(key, tuple) else (key, None)
        if not msgid.startswith(prefix):
            continue
        if form is None:
            messages[msgid[len(prefix) :]] = text
        else:
            forms = messages.setdefault(msgid[len(prefix) :], [])
            forms[len(forms) : form + 1] = [""] * (form + 1 - len(forms))
            forms[form] = text
    return messages
