"""A demo server for frappyauth: `python -m frappyauth_demo`, or `create_app()` under gunicorn."""

from frappyauth_demo.app import create_app

__all__ = ["create_app"]
