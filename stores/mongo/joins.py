"""Reading a session or an API key together with its user in one command: the per-request read.

An authenticated request needs the credential's record and its user. Read one after the other they
cost two round trips; an aggregation on the credential's collection with a `$lookup` of the user by
its `_id` costs one. Sessions and keys keep the user's id as the string `userId` (frappymongouser's
layout), and `$lookup` matches only values of one type, so they also store it as an ObjectId,
`userRef`: converting in the pipeline (`$toObjectId`, `$convert`, or a `let` sub-pipeline) would do
the same on a real server, but mongomock, on which the tests run, implements none of them. Documents
without `userRef` (written before it existed, or by an old worker during a rolling upgrade) still
work: their user is read by a second command.

With option `roles`, the same aggregation also looks up the user's roles (collection `userRoles`,
keyed by name) by the names in the user's `roles`: a request still costs one command, and a change
to a role counts on the next request of every worker. mongomock follows a `localField` into an
embedded document but not through an array, so the joined user is unwound first (a real server
does the same either way).
"""

from __future__ import annotations

from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database

from frappyauth.core.models import Role, User, granted_by
from frappyauth.core.protocols import RoleStore, UserStore, resolve_roles

USER_REF = (
    "userRef"  # the owner's `_id` as an ObjectId, beside the string `userId` (`documents.user_ref`)
)
JOINED = "joinedUser"  # the field the `$lookup` fills with a list of at most one user document
JOINED_ROLES = "joinedRoles"  # the role documents the user's role names found


class JoinableUsers:
    """A user store whose users `$lookup` can join: a MongoDB collection on `database` named
    `collection_name`, read back with `user_from_document`. The Mongo user store is one; a
    wrapper around it (a spy, a proxy) is not, so its own `get` is what runs."""

    @property
    def database(self) -> Database:
        raise NotImplementedError

    @property
    def collection_name(self) -> str:
        raise NotImplementedError

    def user_from_document(self, document: dict[str, Any]) -> User:
        raise NotImplementedError


class JoinableRoles:
    """A role store whose roles `$lookup` can join: documents `{_id: name, permissions}` in the
    collection `collection_name` on `database`. The Mongo role store is one."""

    @property
    def database(self) -> Database:
        raise NotImplementedError

    @property
    def collection_name(self) -> str:
        raise NotImplementedError

    def role_from_document(self, document: dict[str, Any]) -> Role:
        raise NotImplementedError


def find_with_user(
    collection: Collection,
    query: dict[str, Any],
    users: UserStore,
    roles: RoleStore | None = None,
) -> tuple[dict[str, Any], User | None] | None:
    """The first document matching `query` and the user its `userId` names (with the permissions
    of its roles in `roles`, when given), or `None` if none matches.

    One aggregation when `users` (and `roles`) are Mongo stores on the collection's database;
    otherwise (another database, another kind of store) or for a document without `userRef`, the
    user is read by `users.get` (and its roles by `roles.get_many`).
    """
    if isinstance(users, JoinableUsers) and users.database == collection.database:
        join_roles = isinstance(roles, JoinableRoles) and roles.database == collection.database
        document = next(iter(collection.aggregate(_pipeline(query, users, roles))), None)
        if document is None:
            return None
        joined = document.pop(JOINED, None)
        joined_user = joined[0] if isinstance(joined, list) and joined else joined or None
        found_roles = document.pop(JOINED_ROLES, [])
        # `userRef` is written with `userId` and never changes; should they ever disagree, `userId`
        # decides.
        if USER_REF in document and str(document[USER_REF]) == document["userId"]:
            user = users.user_from_document(joined_user) if joined_user else None
            if not join_roles:
                return document, resolve_roles(user, roles)
            return document, _with_roles(user, roles, found_roles)  # type: ignore[arg-type]
    else:
        document = collection.find_one(query)
        if document is None:
            return None
    return document, resolve_roles(users.get(document["userId"]), roles)


def _pipeline(
    query: dict[str, Any], users: JoinableUsers, roles: RoleStore | None
) -> list[dict[str, Any]]:
    pipeline: list[dict[str, Any]] = [
        {"$match": query},
        {"$limit": 1},
        {
            "$lookup": {
                "from": users.collection_name,
                "localField": USER_REF,
                "foreignField": "_id",
                "as": JOINED,
            }
        },
    ]
    if isinstance(roles, JoinableRoles) and roles.database == users.database:
        pipeline += [
            {"$unwind": {"path": f"${JOINED}", "preserveNullAndEmptyArrays": True}},
            {
                "$lookup": {
                    "from": roles.collection_name,
                    "localField": f"{JOINED}.roles",
                    "foreignField": "_id",
                    "as": JOINED_ROLES,
                }
            },
        ]
    return pipeline


def _with_roles(
    user: User | None, roles: JoinableRoles, documents: list[dict[str, Any]]
) -> User | None:
    if user is None or not user.roles:
        return user
    found = sorted(
        (roles.role_from_document(document) for document in documents), key=lambda r: r.name
    )
    # Only the roles the user holds: a legacy `roles` string is no list of them.
    return user.with_role_permissions(granted_by([r for r in found if r.name in user.roles]))
