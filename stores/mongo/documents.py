"""Mapping between the core's records and MongoDB documents.

User documents keep frappymongouser 1.5's fields (`_id`, `username`, `password`, `permissions`,
`profile`, `email`, `uid`, `apiKey`, `dataModelVersion`); frappyauth only adds `usernameKey`,
`usernameSkeleton`, `usernameKeySkeleton` (the lookalike keys), `apiKeyHash`, `credentialVersion`,
with the mail flows `emailKey` and `emailVerified`, with option `roles` `roles` (names), with option
`suspension` `suspendedAt`, and with option `login_history` `createdAt`, `passwordChangedAt`,
`lastLoginAt`, `lastLoginAddress` and `loginCount`. Fields it does not know (such as `uid`) are left
as they are.

Reading is lenient with the shapes frappymongouser allowed, because an old worker may still write
them during a rolling upgrade: a user without a `username` reads with the name `""` (it is listed,
and cannot log in: it has no `usernameKey`); a string in `permissions` reads as that one permission
(the old check honoured it); a plaintext `apiKey` reads as its hash, and wins over a stored
`apiKeyHash` (an old worker that rotates a key leaves the previous hash behind).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bson import ObjectId

from frappyauth.core.lookalikes import lookalike_keys
from frappyauth.core.models import AttemptCounter, MailToken, Session, User, username_key
from frappyauth.core.minting import hash_secret

DATA_MODEL_VERSION = 1


def object_id(user_id: str) -> ObjectId | None:
    """The ObjectId for a user id, or `None` for anything that is not a 24-digit hex string."""
    return ObjectId(user_id) if isinstance(user_id, str) and ObjectId.is_valid(user_id) else None


def to_mongo_time(moment: datetime) -> datetime:
    """MongoDB stores UTC with millisecond precision; pass it naive UTC so nothing is shifted."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_mongo_time(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def to_legacy_time(moment: datetime) -> datetime:
    """`moment` as frappymongouser wrote its datetimes: naive, in the server's local time.

    frappyauth's own documents hold naive UTC (see `to_mongo_time`); legacy ones are compared with
    this.
    """
    return moment.astimezone().replace(tzinfo=None)


def read_permissions(permissions: Any) -> tuple[str, ...]:
    """A list keeps its strings; a legacy single string is that one permission; anything else is
    none.

    Never a string as such: `in` on it would be a substring test.
    """
    if isinstance(permissions, str):
        return (permissions,)
    return (
        tuple(p for p in permissions if isinstance(p, str)) if isinstance(permissions, list) else ()
    )


def user_fields(document: dict[str, Any]) -> dict[str, Any]:
    """The `User` fields of a user document (for `User(**...)` or a subclass with more fields)."""
    profile, username, legacy_key = (
        document.get("profile"),
        document.get("username"),
        document.get("apiKey"),
    )
    return {
        "id": str(document["_id"]),
        "username": username if isinstance(username, str) else "",
        "password_hash": document.get("password") or "",
        "permissions": read_permissions(document.get("permissions")),
        "profile": profile if isinstance(profile, dict) else {},
        "email": document.get("email"),
        "api_key_hash": hash_secret(legacy_key)
        if isinstance(legacy_key, str)
        else document.get("apiKeyHash"),
        "credential_version": document.get("credentialVersion", ""),
        "email_key": document.get("emailKey"),
        "email_verified": document.get("emailVerified") is True,
        "roles": read_permissions(document.get("roles")),
        "suspended_at": _time_or_none(document.get("suspendedAt")),
        "created_at": _time_or_none(document.get("createdAt")),
        "password_changed_at": _time_or_none(document.get("passwordChangedAt")),
        "last_login_at": _time_or_none(document.get("lastLoginAt")),
        "last_login_address": _string_or_none(document.get("lastLoginAddress")),
        "login_count": _count(document.get("loginCount")),
    }


def _string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _time_or_none(moment: Any) -> datetime | None:
    return from_mongo_time(moment) if isinstance(moment, datetime) else None


def user_from_document(document: dict[str, Any]) -> User:
    return User(**user_fields(document))


LOOKALIKE_FIELDS = ("usernameSkeleton", "usernameKeySkeleton")  # `lookalike_keys`, in its order


