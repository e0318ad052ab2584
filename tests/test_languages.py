"""Messages in the user's language (issue 28, part 2): the catalogs are complete and up to date,
the language is the profile's, then `Accept-Language`, then English, and only words change with it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from frappyauth.core.languages import LANGUAGES, PROFILE_KEY
from frappyauth.web.message_extraction import (
    TEMPLATE,
    compiled,
    extract_template,
    po_path,
    unextractable_messages,
)
from http_support import ADMIN_PASSWORD, auth, login
from smtp_support import SmtpServer, delivered, parts

PREFIX = "/api/user"
UPDATE = "run `python -m frappyauth.web.message_extraction`"
PLACEHOLDER = re.compile(r"\{\w+(?:![rs])?\}|%\(\w+\)[sd]")


def read(path: Any) -> Catalog:
    with open(path, "rb") as file:
        return read_po(file)


def keys(catalog: Catalog) -> set[tuple[str | None, Any]]:
    return {(message.context, message.id) for message in catalog if message.id}


def forms(string: Any) -> list[str]:
    return list(string) if isinstance(string, (tuple, list)) else [string]


# -- the catalogs --------------------------------------------------------------------------------


def test_the_template_holds_every_message_of_the_code() -> None:
    """A message added in the code (an error's text, a mail's `{% trans %}`, a console `t(...)`)
    and not extracted yet fails here."""
    in_code, in_template = keys(extract_template()), keys(read(TEMPLATE))
    assert in_code - in_template == set(), f"messages missing from messages.pot: {UPDATE}"
    assert in_template - in_code == set(), (
        f"messages.pot holds messages gone from the code: {UPDATE}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation_in_every_language(language: str) -> None:
    template, catalog = read(TEMPLATE), read(po_path(language))
    assert keys(template) - keys(catalog) == set(), f"{language}: messages not merged yet: {UPDATE}"
    missing = [
        (message.context, message.id)
        for message in catalog
        if message.id and (message.fuzzy or not all(forms(message.string)))
    ]
    assert missing == [], f"translate these in {po_path(language)} (no fuzzy, none empty)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translation_keeps_the_values_of_its_message(language: str) -> None:
    for message in read(po_path(language)):
        if not message.id:
            continue
        wanted = sorted(PLACEHOLDER.findall(forms(message.id)[0]))
        for string in forms(message.string):
            assert sorted(PLACEHOLDER.findall(string)) == wanted, (message.id, string)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_mo_is_compiled_from_its_po(language: str) -> None:
    """The library reads the `.mo`; an edit to a `.po` that was not compiled fails here."""
    shipped = po_path(language).with_suffix(".mo").read_bytes()
    assert shipped == compiled(read(po_path(language))), f"{language}: the .mo is stale: {UPDATE}"


def test_no_error_message_is_built_on_the_spot() -> None:
    """An f-string message cannot be looked up in a catalog: the template goes in as written and
    its values as keyword arguments (`BadRequestError("At most {limit}.", limit=5)`)."""
    assert unextractable_messages() == []


# -- JSON answers ---------------------------------------------------------------------------------

# (method, path, body, with the admin's token): answers whose words today's clients already see.
ERRORS = [
    ("post", "/login", {"username": "admin", "password": "not her password"}, False),
    ("get", "", None, False),
    ("post", "/users", {"username": 5, "password": "x" * 12}, True),
    ("post", "/users", {"username": "bob", "password": "short"}, True),
    ("get", "/users?page=x", None, True),
    ("delete", "/users/nobody", None, True),
    ("post", "/password", {"oldPassword": "not her password", "newPassword": "y" * 12}, True),
]
# What frappyauth answered to them before it had catalogs, byte for byte.
BEFORE = [
    b'{"error":"invalid_credentials","message":"Username or password is wrong."}\n',
    b'{"error":"unauthenticated","message":"Valid credentials are required."}\n',
    b'{"error":"bad_request","message":"The field \'username\' must be a non-empty string."}\n',
    b'{"error":"invalid_password","message":"The password must have at least 12 characters."}\n',
    b'{"error":"bad_request","message":"The page must be a whole number from 0."}\n',
    b'{"error":"user_not_found","message":"No such user."}\n',
    b'{"error":"forbidden","message":"The old password is wrong."}\n',
]
GERMAN = [
    "Benutzername oder Passwort ist falsch.",
    "Gültige Anmeldedaten sind erforderlich.",
    "Das Feld 'username' muss eine nicht leere Zeichenkette sein.",
    "Das Passwort muss mindestens 12 Zeichen haben.",
    "Die Seite muss eine ganze Zahl ab 0 sein.",
    "Diesen Benutzer gibt es nicht.",
    "Das alte Passwort ist falsch.",
]


def answers(client: FlaskClient, token: str, language: str | None) -> list[Any]:
    client = client.application.test_client(use_cookies=False)  # credentials only where asked
    found = []
    for method, path, body, as_admin in ERRORS:
        headers = auth(token) if as_admin else {}
        if language is not None:
            headers["Accept-Language"] = language
        found.append(getattr(client, method)(PREFIX + path, json=body, headers=headers))
    return found


def headers_but_length(response: Any) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers if name != "Content-Length"]


@pytest.mark.parametrize("language", [None, "en", "en-GB,en;q=0.9,de;q=0.8", "fr", "*"])
def test_an_english_or_absent_accept_language_gets_the_same_bytes_as_before(
    client: FlaskClient, admin_token: str, language: str | None
) -> None:
    assert [response.data for response in answers(client, admin_token, language)] == BEFORE


@pytest.mark.parametrize("language", ["de", "de-AT", "fr, de;q=0.5"])
def test_german_changes_the_message_and_nothing_else(
    client: FlaskClient, admin_token: str, language: str
) -> None:
    english = answers(client, admin_token, None)
    german = answers(client, admin_token, language)
    for before, after, message in zip(english, german, GERMAN):
        assert after.status_code == before.status_code
        assert headers_but_length(after) == headers_but_length(before)
        assert after.get_json() == {"error": before.get_json()["error"], "message": message}


def test_the_profile_language_wins_over_accept_language(
    client: FlaskClient, admin_token: str
) -> None:
    """The profile is read once the request knows its user; before that (a failed login), the
    header decides."""
    created = client.post(
        f"{PREFIX}/users",
        json={"username": "dora", "password": "dora's password", "profile": {PROFILE_KEY: "de"}},
        headers=auth(admin_token),
    )
    assert created.status_code == 200
    dora = {**auth(login(client, "dora", "dora's password")), "Accept-Language": "en"}
    wrong_old = {"oldPassword": "not her password", "newPassword": "y" * 12}
    response = client.post(f"{PREFIX}/password", json=wrong_old, headers=dora)
    assert response.get_json() == {"error": "forbidden", "message": "Das alte Passwort ist falsch."}
    response = client.get(f"{PREFIX}/users", headers=dora)
    assert response.get_json() == {
        "error": "forbidden",
        "message": "Dafür ist die Berechtigung 'admin' nötig.",
    }


def test_an_unknown_profile_language_falls_back_to_accept_language(
    client: FlaskClient, admin_token: str
) -> None:
    for profile, header, message in [
        ({PROFILE_KEY: "tlh"}, "de", "Das alte Passwort ist falsch."),
        ({PROFILE_KEY: 7}, "en", "The old password is wrong."),
    ]:
        name = f"user{len(header)}{profile[PROFILE_KEY]}"
        body = {"username": name, "password": "a long password", "profile": profile}
        assert (
            client.post(f"{PREFIX}/users", json=body, headers=auth(admin_token)).status_code == 200
        )
        headers = {**auth(login(client, name, "a long password")), "Accept-Language": header}
        wrong_old = {"oldPassword": "not her password", "newPassword": "y" * 12}
        response = client.post(f"{PREFIX}/password", json=wrong_old, headers=headers)
        assert response.get_json()["message"] == message


# -- the console's catalog -------------------------------------------------------------------------


@pytest.fixture
def console_client(make_app: Any) -> FlaskClient:
    return make_app(console=True).test_client()


def test_the_console_gets_its_words_by_accept_language(console_client: FlaskClient) -> None:
    german = console_client.get(f"{PREFIX}/console/messages", headers={"Accept-Language": "de"})
    assert german.status_code == 200 and german.get_json()["language"] == "de"
    words = german.get_json()["messages"]
    assert words["Sign in"] == "Anmelden" and words["Username"] == "Benutzername"
    assert words["{count} session ended."] == [
        "{count} Sitzung beendet.",
        "{count} Sitzungen beendet.",
    ]
    assert "Username or password is wrong." not in words  # the API's messages are not the console's
    assert "Accept-Language" in german.headers["Vary"]
    english = console_client.get(f"{PREFIX}/console/messages").get_json()
    assert english["language"] == "en" and english["messages"]["Sign in"] == "Sign in"


def test_the_console_gets_the_signed_in_users_language(console_client: FlaskClient) -> None:
    admin = auth(login(console_client, "admin", ADMIN_PASSWORD))
    body = {"username": "dora", "password": "dora's password", "profile": {PROFILE_KEY: "de-CH"}}
    assert console_client.post(f"{PREFIX}/users", json=body, headers=admin).status_code == 200
    dora = {**auth(login(console_client, "dora", "dora's password")), "Accept-Language": "en"}
    answer = console_client.get(f"{PREFIX}/console/messages", headers=dora).get_json()
    assert answer["language"] == "de" and answer["messages"]["Sign out"] == "Abmelden"
    stale = {"Authorization": "not a session", "Accept-Language": "en"}
    assert (
        console_client.get(f"{PREFIX}/console/messages", headers=stale).get_json()["language"]
        == "en"
    )


# -- mail ------------------------------------------------------------------------------------------


def test_the_reset_mail_is_in_the_profile_language_else_the_requests(
    make_mail_app: Any, smtp_server: SmtpServer
) -> None:
    """Dora chose German in her profile; Emil chose nothing, and his request asked for German;
    Fritz's request asked for nothing. The link works for an hour: "1 Stunde", "1 hour"."""
    app: Flask = make_mail_app(password_reset=True, reset_token_lifetime=3600)
    client = app.test_client()
    admin = auth(login(client, "admin", ADMIN_PASSWORD))
    for name, profile in [("dora", {PROFILE_KEY: "de"}), ("emil", {}), ("fritz", {})]:
        body = {"username": name, "password": "a long password", "email": f"{name}@example.org"}
        response = client.post(f"{PREFIX}/users", json={**body, "profile": profile}, headers=admin)
        assert response.status_code == 200
    for name, language in [("dora", "en"), ("emil", "de-DE,de;q=0.9"), ("fritz", None)]:
        headers = {} if language is None else {"Accept-Language": language}
        asked = client.post(f"{PREFIX}/password-reset", json={"username": name}, headers=headers)
        assert asked.status_code == 200
    delivered(app)
    for name, subject, words in [
        ("dora", "Setzen Sie Ihr Passwort zurück", ["Hallo dora,", "innerhalb von 1 Stunde:"]),
        ("emil", "Setzen Sie Ihr Passwort zurück", ["Hallo emil,", "innerhalb von 1 Stunde:"]),
        ("fritz", "Reset your password", ["Hello fritz,", "within 1 hour:"]),
    ]:
        message = smtp_server.to(f"{name}@example.org")[-1]
        text, html = parts(message)
        assert message["Subject"] == subject
        assert all(word in text and word in html for word in words), (text, html)


