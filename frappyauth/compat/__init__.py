"""Drop-in names for code written against frappymongouser 1.5 (with frappyflaskauth 1.6).

Change `from frappymongouser import UserStore, UserTokenStore` to `from frappyauth.compat import
...` and the old calls keep working, each with a `DeprecationWarning` naming its replacement
(docs/migration.md lists them). The store protocols the core depends on are not widened: these are
subclasses of the Mongo stores.
"""

from frappyauth.compat.stores import UserStore, UserTokenStore
from frappyauth.compat.users import User

__all__ = ["User", "UserStore", "UserTokenStore"]
