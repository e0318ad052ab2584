"""Reading request bodies strictly: JSON objects only, typed fields, no surprises from hostile input."""
from __future__ import annotations

import json
from typing import Any, NoReturn

from flask import request

from frappyauth.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError

MAX_NESTING = 32  # deeper JSON is refused before it reaches a store (MongoDB allows 100 levels)


def json_object(max_bytes: int) -> dict[str, Any]:
    """Return the request's JSON object body, refusing anything else with a 4xx error."""
    if not request.is_json:
        raise UnsupportedMediaTypeError()
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLargeError()
    raw = request.stream.read(max_bytes + 1)  # a chunked body has no Content-Length to trust
    if len(raw) > max_bytes:
        raise PayloadTooLargeError()
    try:
        value = json.loads(raw, object_pairs_hook=_refuse_duplicate_keys, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise BadRequestError("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BadRequestError("The body must be a JSON object.")
    _check_nesting(value)
    return value


def string(body: dict[str, Any], name: str) -> str:
    """A required string field; an object here (`{"$ne": null}`) is refused, never used as a query."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        _bad_field(name, "a non-empty string")
    return value


def optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        _bad_field(name, "a string")
    return value


def string_list(body: dict[str, Any], name: str, required: bool = True) -> tuple[str, ...] | None:
    """A list of strings: a bare string would turn a permission check into a substring test."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        _bad_field(name, "a list of non-empty strings")
    return tuple(dict.fromkeys(value))  # without repeats, in the given order


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        _bad_field(name, "a JSON object")
    return value


def _bad_field(name: str, expected: str) -> NoReturn:
    raise BadRequestError(f"The field {name!r} must be {expected}.")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _check_nesting(value: Any) -> None:
    """Refuse JSON deeper than `MAX_NESTING`, and object keys a document store cannot hold.

    MongoDB refuses a NUL in a key and gives `$`-prefixed and dotted keys meanings of their own, so such
    keys are refused for every store alike, before anything is written.
    """
    level, current = 0, [value]
    while current:
        level += 1
        if level > MAX_NESTING:
            raise BadRequestError(f"The body is nested deeper than {MAX_NESTING} levels.")
        for item in current:
            if isinstance(item, dict) and any(_unstorable(key) for key in item):
                raise BadRequestError("Object keys must not start with '$' or contain '.' or NUL characters.")
        current = [child for item in current if isinstance(item, (dict, list))
                   for child in (item.values() if isinstance(item, dict) else item)]


def _unstorable(key: str) -> bool:
    return key.startswith("$") or "." in key or "\x00" in key
