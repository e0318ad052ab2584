"""frappymongouser's `UserStore` and `UserTokenStore`, as Mongo stores that keep the old methods.

The old methods delegate to the account service: inside an app context of an app that registered
this store, the app's own (its options, its session store, its signals); elsewhere (a start-up
script) a service with the options given here and no session store: a password changed there still
voids the user's sessions (by their credential version), but their documents stay until they expire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, has_app_context

from frappyauth.compat.users import User, deprecated
from frappyauth.core.api_keys import DEFAULT_KEY_NAME
from frappyauth.core.errors import DuplicateUsernameError, UserNotFoundError
from frappyauth.core.models import Actor, username_key
from frappyauth.core.options import build_options
from frappyauth.core.context import utc_now
from frappyauth.core.protocols import Stores
from frappyauth.core.services import Services, build_services
from frappyauth.stores.memory import MemorySessionStore
from frappyauth.stores.mongo.attempts import MongoAttemptStore
from frappyauth.stores.mongo.api_keys import MongoApiKeyStore
from frappyauth.stores.mongo import MongoSessionStore, MongoUserStore
from frappyauth.stores.mongo.connection import connect
from frappyauth.stores.mongo.documents import user_fields
from frappyauth.web.state import EXTENSION_KEY

COMPAT_ACTOR = Actor("(frappymongouser call)")
T = TypeVar("T")


class UserStore(MongoUserStore):
    """`frappymongouser.UserStore(mongo_url, mongo_db, collection_name)`, or with `db=` a pymongo
    `Database`.

    `options_override` configures the account service used outside an app context (bcrypt cost,
    minimum password length...); inside one, the app's options apply. Every record it makes is a
    `compat.User` (see `_to_user`), which the `cast`s state for the type checker.
    """

    def __init__(
        self,
        mongo_url: str = "mongodb://localhost:27017",
        mongo_db: str | None = None,
        collection_name: str = "users",
        *,
        db: Any = None,
        options_override: dict[str, Any] | None = None,
        **store_options: Any,
    ) -> None:
        super().__init__(
            db if db is not None else connect(mongo_url, mongo_db), collection_name, **store_options
        )
        self._options_override = options_override
        self._standalone: Services | None = None

    def get_by_username(self, username_key_or_name: str) -> User | None:
        """The user with this name in any case (old callers pass a name, the core passes its
        key)."""
        if not isinstance(username_key_or_name, str):
            return None
        key = username_key(username_key_or_name)
        user = super().get_by_username(key)
        if user is None and key != username_key_or_name:
            user = super().get_by_username(username_key_or_name)
        return cast(User | None, user)  # this store's records are all `compat.User`s

    def initial_local_user_check(
        self,
        initial_username: str,
        initial_password: str,
        initial_permissions: list[str] | None = None,
    ) -> User | None:
        deprecated(
            "UserStore.initial_local_user_check()",
            "frappyauth.initial_user_check(app, username, password) or `flask frappyauth "
            "init-admin`",
        )
        if not initial_username or not initial_password:
            raise ValueError(
                "Initial user check failed, because no username or password was provided."
            )
        services = self._services()
        if self.count() > 0:
            return None
        permissions = tuple(initial_permissions or (services.options.user_admin_permission,))
        try:
            created = services.accounts.create(
                initial_username, initial_password, permissions, actor=COMPAT_ACTOR
            )
            return cast(User, created)
        except DuplicateUsernameError:  # another worker seeded it first
            return None

    def create_local_user(
        self, username: str, password: str, permissions: list[str] | None = None
    ) -> User:
        deprecated("UserStore.create_local_user()", "POST /users (Accounts.create)")
        try:
            created = self._services().accounts.create(
                username, password, tuple(_permission_list(permissions)), actor=COMPAT_ACTOR
            )
        except DuplicateUsernameError:
            raise ValueError("Username already in use") from None
        return cast(User, created)

    def login_with_password(self, username: str, password: str) -> User | None:
        """The user if the password is right. Unlike `POST /login` it is not throttled and starts
        no session; like it, a legacy MD5 (or cheaper bcrypt) hash is replaced at the first right
        password."""
        deprecated("UserStore.login_with_password()", "POST /login (Authenticator.login)")
        user, services = self.get_by_username(username), self._services()
        verified = services.context.hasher.verify(
            password, None if user is None else user.password_hash
        )
        if user is None or not verified:
            return None
        services.sign_in.upgrade_hash(user, password)
        return user

    def change_password(self, user_id: str, new_password: str) -> User | None:
        deprecated(
            "UserStore.change_password()", "POST /users/<id>/password (Accounts.reset_password)"
        )
        accounts = self._services().accounts
        return cast(
            User | None,
            self._found(lambda: accounts.reset_password(user_id, new_password, COMPAT_ACTOR)),
        )

    def update_permissions(self, user_id: str, permissions: list[str] | str) -> User | None:
        deprecated(
            "UserStore.update_permissions()",
            "POST /users/<id>/permissions (Accounts.set_permissions)",
        )
        listed = tuple(_permission_list(permissions))
        accounts = self._services().accounts
        return cast(
            User | None,
            self._found(lambda: accounts.set_permissions(user_id, listed, COMPAT_ACTOR)),
        )

    def update_profile(self, user_id: str, new_profile: dict[str, Any]) -> User | None:
        deprecated("UserStore.update_profile()", "POST /users/<id>/profile (UserStore.set_profile)")
        return cast(User | None, self.set_profile(user_id, new_profile))

    def create_api_key(self, user_id: str) -> str:
        """A new key, returned this once, in place of the user's key named `default`; only its
        hash is stored."""
        deprecated(
            "UserStore.create_api_key()",
            "POST /key or POST /keys (ApiKeys.rotate_default, ApiKeys.create)",
        )
        return self._services().api_keys.rotate_default(self._existing(user_id), COMPAT_ACTOR)

    def revoke_api_key(self, user_id: str) -> None:
        deprecated(
            "UserStore.revoke_api_key()",
            "DELETE /key or DELETE /keys/<id> (ApiKeys.revoke_default)",
        )
        self._services().api_keys.revoke_default(self._existing(user_id), COMPAT_ACTOR)

    def get_users_with_api_key(self) -> list[User]:
        """Users with a legacy key on their record or a key named `default` (what `hasApiKey`
        says)."""
        deprecated(
            "UserStore.get_users_with_api_key()", "`hasApiKey` in the user JSON of GET /users"
        )
        context = self._services().context
        users = [self._to_user(document) for document in self._users.find({})]
        holders = context.stores.api_keys.holders(
            DEFAULT_KEY_NAME, [user.id for user in users], context.clock()
        )
        return [user for user in users if user.api_key_hash is not None or user.id in holders]

    def get_all(self, page_size: int | None = 25, page: int | None = 0) -> tuple[list[User], int]:
        """A page of users and the total; `page_size` 0 or `None` gives every user."""
        deprecated(
            "UserStore.get_all(page_size, page)",
            "GET /users?page=N (UserStore.list_page(offset, limit))",
        )
        if not page_size:
            return self.list_page(0, max(self.count(), 1))  # type: ignore[return-value]
        return self.list_page((page or 0) * page_size, page_size)  # type: ignore[return-value]

    def _to_user(self, document: dict[str, Any]) -> User:
        return User(
            **user_fields(document),
            uid=document.get("uid"),
            data_model_version=document.get("dataModelVersion"),
            holds_default_key=self._holds_default_key,
        )

    def _holds_default_key(self, user_id: str) -> bool:
        context = self._services().context
        return bool(context.stores.api_keys.holders(DEFAULT_KEY_NAME, [user_id], context.clock()))

    def _services(self) -> Services:
        """The registering app's services, or this store's own outside such an app."""
        if has_app_context():
            state = current_app.extensions.get(EXTENSION_KEY)
            if state is not None and state.services.stores.users is self:
                return state.services
        if self._standalone is None:
            stores = Stores(
                users=self,
                sessions=MemorySessionStore(),
                api_keys=MongoApiKeyStore(self.database),
                attempts=MongoAttemptStore(self.database),
            )
            self._standalone = build_services(build_options(self._options_override), stores)
        return self._standalone

    def _existing(self, user_id: str) -> User:
        user = self.get(user_id)
        if user is None:
            raise ValueError(f"No user found for '{user_id}'")
        return user  # type: ignore[return-value]

    @staticmethod
    def _found(change: Callable[[], T]) -> T | None:
        try:
            return change()
        except UserNotFoundError:
            return None


class UserTokenStore(MongoSessionStore):
    """`frappymongouser.UserTokenStore(mongo_url, mongo_db, collection_name)`, or with `db=` a
    `Database`.

    Sessions are frappyauth's own (made by `POST /login`): the old `create(user_id, token)` and
    `get_by_token(token)` are gone, as only token hashes are stored.
    """

    def __init__(
        self,
        mongo_url: str = "mongodb://localhost:27017",
        mongo_db: str | None = None,
        collection_name: str = "userTokens",
        *,
        db: Any = None,
        **store_options: Any,
    ) -> None:
        super().__init__(
            db if db is not None else connect(mongo_url, mongo_db), collection_name, **store_options
        )

    def clean_up_expired(self) -> None:
        deprecated(
            "UserTokenStore.clean_up_expired()",
            "UserTokenStore.purge_expired(now) (a TTL index does it)",
        )
        self.purge_expired(utc_now())


def _permission_list(permissions: list[str] | str | None) -> list[str]:
    """frappymongouser stored whatever it got; a single string meant that one permission."""
    if permissions is None:
        return []
    return [permissions] if isinstance(permissions, str) else list(permissions)
