"""One place that builds every error body: flask-smorest's JSON shape
{"code", "status", "message"?, "errors"?} (`body`), and the contract's exact bodies for
authentication and authorization failures (`auth_error`), which clients of the classic
course match on. Never HTML, never a traceback or SQL."""

from flask import Flask, abort, current_app, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from db import db

MESSAGES = {
    400: "The request body is not valid JSON.",
    404: "Not found.",
    413: "The request body is larger than the 1 MiB limit.",
    500: "An unexpected error occurred.",
    503: "The database is unavailable. Try again shortly.",
}
# A write racing another one that broke no unique rule of its view (a row it points to
# was deleted at the same moment, say). Views name their own conflicts (Blueprint.conflict).
RACED = "That conflicts with data changed at the same time."

# The contract's authentication and authorization bodies.
ADMIN_REQUIRED = {"message": "Admin privilege required.", "error": "admin_required"}
FORBIDDEN = {"message": "Only the store's owner or an admin may do that.", "error": "forbidden"}
# flask-jwt-extended's answer to a request without a token (security/tokens.py sends it).
AUTHORIZATION_REQUIRED = {
    "description": "Request does not contain an access token.",
    "error": "authorization_required",
}


def body(status: int, message: str | None = None, **extra) -> dict:
    """An error body in the API's shape; also the OpenAPI document's examples."""
    message = message or MESSAGES.get(status)
    return (
        {"code": status, "status": HTTP_STATUS_CODES[status]}
        | ({"message": message} if message else {})
        | extra
    )


example = body


def auth_error(status: int, **fields):
    """One of the contract's auth bodies as a response (401s say which scheme to use)."""
    response = jsonify(fields)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def forbidden():
    abort(auth_error(403, **FORBIDDEN))


def admin_required():
    abort(auth_error(403, **ADMIN_REQUIRED))


def error_body(error: HTTPException) -> tuple[dict, int, dict]:
    data = getattr(error, "data", None) or {}
    code = error.code or 500  # werkzeug's HTTPException subclasses all set one
    message = data.get("message")
    if message is None and code not in MESSAGES and not isinstance(error, InternalServerError):
        message = error.description
    errors = data.get("errors") or data.get("messages")
    shaped = body(code, message, **({"errors": errors} if errors else {}))
    headers = dict(error.get_headers())  # keeps Allow on 405, Retry-After on 429
    headers.pop("Content-Type", None)
    headers.update(data.get("headers") or {})
    if code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return shaped, code, headers


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether a unique constraint failed (not a foreign key, say), by the drivers'
    error codes: psycopg's SQLSTATE, sqlite3's extended result code name."""
    orig = error.orig
    return (
        getattr(orig, "sqlstate", None) == "23505"
        or getattr(orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE"
    )


def integrity_error(_error: IntegrityError):
    """The net under Blueprint.conflict: a write that raced another."""
    db.session.rollback()
    return body(409, RACED), 409


def vanished(_error: StaleDataError):
    """The ORM updated or deleted a row that a racing request had just deleted: to
    this request it does not exist (the views' own writes check this; this is the net)."""
    db.session.rollback()
    return body(404), 404


def database_unavailable(error: OperationalError):
    """The database is down or unreachable: tell clients to come back, don't crash.
    The pool reconnects by itself once the database returns (connections.py)."""
    current_app.logger.warning("Database unavailable: %s", error.orig.__class__.__name__)
    db.session.rollback()
    return body(503), 503, {"Retry-After": "5"}


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