def name_fields(username: str) -> dict[str, str]:
    """A user document's name and the keys the unique indexes hold it by."""
    return {
        "username": username,
        "usernameKey": username_key(username),
        **dict(zip(LOOKALIKE_FIELDS, lookalike_keys(username))),
    }


def user_to_document(user: User) -> dict[str, Any]:
    document: dict[str, Any] = {
        **name_fields(user.username),
        "password": user.password_hash,
        "permissions": list(user.permissions),
        "profile": user.profile,
        "dataModelVersion": DATA_MODEL_VERSION,
    }
    if user.email is not None:
        document["email"] = user.email
    if user.api_key_hash is not None:
        document["apiKeyHash"] = user.api_key_hash
    if user.credential_version:
        document["credentialVersion"] = user.credential_version
    if user.roles:  # only with option `roles`: the seed's documents keep their fields
        document["roles"] = list(user.roles)
    if user.created_at is not None:  # only with option `login_history`
        document["createdAt"] = to_mongo_time(user.created_at)
    document.update(email_fields(user.email, user.email_key, user.email_verified)["$set"])
    return document


def email_fields(
    email: str | None, email_key: str | None, verified: bool
) -> dict[str, dict[str, Any]]:
    """The update that stores an address; absent fields are unset, so the sparse unique index
    skips them."""
    values = {"email": email, "emailKey": email_key, "emailVerified": verified or None}
    return {
        "$set": {name: value for name, value in values.items() if value is not None},
        "$unset": {name: "" for name, value in values.items() if value is None},
    }


def session_from_document(document: dict[str, Any]) -> Session:
    created = from_mongo_time(document["created"])
    return Session(
        token_hash=document["tokenHash"],
        session_id=document["sessionId"],
        user_id=document["userId"],
        created_at=created,
        last_used_at=from_mongo_time(document["lastUsed"]) if "lastUsed" in document else created,
        expires_at=from_mongo_time(document["expires"]),
        user_agent=document.get("userAgent"),
        remote_addr=document.get("remoteAddr"),
        credential_version=document.get("credentialVersion", ""),
        second_factor=document.get("secondFactor", False),
        impersonator_id=document.get("impersonatorId"),
    )


def user_ref(user_id: str) -> dict[str, ObjectId]:
    """`userRef`, the owner's `_id` as an ObjectId beside the string `userId`, for one-command reads
    (see `joins`); none for an id that is not an ObjectId's hex."""
    oid = object_id(user_id)
    return {} if oid is None else {"userRef": oid}


def session_to_document(session: Session) -> dict[str, Any]:
    return {
        "tokenHash": session.token_hash,
        "sessionId": session.session_id,
        "userId": session.user_id,
        **user_ref(session.user_id),
        "created": to_mongo_time(session.created_at),
        "lastUsed": to_mongo_time(session.last_used_at),
        "expires": to_mongo_time(session.expires_at),
        "userAgent": session.user_agent,
        "remoteAddr": session.remote_addr,
        "credentialVersion": session.credential_version,
        # Only when set: every other session's document keeps frappyauth's earlier shape.
        **({"secondFactor": True} if session.second_factor else {}),
        **({"impersonatorId": session.impersonator_id} if session.impersonator_id else {}),
    }


def attempt_counter_from_document(document: dict[str, Any]) -> AttemptCounter:
    return AttemptCounter(count=document["count"], expires_at=from_mongo_time(document["expires"]))


def mail_token_from_document(document: dict[str, Any]) -> MailToken:
    return MailToken(
        token_hash=document["tokenHash"],
        purpose=document["purpose"],
        user_id=document["userId"],
        email=document["email"],
        binding=document["binding"],
        created_at=from_mongo_time(document["created"]),
        expires_at=from_mongo_time(document["expires"]),
    )


def mail_token_to_document(token: MailToken) -> dict[str, Any]:
    return {
        "tokenHash": token.token_hash,
        "purpose": token.purpose,
        "userId": token.user_id,
        "email": token.email,
        "binding": token.binding,
        "created": to_mongo_time(token.created_at),
        "expires": to_mongo_time(token.expires_at),
    }
