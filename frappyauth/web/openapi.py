"""The OpenAPI 3.1 document of the endpoints the options turn on, derived from their declarations
and
served at `{prefix}/openapi.json`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, jsonify

from frappyauth.core.options import Options
from frappyauth.web.endpoints import Endpoint, Endpoints, openapi_path
from frappyauth.web.schemas import SCHEMAS, SECURITY_SCHEMES, Operation
from frappyauth.web.state import current_state

endpoints = Endpoints()


def openapi_document(options: Options, declared: Iterable[Endpoint]) -> dict[str, Any]:
    """The document for these options: exactly the operations they register, under their prefix."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in declared:
        operation = endpoint.openapi_operation(options)
        if operation is None or endpoint.off_message(options) is not None:
            continue
        path, variables = openapi_path(endpoint.rule)
        paths.setdefault(options.api_prefix + path, {})[endpoint.method.lower()] = (
            _with_path_parameters(operation, variables)
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "frappyauth",
            "version": "1",
            "description": "User management and authentication.",
        },
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


def _with_path_parameters(operation: Operation, variables: list[str]) -> Operation:
    if not variables:
        return operation
    path_parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in variables
    ]
    return {**operation, "parameters": [*path_parameters, *operation.get("parameters", [])]}


THIS_DOCUMENT: Operation = {
    "summary": "This document",
    "security": [],
    "responses": {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}


@endpoints.route("GET", "/openapi.json", THIS_DOCUMENT)
def serve_openapi() -> Response:
    state = current_state()
    return jsonify(openapi_document(state.services.options, state.endpoints))
