"""The contract's exact bodies for authentication failures. They are the one exception
to the API's {"code", "status", "message"} error shape, because clients of the classic
course match on them; web/errors.py builds them (`auth_error`)."""

from typing import NoReturn

from flask import abort

from schemas import CredentialsErrorSchema
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


def wrong_password_response(blp):
    """The 401 an endpoint that asks for the current password documents (it answers it
    with invalid_credentials(), as a wrong token answers its own 401)."""
    return blp.alt_response(
        401,
        schema=CredentialsErrorSchema,
        description="Wrong current password, or a missing, invalid, stale or revoked token",
        example=INVALID_CREDENTIALS,
    )
