"""The API's blueprints, and the `<id:...>` and `<sid:...>` URL converters they share."""

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api
from werkzeug.routing import BaseConverter, IntegerConverter

from resources import account, health, items, jwks, mfa, sessions, stores, tags, users
from schemas import MAX_ID, SESSION_ID


class IdConverter(IntegerConverter):
    """A positive id that fits the database's INTEGER: anything else is a 404,
    never an overflow error from the database."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


class SessionIdConverter(BaseConverter):
    """A login session's id, 32 lowercase hex digits: anything else is a 404 before
    it reaches the database (PostgreSQL refuses a NUL in text with an error)."""

    regex = "[0-9a-f]{32}"


def register(app: Flask, api: Api) -> None:
    app.url_map.converters["id"] = IdConverter
    api.register_converter(
        IdConverter, lambda _: {"type": "integer", "minimum": 1, "maximum": MAX_ID, "example": 1}
    )
    app.url_map.converters["sid"] = SessionIdConverter
    api.register_converter(SessionIdConverter, lambda _: SESSION_ID)
    for module in (users, mfa, account, sessions, stores, items, tags, health, jwks):
        api.register_blueprint(module.blp)
    # Swagger UI from the installed package, not a CDN: the docs work offline.
    app.add_url_rule(
        "/swagger-ui-assets/<path:filename>",
        "swagger_ui_assets",
        lambda filename: send_from_directory(swagger_ui_bundle.swagger_ui_path, filename),
    )
