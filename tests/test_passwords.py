"""Password hashing: bcrypt over every byte, NFKC, and frappymongouser's MD5 upgraded at login."""

from __future__ import annotations

import hashlib

import pytest

from frappyauth.core.models import User
from frappyauth.core.passwords import PasswordHasher
from http_support import ADMIN_PASSWORD, auth, body, login

hasher = PasswordHasher(cost=4)


def test_a_hash_verifies_its_password_only() -> None:
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$2b$04$")
    assert hasher.verify("correct horse battery", stored)
    assert not hasher.verify("correct horse batterY", stored)


@pytest.mark.parametrize("position", [0, 71, 72, 80, 299])
def test_every_byte_of_a_long_password_counts(position: int) -> None:
    password = "€" * 100  # 300 bytes in UTF-8: far past bcrypt's 72
    stored = hasher.hash(password)
    assert hasher.verify(password, stored)
    changed = password.encode()[:position] + b"!" + password.encode()[position + 1 :]
    assert not hasher.verify(changed.decode(errors="replace"), stored)


def test_passwords_are_compared_in_nfkc_form() -> None:
    stored = hasher.hash("ﬁne password ①")  # a ligature and a circled digit
    assert hasher.verify("fine password 1", stored)


def test_a_legacy_md5_hash_verifies_in_constant_form() -> None:
    legacy = hashlib.md5(b"old secret").hexdigest()
    assert hasher.verify("old secret", legacy) and hasher.verify("old secret", legacy.upper())
    assert not hasher.verify("old secreT", legacy)


@pytest.mark.parametrize("stored", [None, "", "plaintext", "$2b$04$tooshort", "0" * 31])
def test_no_or_an_unreadable_hash_never_verifies(stored) -> None:
    assert hasher.verify("anything at all", stored) is False


def test_md5_and_cheaper_bcrypt_hashes_need_a_rehash() -> None:
    assert PasswordHasher(5).needs_rehash(hasher.hash("x" * 12))
    assert not PasswordHasher(4).needs_rehash(hasher.hash("x" * 12))
    assert hasher.needs_rehash(hashlib.md5(b"x").hexdigest())


def test_a_frappymongouser_user_logs_in_and_leaves_md5_behind(app, user_store) -> None:
    created = user_store.create(
        User(
            id="",
            username="legacy",
            password_hash=hashlib.md5(b"old pw").hexdigest(),
            permissions=("view",),
        )
    )
    client = app.test_client()
    token = login(
        client, "legacy", "old pw"
    )  # shorter than the minimum: only new passwords must comply
    assert body(client.get("/api/things", headers=auth(token)))["for"] == "legacy"
    upgraded = user_store.get(created.id).password_hash
    assert upgraded.startswith("$2b$04$") and hasher.verify("old pw", upgraded)
    assert login(client, "legacy", "old pw")
    assert (
        client.post(
            "/api/user/login", json={"username": "legacy", "password": "old pW"}
        ).status_code
        == 401
    )


def test_a_wrong_password_leaves_the_md5_hash_alone(app, user_store) -> None:
    legacy = hashlib.md5(b"old pw").hexdigest()
    created = user_store.create(User(id="", username="legacy", password_hash=legacy))
    app.test_client().post(
        "/api/user/login", json={"username": "legacy", "password": "not the old pw"}
    )
    assert user_store.get(created.id).password_hash == legacy


def test_a_cheaper_bcrypt_hash_is_rehashed_at_the_configured_cost(make_app, user_store) -> None:
    make_app()  # seeds the admin at cost 4
    login(make_app(bcrypt_cost=5).test_client(), "admin", ADMIN_PASSWORD)
    assert user_store.get_by_username("admin").password_hash.startswith("$2b$05$")


def test_a_password_long_before_normalisation_but_short_after_can_log_in(
    client, admin_token
) -> None:
    """The cap is on the NFKC form on set and at login alike: 600 decomposed accents are 1,200
    characters raw."""
    password = "e\u0301" * 600
    response = client.post(
        "/api/user/users",
        json={"username": "accents", "password": password},
        headers=auth(admin_token),
    )
    assert response.status_code == 200
    assert login(client, "accents", password)
