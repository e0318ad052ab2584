"""A recording test double around a mongomock `Database`: every command a store sends, as a shape.

`RecordingDatabase(db, log)` stands where a store expects a pymongo `Database`. Each collection it
hands out (by `db[name]`, `db.name`, `db.get_collection(name, **options)` or
`collection.with_options(**options)`) is a proxy that appends one `Command` to `log` per call, then
delegates to mongomock. A command keeps the collection, the operation and the *shape* of its filter,
update, pipeline, document, projection and sort: keys and operators as sent, values replaced by
their type's name (`"str"`, `"datetime"`, `"ObjectId"`), so that a record is the same on every run.
Sort and projection specifications and `$limit` are constants of the code and are kept as they are.
The options a collection was taken with (read preference, write concern) are logged apart, per
collection (`log.collection_options`), since they are a property of the collection, not of a call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# Operations that create or read index definitions: listed apart from the per-method records, so
# that when and where a store creates its indexes (constructor or first contact) changes one part.
INDEX_OPERATIONS = {
    "create_index",
    "create_indexes",
    "index_information",
    "list_indexes",
    "drop_index",
}
# Arguments of a collection method that name data, by operation, in the order pymongo takes them.
POSITIONAL = {
    "find": ("filter", "projection"),
    "find_one": ("filter", "projection"),
    "find_one_and_update": ("filter", "update", "projection"),
    "find_one_and_delete": ("filter", "projection"),
    "find_one_and_replace": ("filter", "document", "projection"),
    "update_one": ("filter", "update"),
    "update_many": ("filter", "update"),
    "replace_one": ("filter", "document"),
    "delete_one": ("filter",),
    "delete_many": ("filter",),
    "count_documents": ("filter",),
    "insert_one": ("document",),
    "insert_many": ("documents",),
    "aggregate": ("pipeline",),
    "distinct": ("key", "filter"),
    "create_index": ("keys",),
}
LITERAL_ARGUMENTS = {"projection", "sort", "key", "keys"}  # constants of the code: kept as sent
# Operators and stages whose arguments are constants of the code rather than data: `$exists: false`
# and `$exists: true` are different queries, `$inc: 1` and `$inc: -1` different updates.
LITERAL_OPERATORS = {
    "$exists",
    "$type",
    "$options",
    "$inc",
    "$unset",
    "$limit",
    "$skip",
    "$sort",
    "$lookup",
    "$project",
}


def shape(value: Any, expression: bool = False) -> Any:
    """`value` with every leaf replaced by its type's name; lists keep each distinct shape once.

    In an aggregation `expression` a string starting with `$` is a field path, code rather than
    data, and is kept (data there is wrapped in `$literal`, whose argument is shaped as data).
    Anywhere else such a string is data (a bcrypt hash starts with `$2b$`) and is shaped.
    """
    if isinstance(value, dict):
        return {
            key: literal(item)
            if key in LITERAL_OPERATORS
            else shape(item, expression and key != "$literal")
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        shapes: list[Any] = []
        for item in value:
            item_shape = shape(item, expression)
            if item_shape not in shapes:
                shapes.append(item_shape)
        return shapes
    if expression and isinstance(value, str) and value.startswith("$"):
        return value
    return "null" if value is None else type(value).__name__


def shape_pipeline(pipeline: list[dict[str, Any]]) -> list[Any]:
    """Each stage shaped: `$match` holds a query, the other stages hold expressions."""
    return [
        {
            name: literal(argument)
            if name in LITERAL_OPERATORS
            else shape(argument, expression=name != "$match")
            for name, argument in stage.items()
        }
        for stage in pipeline
    ]


def literal(value: Any) -> Any:
    """`value` as JSON can hold it: tuples as lists, anything else that JSON lacks by its type."""
    if isinstance(value, dict):
        return {key: literal(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [literal(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return type(value).__name__


@dataclass
class Command:
    """One call on a collection: what it was, and its arguments' shapes (`None` when not given)."""

    collection: str
    operation: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"collection": self.collection, "operation": self.operation, **self.arguments}


