"""MongoDB stores, reading and writing frappymongouser's document layout."""
from stores.mongo.migration import LegacyUsernameConflictError
from stores.mongo.tokens import MongoTokenStore
from stores.mongo.users import MongoUserStore

__all__ = ["LegacyUsernameConflictError", "MongoTokenStore", "MongoUserStore"]
