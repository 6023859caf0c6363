"""One place that turns every error into flask-smorest's JSON shape:
{"code", "status", "message"?, "errors"?}. Never HTML, never a traceback or SQL."""

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from db import db

# What a unique-constraint violation on each table means to a client. Checked by the
# database, so two racing requests get the same answer as two sequential ones.
CONFLICTS = {
    "users": (409, "A user with that username already exists."),
    "stores": (400, "A store with that name already exists."),
    "items": (409, "An item with that name already exists in that store."),
    "tags": (400, "A tag with that name already exists in that store."),
    "items_tags": (409, "The item is already linked to that tag."),
}
MESSAGES = {
    400: "The request body is not valid JSON.",
    404: "Not found.",
    413: "The request body is larger than the 1 MiB limit.",
    500: "An unexpected error occurred.",
    503: "The database is unavailable. Try again shortly.",
}


def example(status: int, message: str | None = None, **extra) -> dict:
    """A body in this module's shape, for the OpenAPI document's examples."""
    message = message or MESSAGES.get(status)
    return (
        {"code": status, "status": HTTP_STATUS_CODES[status]}
        | ({"message": message} if message else {})
        | extra
    )


def conflict_example(table: str) -> dict:
    return example(*CONFLICTS[table])


def error_body(error: HTTPException) -> tuple[dict, int, dict]:
    data = getattr(error, "data", None) or {}
    code = error.code or 500  # werkzeug's HTTPException subclasses all set one
    body = {"code": code, "status": error.name}
    message = data.get("message") or MESSAGES.get(code)
    if message is None and not isinstance(error, InternalServerError):
        message = error.description
    if message:
        body["message"] = message
    errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = errors
    headers = dict(error.get_headers())  # keeps Allow on 405, Retry-After on 429
    headers.pop("Content-Type", None)
    headers.update(data.get("headers") or {})
    if code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return body, code, headers


def integrity_error(error: IntegrityError):
    db.session.rollback()
    conflict = CONFLICTS.get(_unique_violation_table(error) or "")
    status, message = conflict or (409, "That conflicts with data changed at the same time.")
    return {"code": status, "status": HTTP_STATUS_CODES[status], "message": message}, status


def _unique_violation_table(error: IntegrityError) -> str | None:
    """The table whose unique constraint failed; None for any other integrity error
    (a foreign key whose row was deleted at the same moment, say)."""
    diag = getattr(error.orig, "diag", None)  # psycopg
    if diag is not None:
        return diag.table_name if getattr(error.orig, "sqlstate", None) == "23505" else None
    text = str(error.orig)  # SQLite: "UNIQUE constraint failed: stores.name"
    if text.startswith("UNIQUE constraint failed:"):
        return text.split(":", 1)[1].strip().split(".", 1)[0]
    return None


def vanished(_error: StaleDataError):
    """The ORM updated or deleted a row that a racing request had just deleted: to
    this request it does not exist (the views' own writes check this; this is the net)."""
    db.session.rollback()
    return {"code": 404, "status": HTTP_STATUS_CODES[404], "message": MESSAGES[404]}, 404


def database_unavailable(error: OperationalError):
    """The database is down or unreachable: tell clients to come back, don't crash.
    The pool reconnects by itself once the database returns (connections.py)."""
    current_app.logger.warning("Database unavailable: %s", error.orig.__class__.__name__)
    db.session.rollback()
    body = {
        "code": 503,
        "status": HTTP_STATUS_CODES[503],
        "message": MESSAGES[503],
    }
    return body, 503, {"Retry-After": "5"}


def unexpected_error(error: InternalServerError):
    current_app.logger.error("Unhandled exception", exc_info=error.original_exception or error)
    db.session.rollback()
    return error_body(error)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_body)
    app.register_error_handler(InternalServerError, unexpected_error)
    app.register_error_handler(IntegrityError, integrity_error)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(StaleDataError, vanished)
