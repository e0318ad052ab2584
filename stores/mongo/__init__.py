"""MongoDB stores, reading and writing frappymongouser's document layout."""

# First: without pymongo, this says what to install rather than which module failed.
from frappyauth.stores.mongo import requirement  # noqa: F401
from frappyauth.stores.mongo.api_keys import MongoApiKeyStore
from frappyauth.stores.mongo.attempts import MongoAttemptStore
from frappyauth.stores.mongo.audit import MongoAuditStore
from frappyauth.stores.mongo.devices import MongoDeviceStore
from frappyauth.stores.mongo.roles import MongoRoleStore
from frappyauth.stores.mongo.bundle import mongo_stores
from frappyauth.stores.mongo.connection import check_connection
from frappyauth.stores.mongo.identities import MongoIdentityStore
from frappyauth.stores.mongo.mail_tokens import MongoMailTokenStore
from frappyauth.stores.mongo.mfa import MongoMfaStore
from frappyauth.stores.mongo.migration import LegacyUsernameConflictError
from frappyauth.stores.mongo.schema import SCHEMA_VERSION, MigrationReport
from frappyauth.stores.mongo.sessions import MongoSessionStore
from frappyauth.stores.mongo.trusted_devices import MongoTrustedDeviceStore
from frappyauth.stores.mongo.users import MongoUserStore

__all__ = [
    "SCHEMA_VERSION",
    "check_connection",
    "LegacyUsernameConflictError",
    "MigrationReport",
    "MongoApiKeyStore",
    "MongoAttemptStore",
    "MongoAuditStore",
    "MongoDeviceStore",
    "MongoIdentityStore",
    "MongoRoleStore",
    "MongoMailTokenStore",
    "MongoMfaStore",
    "MongoSessionStore",
    "MongoTrustedDeviceStore",
    "MongoUserStore",
    "mongo_stores",
]
