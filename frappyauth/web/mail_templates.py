"""Rendering mail from Jinja templates, which an app overrides with its own templates of the same
name.

Each kind of message has `frappyauth/mail/<kind>.txt` (the plain-text part, which sets the `subject`
variable) and `frappyauth/mail/<kind>.html` (the HTML part). The app's template folder is searched
first, so an app overrides a message by putting a file at that path in its own `templates/` folder.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from frappyauth.core.mailer import MailMessage


class TemplateComposer:
    """Composes messages from the app's templates, falling back to frappyauth's own."""

    def __init__(self, app: Flask) -> None:
        loaders: list[BaseLoader] = [PackageLoader("frappyauth", "templates")]
        if app.jinja_loader is not None:
            loaders.insert(0, app.jinja_loader)
        # An own environment: rendering happens on the outbox's thread, outside any app or request
        # context.
        self._environment = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",)),
        )

    def compose(self, kind: str, to: str, context: dict[str, Any]) -> MailMessage:
        text_template = self._environment.get_template(f"frappyauth/mail/{kind}.txt")
        html_template = self._environment.get_template(f"frappyauth/mail/{kind}.html")
        module = text_template.make_module(context)
        subject = str(getattr(module, "subject", "")).strip() or kind.replace("_", " ").capitalize()
        return MailMessage(
            to=to, subject=subject, text=str(module), html=html_template.render(context), kind=kind
        )
