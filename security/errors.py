"""The contract's exact bodies for authentication failures. They are the one exception
to the API's {"code", "status", "message"} error shape, because clients of the classic
course match on them; web/errors.py builds them (`auth_error`)."""

from typing import NoReturn

from flask import abort

from web.errors import (  # noqa: F401  (the names the security modules use)
    ADMIN_REQUIRED,
    AUTHORIZATION_REQUIRED,
    FORBIDDEN,
    admin_required,
    auth_error,
    forbidden,
)

INVALID_CREDENTIALS = {"message": "Invalid credentials."}


def token_revoked(*_):
    return auth_error(401, description="The token has been revoked.", error="token_revoked")


def invalid_credentials() -> NoReturn:
    abort(auth_error(401, **INVALID_CREDENTIALS))
