"""The audit trail's endpoints (option `audit_trail`): everything for administrators, one's own
activity for everyone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Response, jsonify, request

from frappyauth.core.audit import MAX_PAGE, AuditTrail
from frappyauth.core.errors import BadRequestError
from frappyauth.core.models import AuditEntry
from frappyauth.web.admin_views import admin
from frappyauth.web.endpoints import AUDIT, Endpoints
from frappyauth.web.guard import request_identity
from frappyauth.web.schemas import closed, DATE_TIME, NULLABLE_STRING, operation
from frappyauth.web.responses import iso_time
from frappyauth.web.state import current_state, switched_on

endpoints = Endpoints(requires=(AUDIT,))

_LIMIT = re.compile(r"\d{1,3}")
CURSOR = "~"  # between the time and the entry's id in a page's `next`
ENTRY = closed(
    ["at", "event", "outcome", "userId", "actorId", "remoteAddr", "details"],
    at=DATE_TIME,
    event={"type": "string"},
    outcome={"enum": ["success", "failure"]},
    userId=NULLABLE_STRING,
    actorId=NULLABLE_STRING,
    remoteAddr=NULLABLE_STRING,
    impersonatorId=NULLABLE_STRING,
    details={"type": "object"},
)
PAGE = closed(["entries", "next"], entries={"type": "array", "items": ENTRY}, next=NULLABLE_STRING)
BEFORE = {
    "name": "before",
    "in": "query",
    "schema": {"type": "string"},
    "description": "the `next` of the page before, or a date and time: only older entries",
}
LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
}


def _trail() -> AuditTrail:
    return switched_on(current_state().services.audit)


@endpoints.route(
    "GET",
    "/audit",
    operation(
        "The audit trail, newest first, paged by time",
        PAGE,
        (400, 401, 403),
        parameters=[
            {"name": "user", "in": "query", "schema": {"type": "string"}},
            {"name": "type", "in": "query", "schema": {"type": "string"}},
            BEFORE,
            LIMIT,
        ],
    ),
)
def audit_trail() -> Response:
    admin()
    user_id, event = request.args.get("user"), request.args.get("type")
    limit = _limit()
    entries = _trail().page(user_id or None, event or None, _before(), limit)
    return _page(entries, limit)


@endpoints.route(
    "GET",
    "/activity",
    operation(
        "One's own security events, newest first, paged by time",
        PAGE,
        (400, 401, 403),
        parameters=[BEFORE, LIMIT],
    ),
    impersonation=True,
)
def own_activity() -> Response:
    identity = request_identity(allow_api_key=False)
    limit = _limit()
    # Whoever impersonates (support staff, not necessarily an administrator) learns nothing of
    # where the user signs in from.
    watched = identity.session is not None and identity.session.impersonator_id is not None
    entries = _trail().activity(identity.user.id, _before(), limit)
    return _page(entries, limit, with_addresses=not watched)


def _page(entries: list[AuditEntry], limit: int, with_addresses: bool = True) -> Response:
    last = entries[-1] if len(entries) == limit else None
    later = None if last is None else f"{_iso(last.at)}{CURSOR}{last.entry_id}"
    answered = [entry_json(entry, with_addresses) for entry in entries]
    return jsonify({"entries": answered, "next": later})


def entry_json(entry: AuditEntry, with_address: bool = True) -> dict[str, Any]:
    body = {
        "at": _iso(entry.at),
        "event": entry.event,
        "outcome": entry.outcome,
        "userId": entry.user_id,
        "actorId": entry.actor_id,
        "remoteAddr": entry.remote_addr if with_address else None,
        "details": entry.details,
    }
    if entry.impersonator_id is not None:
        body["impersonatorId"] = entry.impersonator_id
    return body


def _limit() -> int:
    text = request.args.get("limit", "50")
    if not _LIMIT.fullmatch(text) or not 1 <= int(text) <= MAX_PAGE:
        raise BadRequestError("The limit must be a whole number from 1 to {limit}.", limit=MAX_PAGE)
    return int(text)


def _before() -> tuple[datetime, str] | None:
    """`before`: the `next` of the page before (a time and an entry's id), or a time alone."""
    text = request.args.get("before")
    if text is None:
        return None
    at, _, entry_id = text.partition(CURSOR)
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequestError(
            "`before` must be the `next` of a page, or a date and time."
        ) from None
    if moment.tzinfo is None:
        raise BadRequestError("`before` must name its time zone (a trailing Z for UTC).")
    if len(entry_id) > 64:
        raise BadRequestError("`before` must be the `next` of a page, or a date and time.")
    return moment, entry_id


def _iso(moment: datetime) -> str:
    return iso_time(moment, "microseconds")  # a page's `next` must tell entries of one second apart
