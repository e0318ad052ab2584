"""`GET /users?q=<prefix>`: the admin's search by name prefix, as the console uses it."""

from __future__ import annotations

import pytest

from frappyauth.core.models import prefix_end
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login


def search(client, token: str, query: str) -> tuple[list[str], int]:
    answer = body(client.get(f"/api/user/users?{query}", headers=auth(token)))
    return [user["username"] for user in answer["users"]], answer["total"]


@pytest.fixture
def people(make_app):
    client = make_app(page_size=2).test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    for name in ["alvin", "Bob", "ALICE", "Ａlfred", "amy"]:
        client.post(
            "/api/user/users",
            json={"username": name, "password": USER_PASSWORD},
            headers=auth(token),
        )
    return client, token


def test_search_finds_names_by_prefix_in_any_case_or_width_ordered_by_name(people) -> None:
    client, token = people
    assert search(client, token, "q=aL") == (["Ａlfred", "ALICE"], 3)
    assert search(client, token, "q=aL&page=1") == (["alvin"], 3)
    assert search(client, token, "q=%EF%BC%A1li") == (
        ["ALICE"],
        1,
    )  # a full-width A, as NFKC folds it
    assert search(client, token, "q=zed") == ([], 0)


def test_an_empty_search_is_the_plain_list_in_creation_order(people) -> None:
    client, token = people
    assert search(client, token, "q=") == (["Admin", "alvin"], 6)


def test_a_prefix_longer_than_any_username_is_400(people) -> None:
    client, token = people
    response = client.get("/api/user/users?q=" + "a" * 151, headers=auth(token))
    assert response.status_code == 400 and body(response)["error"] == "bad_request"
    assert search(client, token, "q=" + "a" * 150) == ([], 0)


def test_search_is_for_admins_only(people) -> None:
    client, token = people
    user_token = login(client, "Bob", USER_PASSWORD)
    assert client.get("/api/user/users?q=a", headers=auth(user_token)).status_code == 403
    assert client.application.test_client().get("/api/user/users?q=a").status_code == 401


def test_the_range_end_of_a_prefix_is_storable_text() -> None:
    # MongoDB stores UTF-8: a lone surrogate as the range's end would fail to encode instead of
    # searching.
    assert prefix_end("a\ud7ff") == "a\ue000" and prefix_end("a\ud7ff").encode("utf-8")
    assert prefix_end("\U0010ffff") is None and prefix_end("ab") == "ac"
