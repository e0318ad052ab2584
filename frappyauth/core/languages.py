"""The languages frappyauth speaks, and their catalogs (`frappyauth/translations/`).

Catalogs are gettext `.mo` files compiled from the `.po` files beside them and shipped in the
package, so the running library reads them with the standard library's `gettext` and needs no
Babel; `python -m frappyauth.web.message_extraction` (with Babel installed) updates both, and
`tests/test_languages.py` fails when a `.mo` is older than its `.po`.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import Any

from frappyauth.core.errors import Text
from frappyauth.core.models import User

ENGLISH = "en"
LANGUAGES = (ENGLISH, "de")  # English first: the language of the code and the fallback
# The key of a user's profile that names the user's language ("de", "de-AT", "en"...).
PROFILE_KEY = "language"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The catalog of one of `LANGUAGES`; English text itself for any other."""
    if language not in LANGUAGES:
        return gettext.NullTranslations()
    return gettext.translation("messages", TRANSLATIONS, languages=[language])


def supported(tag: object) -> str | None:
    """The language of `LANGUAGES` a language tag names ("de-AT" is German), or `None`."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def profile_language(user: User | None) -> str | None:
    """The language the user chose in the profile, if it is one frappyauth speaks."""
    return None if user is None else supported(user.profile.get(PROFILE_KEY))


def translate(language: str, template: str, params: dict[str, Any] | None = None) -> str:
    """`template` in `language`, filled in with `params`; a value that is itself words to show
    (`errors.Text`) is translated first."""
    words = catalog(language).gettext
    filled = {
        name: words(value) if isinstance(value, Text) else value
        for name, value in (params or {}).items()
    }
    text = words(template)
    return text.format(**filled) if filled else text
