"""One declaration per endpoint: the blueprint, the JSON 404 of a switched-off endpoint and the
OpenAPI document all come from `Endpoints.route`, so adding an endpoint is one entry in one
place."""

from __future__ import annotations

from collections import Counter

from flask import Flask, Response, jsonify

from frappyauth import register_endpoints
from frappyauth.stores.memory import memory_stores
from frappyauth.web import flows
from frappyauth.web.endpoints import API_KEYS, Endpoints
from frappyauth.web.schemas import STRING, obj, operation

toys = Endpoints(requires=(API_KEYS,))


@toys.route(
    "GET", "/toys/<toy_id>", operation("A toy", obj(["toy"], toy=STRING), (401,), security=[])
)
def toy(toy_id: str) -> Response:
    return jsonify({"toy": toy_id})


def app_with(**options: object) -> Flask:
    app = Flask("toys")
    register_endpoints(app, stores=memory_stores(), options_override={"bcrypt_cost": 4, **options})
    return app


def test_a_toy_endpoint_declared_once_is_served_documented_and_named_when_off(monkeypatch) -> None:
    monkeypatch.setattr(flows, "ALL_ENDPOINTS", (*flows.ALL_ENDPOINTS, *toys))
    on = app_with(api_keys=True).test_client()
    assert on.get("/api/user/toys/rex").get_json() == {"toy": "rex"}
    documented = on.get("/api/user/openapi.json").get_json()["paths"]["/api/user/toys/{toyId}"][
        "get"
    ]
    assert documented["summary"] == "A toy"
    assert documented["parameters"] == [
        {"name": "toyId", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    off = app_with().test_client()
    answer = off.get("/api/user/toys/rex")
    assert answer.status_code == 404 and answer.get_json()["error"] == "feature_disabled"
    assert "'api_keys' is off" in answer.get_json()["message"]
    assert "/api/user/toys/{toyId}" not in off.get("/api/user/openapi.json").get_json()["paths"]


def test_without_the_declaration_the_toy_is_nowhere() -> None:
    client = app_with(api_keys=True).test_client()
    answer = client.get("/api/user/toys/rex")
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
    assert "/api/user/toys/{toyId}" not in client.get("/api/user/openapi.json").get_json()["paths"]


def test_each_rule_and_method_is_declared_once() -> None:
    declared = Counter((endpoint.rule, endpoint.method) for endpoint in flows.ALL_ENDPOINTS)
    assert [key for key, count in declared.items() if count > 1] == []