def test_lifetimes_are_said_with_the_languages_plural_forms(make_mail_app: Any) -> None:
    from frappyauth.web.mail_templates import TemplateComposer

    composer = TemplateComposer(make_mail_app(password_reset=True))
    context = {"username": "ann", "email": "ann@example.org", "link": "https://x.example/r"}
    for language, hours, words in [
        ("de", 24, "innerhalb von 24 Stunden:"),
        ("de", 0.5, "innerhalb von 30 Minuten:"),
        ("en", 1 / 60, "within 1 minute:"),
        ("en", 2, "within 2 hours:"),
    ]:
        message = composer.compose(
            "password_reset",
            "ann@example.org",
            {**context, "expires_in_hours": hours, "language": language},
        )
        assert words in message.text and words in message.html


# -- the console in a German browser ---------------------------------------------------------------


@pytest.mark.slow
def test_a_german_browser_sees_the_console_in_german(tmp_path: Any) -> None:
    from browser_support import Browser, ConsoleServer, chromium_or_skip

    binaries = chromium_or_skip()
    server = ConsoleServer()
    window = Browser(binaries, tmp_path / "profile", language="de")
    try:
        window.driver.get(server.console)
        window.wait(lambda: window.visible("view-sign-in"), "the sign-in form")
        window.see("sign-in-title", "Anmelden")
        assert window.driver.find_element("css selector", "label[for=sign-in-username]").text == (
            "Benutzername"
        )
        assert window.driver.title == "frappyauth-Konsole"
        assert window.find("nav").get_attribute("aria-label") == "Ansichten"
        assert window.driver.find_element("css selector", "html").get_attribute("lang") == "de"
        window.fill("sign-in-username", "admin")
        window.fill("sign-in-password", "not the password")
        window.find("sign-in-password").submit()
        window.message("Falscher Benutzername oder falsches Passwort.")
        window.fill("sign-in-password", ADMIN_PASSWORD)
        window.find("sign-in-password").submit()
        window.see("who", "Angemeldet als admin")
        window.idle()
        window.see("nav-account", "Mein Konto")
        window.see("user-count", "1 Benutzer insgesamt")
        assert window.script_errors() == []
    finally:
        window.save("german-console", False)
        window.quit()
        server.stop()
