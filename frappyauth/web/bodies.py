"""Reading request bodies strictly: JSON objects only, typed fields, no surprises from hostile
input."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any, NoReturn

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from frappyauth.core.errors import (
    BadRequestError,
    PayloadTooLargeError,
    Text,
    UnsupportedMediaTypeError,
)
from frappyauth.web.state import current_state

MAX_NESTING = 32  # deeper JSON is refused before it reaches a store (MongoDB allows 100 levels)


def request_object() -> dict[str, Any]:
    """The current request's JSON object body, under this app's `max_body_bytes` (see
    `json_object`)."""
    return json_object(current_state().services.options.max_body_bytes)


def json_object(max_bytes: int) -> dict[str, Any]:
    """Return the request's JSON object body, refusing anything else with a 4xx error."""
    if not request.is_json:
        raise UnsupportedMediaTypeError()
    raw = _body_bytes(max_bytes)
    try:
        value = json.loads(
            raw,
            object_pairs_hook=_refuse_duplicate_keys,
            parse_constant=_refuse_constant,
            parse_int=_int64,
            parse_float=_finite_float,
        )
    except RefusedJSONError as refused:
        raise BadRequestError(refused.template, **refused.params) from None
    except (ValueError, RecursionError):
        raise BadRequestError("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BadRequestError("The body must be a JSON object.")
    _check_structure(value)
    return value


def _body_bytes(max_bytes: int) -> bytes:
    """The body, read once and cached, so that an app hook that read it first (`request.get_json()`
    in a `before_request`) and frappyauth see the same bytes. Werkzeug enforces the cap as it
    reads, chunked bodies included; the app's own `MAX_CONTENT_LENGTH` applies when it is lower."""
    app_cap = request.max_content_length
    cap = max_bytes if app_cap is None else min(app_cap, max_bytes)
    # Werkzeug stops a chunked body at the limit without an error: one byte more tells a longer body
    # apart.
    request.max_content_length = cap + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise PayloadTooLargeError() from None
    if len(raw) > cap:
        raise PayloadTooLargeError()
    return raw


def string(body: dict[str, Any], name: str) -> str:
    """A required string field; an object here (`{"$ne": null}`) is refused, never used as a
    query."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        _bad_field(name, Text("a non-empty string"))
    return value


def optional_string(body: dict[str, Any], name: str, nullable: bool = True) -> str | None:
    """A string field that may be left out; `None` when it is. An explicit `null` counts as left
    out only if `nullable` (where the document says `["string", "null"]`); else it is refused like
    any other value that is not a string."""
    value = body.get(name)
    if value is None and (nullable or name not in body):
        return None
    if not isinstance(value, str):
        _bad_field(name, Text("a string"))
    return value


def string_list(body: dict[str, Any], name: str, required: bool = True) -> tuple[str, ...] | None:
    """A list of strings: a bare string would turn a permission check into a substring test."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        _bad_field(name, Text("a list of non-empty strings"))
    return tuple(dict.fromkeys(value))  # without repeats, in the given order


def optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        _bad_field(name, Text("a whole number"))
    return value


def optional_datetime(body: dict[str, Any], name: str) -> datetime | None:
    """An ISO 8601 date and time with its UTC offset (`2030-01-01T00:00:00Z`), in UTC; a bare one
    is ambiguous."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
            if moment.tzinfo is not None:
                return moment.astimezone(timezone.utc)
        except (
            ValueError,
            OverflowError,
        ):  # not a date; or an offset that leaves the years 1 to 9999
            pass
    _bad_field(name, Text("an ISO 8601 date and time with a UTC offset"))


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        _bad_field(name, Text("a JSON object"))
    return value


def _bad_field(name: str, expected: str) -> NoReturn:
    raise BadRequestError("The field {name!r} must be {expected}.", name=name, expected=expected)


class RefusedJSONError(ValueError):
    """Valid JSON that frappyauth refuses; the message says why, as an error's template and
    values."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template)
        self.template, self.params = template, params


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise RefusedJSONError("The body has a key twice.")
    return result


def _refuse_constant(name: str) -> NoReturn:
    raise RefusedJSONError("{name} is not a JSON number.", name=name)


def _int64(digits: str) -> int:
    """Integers must fit the 64 bits a document store can hold (BSON refuses larger ones)."""
    value = int(digits)
    if not -(2**63) <= value < 2**63:
        raise RefusedJSONError("Integers must fit in 64 bits.")
    return value


def _finite_float(digits: str) -> float:
    """`1e999` is valid JSON that parses to infinity, which no later JSON answer could carry."""
    value = float(digits)
    if not math.isfinite(value):
        raise RefusedJSONError("Numbers must be finite.")
    return value


def _check_structure(value: Any) -> None:
    """Refuse JSON deeper than `MAX_NESTING`, object keys a document store cannot hold, and text
    that is not Unicode.

    MongoDB refuses a NUL in a key and gives `$`-prefixed and dotted keys meanings of their own;
    JSON's `\\ud800` escapes decode to lone surrogates that neither bcrypt's input nor BSON can
    encode. Such input is refused for every store alike, before anything is written.
    """
    level, current = 0, [value]
    while current:
        level += 1
        if level > MAX_NESTING:
            raise BadRequestError(
                "The body is nested deeper than {limit} levels.", limit=MAX_NESTING
            )
        for item in current:
            if isinstance(item, dict) and any(_unstorable(key) for key in item):
                raise BadRequestError(
                    "Object keys must not start with '$' or contain '.' or NUL characters."
                )
            if any(_not_unicode(text) for text in _texts(item)):
                raise BadRequestError("The body contains text that is not valid Unicode.")
        current = [
            child
            for item in current
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]


def _texts(item: Any) -> list[str]:
    if isinstance(item, dict):
        return [*item, *(v for v in item.values() if isinstance(v, str))]
    if isinstance(item, list):
        return [v for v in item if isinstance(v, str)]
    return [item] if isinstance(item, str) else []


def _not_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable(key: str) -> bool:
    return key.startswith("$") or "." in key or "\x00" in key
