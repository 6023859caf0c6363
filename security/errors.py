"""The contract's exact bodies for authentication and authorization failures. They are
the one exception to the API's {"code", "status", "message"} error shape, because
clients of the classic course match on them."""

from typing import NoReturn

from flask import abort, jsonify

INVALID_CREDENTIALS = {"message": "Invalid credentials."}
ADMIN_REQUIRED = {"message": "Admin privilege required.", "error": "admin_required"}
FORBIDDEN = {"message": "Only the store's owner or an admin may do that.", "error": "forbidden"}
# flask-jwt-extended's answer to a request without a token (security/tokens.py sends it).
AUTHORIZATION_REQUIRED = {
    "description": "Request does not contain an access token.",
    "error": "authorization_required",
}


def auth_error(status: int, **body):
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def token_revoked(*_):
    return auth_error(401, description="The token has been revoked.", error="token_revoked")


def invalid_credentials() -> NoReturn:
    abort(auth_error(401, **INVALID_CREDENTIALS))


def admin_required():
    abort(auth_error(403, **ADMIN_REQUIRED))


def forbidden():
    abort(auth_error(403, **FORBIDDEN))
