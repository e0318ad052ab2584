"""The `MailTokenStore` contract, and the address methods of the `UserStore` contract, sentence by
sentence, against every store in `backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from backends import Backend
from conftest import LATER, NOW
from threads import run_in_threads
from frappyauth.core.errors import DuplicateEmailError, DuplicateUsernameError
from frappyauth.core.models import MailToken, User
from frappyauth.core.protocols import MailTokenStore, UserStore


def token(
    token_hash: str = "t" * 64,
    purpose: str = "password_reset",
    user_id: str = "u1",
    expires_at=LATER,
) -> MailToken:
    return MailToken(
        token_hash=token_hash,
        purpose=purpose,
        user_id=user_id,
        email="ann@example.org",
        binding="b" * 64,
        created_at=NOW,
        expires_at=expires_at,
    )


# MailTokenStore.create / take


def test_take_returns_the_created_token_once(mail_token_store: MailTokenStore) -> None:
    mail_token_store.create(token())
    assert mail_token_store.take("t" * 64, "password_reset", NOW) == token()
    assert mail_token_store.take("t" * 64, "password_reset", NOW) is None


def test_create_refuses_a_second_token_with_the_same_hash(mail_token_store: MailTokenStore) -> None:
    mail_token_store.create(token())
    with pytest.raises(ValueError):
        mail_token_store.create(token(user_id="u2"))
    assert mail_token_store.take("t" * 64, "password_reset", NOW) == token()


@pytest.mark.parametrize("token_hash", ["u" * 64, "", "t" * 63])
def test_take_returns_none_for_an_unknown_hash(
    mail_token_store: MailTokenStore, token_hash: str
) -> None:
    mail_token_store.create(token())
    assert mail_token_store.take(token_hash, "password_reset", NOW) is None


def test_take_of_another_purpose_returns_none_and_leaves_the_token(
    mail_token_store: MailTokenStore,
) -> None:
    mail_token_store.create(token())
    assert mail_token_store.take("t" * 64, "email_change", NOW) is None
    assert mail_token_store.take("t" * 64, "password_reset", NOW) == token()


def test_take_never_returns_an_expired_token(mail_token_store: MailTokenStore) -> None:
    mail_token_store.create(token())
    assert mail_token_store.take("t" * 64, "password_reset", LATER) is None
    assert mail_token_store.take("t" * 64, "password_reset", LATER + timedelta(days=1)) is None
    assert (
        mail_token_store.take("t" * 64, "password_reset", LATER - timedelta(seconds=1)) == token()
    )


def test_concurrent_takes_of_one_token_give_it_to_exactly_one(
    backend: Backend, mail_token_store: MailTokenStore
) -> None:
    if not backend.thread_safe:
        pytest.skip(
            "mongomock is not thread-safe: concurrency is tested on the memory store and real "
            "MongoDB"
        )
    mail_token_store.create(token())
    taken: list[MailToken | None] = []
    run_in_threads(
        lambda: taken.append(mail_token_store.take("t" * 64, "password_reset", NOW)), [()] * 24
    )
    assert [t for t in taken if t is not None] == [token()]


# delete_for_user / purge_expired


def test_delete_for_user_deletes_their_tokens_of_a_purpose_or_all(
    mail_token_store: MailTokenStore,
) -> None:
    mail_token_store.create(token("a" * 64))
    mail_token_store.create(token("b" * 64, purpose="email_change"))
    mail_token_store.create(token("c" * 64, user_id="u2"))
    assert mail_token_store.delete_for_user("u1", "email_change") == 1
    assert mail_token_store.take("b" * 64, "email_change", NOW) is None
    assert mail_token_store.delete_for_user("u1") == 1
    assert mail_token_store.take("a" * 64, "password_reset", NOW) is None
    assert mail_token_store.delete_for_user("nobody") == 0
    assert mail_token_store.take("c" * 64, "password_reset", NOW) is not None


def test_purge_expired_deletes_exactly_the_expired_tokens(mail_token_store: MailTokenStore) -> None:
    mail_token_store.create(token("a" * 64, expires_at=LATER))
    mail_token_store.create(token("b" * 64, expires_at=LATER + timedelta(hours=1)))
    assert mail_token_store.purge_expired(LATER) == 1
    assert mail_token_store.take("b" * 64, "password_reset", LATER) is not None


# UserStore: get_by_email, create with an email key, set_email


def user(
    username: str = "Ann",
    email: str | None = "Ann@example.org",
    email_key: str | None = "ann@example.org",
    verified: bool = False,
) -> User:
    return User(
        id="",
        username=username,
        password_hash="h",
        email=email,
        email_key=email_key,
        email_verified=verified,
    )


def test_get_by_email_finds_the_user_by_its_key_only(user_store: UserStore) -> None:
    created = user_store.create(user(verified=True))
    assert user_store.get_by_email("ann@example.org") == created
    assert created.email_verified is True and created.email == "Ann@example.org"
    assert user_store.get_by_email("Ann@example.org") is None
    assert user_store.get_by_email("bob@example.org") is None


def test_users_without_an_email_key_may_share_an_address(user_store: UserStore) -> None:
    """frappyflaskauth's behaviour: without the mail flows, addresses are not unique."""
    user_store.create(user("Ann", email_key=None))
    user_store.create(user("Bob", email_key=None))
    assert user_store.count() == 2
    assert user_store.get_by_email("ann@example.org") is None


