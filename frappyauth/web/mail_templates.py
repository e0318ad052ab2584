"""Rendering mail from Jinja templates, which an app overrides with its own templates of the same
name.

Each kind of message has `frappyauth/mail/<kind>.txt` (the plain-text part, which sets the `subject`
variable) and `frappyauth/mail/<kind>.html` (the HTML part). The app's template folder is searched
first, so an app overrides a message by putting a file at that path in its own `templates/` folder.

Templates are translated with Jinja's i18n extension (`{% trans %}`, `_()`, `ngettext()`) from
frappyauth's catalogs. A message is written in the language the context's `language` names: the
recipient's profile setting, else the `Accept-Language` of the request that queued it (see
`core.mail_tokens`), else English.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from frappyauth.core.languages import ENGLISH, LANGUAGES, catalog
from frappyauth.core.mailer import MailMessage
from frappyauth.web.languages import accepted_language


class TemplateComposer:
    """Composes messages from the app's templates, falling back to frappyauth's own."""

    def __init__(self, app: Flask) -> None:
        loaders: list[BaseLoader] = [PackageLoader("frappyauth", "templates")]
        if app.jinja_loader is not None:
            loaders.insert(0, app.jinja_loader)
        # Own environments, one per language: rendering happens on the outbox's thread, outside any
        # app or request context, and a language's gettext functions are its environment's globals.
        self._environments = {
            language: _environment(ChoiceLoader(loaders), language) for language in LANGUAGES
        }

    def request_language(self) -> str | None:
        """The language the current request's `Accept-Language` asks for; `None` outside a
        request."""
        return (
            accepted_language(request.headers.get("Accept-Language"))
            if has_request_context()
            else None
        )

    def compose(self, kind: str, to: str, context: dict[str, Any]) -> MailMessage:
        environment = self._environments.get(context.get("language") or ENGLISH)
        environment = environment or self._environments[ENGLISH]
        text_template = environment.get_template(f"frappyauth/mail/{kind}.txt")
        html_template = environment.get_template(f"frappyauth/mail/{kind}.html")
        module = text_template.make_module(context)
        subject = str(getattr(module, "subject", "")).strip() or kind.replace("_", " ").capitalize()
        return MailMessage(
            to=to, subject=subject, text=str(module), html=html_template.render(context), kind=kind
        )


def _environment(loader: BaseLoader, language: str) -> Environment:
    environment = Environment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",)),
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(catalog(language), newstyle=True)  # type: ignore[attr-defined]
    return environment
