"""MongoDB failures that are not outages: timeouts and transient errors answer 503 with
`Retry-After`, any other failure a JSON 500, under the prefix and on the app's own routes alike;
the cause is logged, and nothing of pymongo's message reaches the client."""

from __future__ import annotations

import logging

import pytest
from bson.errors import InvalidDocument
from pymongo.errors import (
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    WriteError,
    WTimeoutError,
)

from backends import MONGO_BACKEND_PARAMS
from frappyauth.core.errors import StoreFailedError, StoreUnavailableError
from http_support import ADMIN_PASSWORD, USER_PASSWORD, auth, body, login

pytestmark = pytest.mark.parametrize("backend", MONGO_BACKEND_PARAMS, indirect=True)

LEAK = 'db-7.internal:27017 dup key: { tokenHash: "5f1e0c" }'  # what pymongo messages may carry


def retryable() -> OperationFailure:
    return OperationFailure(
        LEAK, 91, {"errorLabels": ["RetryableWriteError"], "codeName": "ShutdownInProgress"}
    )


FAILURES = {
    "ExecutionTimeout": (lambda: ExecutionTimeout(LEAK, 50, {"codeName": "MaxTimeMSExpired"}), 503),
    "WTimeoutError": (lambda: WTimeoutError(LEAK, 64, {"codeName": "WriteConcernFailed"}), 503),
    "NetworkTimeout": (lambda: NetworkTimeout(LEAK), 503),
    "a retryable OperationFailure": (retryable, 503),
    "OperationFailure": (lambda: OperationFailure(LEAK, 13, {"codeName": "Unauthorized"}), 500),
    "WriteError": (lambda: WriteError(LEAK, 121, {"codeName": "DocumentValidationFailure"}), 500),
    "InvalidDocument": (lambda: InvalidDocument(LEAK), 500),
}


@pytest.mark.parametrize("path", ["/api/user", "/api/things"])
@pytest.mark.parametrize("failure", FAILURES)
def test_a_failing_session_lookup_answers_json_everywhere(
    make_app, token_store, monkeypatch, caplog, failure, path
) -> None:
    client = make_app().test_client()
    token = login(client, "admin", ADMIN_PASSWORD)
    build, status = FAILURES[failure]

    def fail(*args, **kwargs):
        raise build()

    monkeypatch.setattr(
        token_store._tokens, "aggregate", fail
    )  # the session with its user, one command
    caplog.set_level(logging.WARNING, logger="frappyauth")
    response = client.get(path, headers=auth(token))
    assert response.status_code == status and response.is_json
    assert body(response)["error"] == ("store_unavailable" if status == 503 else "store_failed")
    assert ("Retry-After" in response.headers) == (status == 503)
    assert "internal" not in response.get_data(as_text=True) and "5f1e0c" not in response.get_data(
        as_text=True
    )
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name == "frappyauth" and r.levelno >= logging.WARNING
    ]
    assert any(
        "MongoSessionStore.get_with_user" in line and build().__class__.__name__ in line
        for line in logged
    ), logged
    assert not any("5f1e0c" in line or "internal" in line for line in logged)


@pytest.mark.parametrize("failure", FAILURES)
def test_the_store_raises_only_the_cores_errors(user_store, monkeypatch, failure) -> None:
    build, status = FAILURES[failure]

    def fail(*args, **kwargs):
        raise build()

    monkeypatch.setattr(user_store._users, "find_one_and_update", fail)
    with pytest.raises(StoreUnavailableError if status == 503 else StoreFailedError) as raised:
        user_store.set_permissions("0123456789abcdef01234567", ("view",))
    assert isinstance(raised.value.__cause__, (PyMongoError, InvalidDocument))


def test_a_failing_api_key_lookup_on_an_app_route_is_json(
    make_app, api_key_store, monkeypatch, caplog
) -> None:
    client = make_app(api_keys=True).test_client()
    admin = login(client, "admin", ADMIN_PASSWORD)
    client.post(
        "/api/user/users",
        json={"username": "bob", "password": USER_PASSWORD, "permissions": ["view"]},
        headers=auth(admin),
    )
    key = body(
        client.post(
            "/api/user/keys", json={"name": "ci"}, headers=auth(login(client, "bob", USER_PASSWORD))
        )
    )

    def fail(*args, **kwargs):
        raise OperationFailure(LEAK, 13, {"codeName": "Unauthorized"})

    monkeypatch.setattr(
        api_key_store._keys, "aggregate", fail
    )  # the key with its owner, one command
    response = client.get("/api/things", headers={"Authorization": f"Token {key['apiKey']}"})
    assert response.status_code == 500 and body(response)["error"] == "store_failed"
    assert "MongoApiKeyStore.get_by_hash_with_user raised OperationFailure" in caplog.text