def test_create_refuses_a_taken_email_key(user_store: UserStore) -> None:
    user_store.create(user("Ann"))
    with pytest.raises(DuplicateEmailError):
        user_store.create(user("Bob"))
    with pytest.raises(DuplicateUsernameError):  # the username is checked first
        user_store.create(user("ANN"))
    assert user_store.count() == 1


def test_concurrent_creates_with_one_email_key_let_exactly_one_succeed(
    backend: Backend, user_store: UserStore
) -> None:
    if not backend.thread_safe:
        pytest.skip(
            "mongomock is not thread-safe: concurrency is tested on the memory store and real "
            "MongoDB"
        )
    outcomes: list[str] = []

    def create(number: int) -> None:
        try:
            user_store.create(user(f"user{number}"))
            outcomes.append("created")
        except DuplicateEmailError:
            outcomes.append("taken")

    run_in_threads(create, [(n,) for n in range(24)])
    assert sorted(outcomes) == ["created"] + ["taken"] * 23


def test_set_email_replaces_address_key_and_verification(user_store: UserStore) -> None:
    created = user_store.create(user())
    updated = user_store.set_email(created.id, "ann@example.com", "ann@example.com", True)
    assert updated == dataclasses.replace(
        created, email="ann@example.com", email_key="ann@example.com", email_verified=True
    )
    assert user_store.get(created.id) == updated
    assert user_store.get_by_email("ann@example.com") == updated
    assert user_store.get_by_email("ann@example.org") is None
    cleared = user_store.set_email(created.id, None, None, False)
    assert cleared is not None and (cleared.email, cleared.email_key, cleared.email_verified) == (
        None,
        None,
        False,
    )


def test_set_email_refuses_a_key_another_user_holds_and_changes_nothing(
    user_store: UserStore,
) -> None:
    ann = user_store.create(user())
    bob = user_store.create(user("Bob", email="bob@example.org", email_key="bob@example.org"))
    with pytest.raises(DuplicateEmailError):
        user_store.set_email(bob.id, "ann@example.org", "ann@example.org", True)
    assert user_store.get(bob.id) == bob and user_store.get_by_email("ann@example.org") == ann
    assert (
        user_store.set_email(ann.id, "Ann@example.org", "ann@example.org", True) is not None
    )  # its own key


def test_concurrent_set_emails_to_one_key_let_exactly_one_succeed(
    backend: Backend, user_store: UserStore
) -> None:
    if not backend.thread_safe:
        pytest.skip(
            "mongomock is not thread-safe: concurrency is tested on the memory store and real "
            "MongoDB"
        )
    ids = [user_store.create(user(f"user{n}", email=None, email_key=None)).id for n in range(24)]
    outcomes: list[str] = []

    def move(user_id: str) -> None:
        try:
            user_store.set_email(user_id, "x@example.org", "x@example.org", True)
            outcomes.append("moved")
        except DuplicateEmailError:
            outcomes.append("taken")

    run_in_threads(move, [(user_id,) for user_id in ids])
    assert sorted(outcomes) == ["moved"] + ["taken"] * 23


@pytest.mark.parametrize("missing_id", ["0123456789abcdef01234567", "not-an-id", ""])
def test_set_email_of_a_missing_user_returns_none(user_store: UserStore, missing_id: str) -> None:
    assert user_store.set_email(missing_id, "x@example.org", "x@example.org", True) is None
    assert user_store.get_by_email("x@example.org") is None
