"""The API's blueprints, and the `<id:...>` and `<sid:...>` URL converters they share.

Every module of this package that defines `blp` is registered, so a new resource needs no
edit here. Registration order is the OpenAPI tag order: FIRST (accounts, then stores), then
the other modules by name (a store's resources), then LAST (the probes)."""

import importlib
import pkgutil
import sys
from types import ModuleType

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api
from werkzeug.routing import BaseConverter, IntegerConverter

from schemas import MAX_ID
from security.schemas import SESSION_ID

FIRST = ("users", "mfa", "account", "sessions", "stores")
LAST = ("health", "jwks")


def place(name: str) -> tuple[int, int, str]:
    if name in FIRST:
        return (0, FIRST.index(name), name)
    return (2, LAST.index(name), name) if name in LAST else (1, 0, name)


def blueprint_modules(package: ModuleType) -> list[ModuleType]:
    """The package's modules that define `blp`, in the order above."""
    names = sorted((module.name for module in pkgutil.iter_modules(package.__path__)), key=place)
    modules = [importlib.import_module(f"{package.__name__}.{name}") for name in names]
    return [module for module in modules if hasattr(module, "blp")]


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
    for module in blueprint_modules(sys.modules[__name__]):
        api.register_blueprint(module.blp)
    # Swagger UI from the installed package, not a CDN: the docs work offline.
    app.add_url_rule(
        "/swagger-ui-assets/<path:filename>",
        "swagger_ui_assets",
        lambda filename: send_from_directory(swagger_ui_bundle.swagger_ui_path, filename),
    )
