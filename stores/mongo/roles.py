"""The MongoDB role store: collection `userRoles`, a document `{_id: name, permissions}` a role."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, ReturnDocument, WriteConcern
from pymongo.database import Database

from frappyauth.core.models import Role
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.stores.mongo.documents import read_permissions
from frappyauth.stores.mongo.joins import JoinableRoles
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command


class MongoRoleStore(StartsOnFirstContact, JoinableRoles):
    """Roles keyed by name in `_id`: the `_id` index serves every lookup, and the per-request
    `$lookup` of a user's roles (see `joins`). No index of its own to create."""

    def __init__(
        self,
        db: Database,
        roles_collection: str = "userRoles",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._db = db
        self._roles = collection_on(db, roles_collection, write_concern)
        self._startup = Startup(lambda: None, db)

    @property
    def database(self) -> Database:
        return self._db

    @property
    def collection_name(self) -> str:
        return self._roles.name

    def role_from_document(self, document: dict[str, Any]) -> Role:
        return Role(str(document["_id"]), read_permissions(document.get("permissions")))

    @command
    def get(self, name: str) -> Role | None:
        if not isinstance(name, str):
            return None
        document = self._roles.find_one({"_id": name})
        return None if document is None else self.role_from_document(document)

    @command
    def list(self) -> builtins.list[Role]:
        cursor = self._roles.find({}).sort("_id", ASCENDING)
        return [self.role_from_document(document) for document in cursor]

    @command
    def get_many(self, names: Sequence[str]) -> builtins.list[Role]:
        wanted = sorted({name for name in names if isinstance(name, str)})
        if not wanted:
            return []
        cursor = self._roles.find({"_id": {"$in": wanted}}).sort("_id", ASCENDING)
        return [self.role_from_document(document) for document in cursor]

    @command
    def put(self, role: Role) -> Role | None:
        # One upsert replaces the whole permission list: concurrent puts never mix.
        before = self._roles.find_one_and_update(
            {"_id": role.name},
            {"$set": {"permissions": list(role.permissions)}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        return None if before is None else self.role_from_document(before)

    @command
    def delete(self, name: str) -> Role | None:
        if not isinstance(name, str):
            return None
        document = self._roles.find_one_and_delete({"_id": name})
        return None if document is None else self.role_from_document(document)
