"""The `[mongo]` extra: importing the Mongo stores without pymongo says what to install."""

try:
    import pymongo  # noqa: F401
except ImportError as missing:
    raise ImportError(
        "frappyauth.stores.mongo needs pymongo, which is not installed: "
        "pip install 'frappyauth[mongo]'"
    ) from missing
