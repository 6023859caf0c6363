"""Cross-origin browser apps: which origins may call the API, and with what."""

from flask import Flask
from flask_cors import CORS

# Headers a script on another origin may read: list totals, the next page, a wait.
EXPOSED = ["X-Pagination", "Link", "Retry-After"]


def init_app(app: Flask) -> None:
    """Named origins (CORS_ORIGINS) may send credentials (cookie mode); a wildcard never
    does, so with the default `*` only the Authorization header works cross-origin."""
    origins = app.config["CORS_ORIGINS"]  # a list, checked by config.origins
    wildcard = "*" in origins
    CORS(
        app,
        origins=origins,
        send_wildcard=wildcard,  # `*` itself, never the caller's origin echoed back
        supports_credentials=not wildcard,
        expose_headers=EXPOSED,
    )