class CommandLog:
    """The commands sent, each under the label that was current when it was sent (see `label`)."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, Command]] = []
        self.collection_options: dict[str, set[str]] = {}
        self.current = "start-up"

    @contextmanager
    def label(self, name: str) -> Iterator[list[Command]]:
        """Files the commands sent inside the block under `name`; yields the list they go to."""
        outer, self.current = self.current, name
        start = len(self.commands)
        sent: list[Command] = []
        try:
            yield sent
        finally:
            sent.extend(command for _, command in self.commands[start:])
            self.current = outer

    def add(self, command: Command) -> Command:
        self.commands.append((self.current, command))
        return command

    def note_options(self, collection: str, options: dict[str, Any]) -> None:
        described = ", ".join(f"{name}={value!r}" for name, value in sorted(options.items()))
        self.collection_options.setdefault(collection, set()).add(described or "(database's)")


def arguments_of(operation: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    named = dict(zip(POSITIONAL.get(operation, ()), args))
    if len(args) > len(POSITIONAL.get(operation, ())):
        named["positional"] = [type(arg).__name__ for arg in args[len(named) :]]
    named.update(kwargs)
    shaped: dict[str, Any] = {}
    for name, value in named.items():
        if operation in INDEX_OPERATIONS:
            shaped[name] = literal(value)
        elif name == "pipeline" or (name == "update" and isinstance(value, list)):
            shaped[name] = shape_pipeline(value)
        elif name in ("filter", "update", "document", "documents"):
            shaped[name] = shape(value)
        elif name in LITERAL_ARGUMENTS or isinstance(value, (bool, int, str)) or value is None:
            shaped[name] = literal(value)
        else:
            shaped[name] = type(value).__name__
    return shaped


class RecordingCursor:
    """A cursor whose `sort`, `skip` and `limit` are added to the command that opened it."""

    def __init__(self, cursor: Any, command: Command) -> None:
        self._cursor, self._command = cursor, command

    def sort(self, key_or_list: Any, direction: Any = None) -> RecordingCursor:
        keys = key_or_list if direction is None else [(key_or_list, direction)]
        self._command.arguments["sort"] = literal(keys)
        self._cursor = self._cursor.sort(key_or_list, direction)
        return self

    def skip(self, count: int) -> RecordingCursor:
        self._command.arguments["skip"] = "int"
        self._cursor = self._cursor.skip(count)
        return self

    def limit(self, count: int) -> RecordingCursor:
        self._command.arguments["limit"] = "int"
        self._cursor = self._cursor.limit(count)
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)

    def __next__(self) -> Any:
        return next(self._cursor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class RecordingCollection:
    """A collection whose every method call is logged before mongomock runs it."""

    def __init__(self, collection: Any, database: RecordingDatabase) -> None:
        self._collection, self._database = collection, database

    @property
    def database(self) -> RecordingDatabase:
        return self._database

    @property
    def name(self) -> str:
        return str(self._collection.name)

    def with_options(self, **options: Any) -> RecordingCollection:
        self._database.log.note_options(self.name, options)
        return RecordingCollection(self._collection.with_options(**options), self._database)

    def __getattr__(self, operation: str) -> Any:
        target = getattr(self._collection, operation)
        if not callable(target) or operation.startswith("_"):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            command = self._database.log.add(
                Command(self.name, operation, arguments_of(operation, args, kwargs))
            )
            result = target(*args, **kwargs)
            return RecordingCursor(result, command) if operation == "find" else result

        return call

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordingCollection) and other._collection == self._collection

    __hash__ = None  # type: ignore[assignment]


class RecordingDatabase:
    """A mongomock database whose collections log what is sent to them (see the module's doc)."""

    def __init__(self, database: Any, log: CommandLog) -> None:
        self._database, self.log = database, log

    @property
    def unrecorded(self) -> Any:
        """The mongomock database itself: for a test's own setup and reads, which are not
        logged."""
        return self._database

    def __getitem__(self, name: str) -> RecordingCollection:
        return self.get_collection(name)

    def get_collection(self, name: str, **options: Any) -> RecordingCollection:
        self.log.note_options(name, options)
        return RecordingCollection(self._database.get_collection(name, **options), self)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        name = command if isinstance(command, str) else next(iter(command))
        self.log.add(Command("$database", "command", {"command": name}))
        return self._database.command(command, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        target = getattr(self._database, name)
        if isinstance(target, type(self._database["probe"])):
            return self.get_collection(name)
        return target
