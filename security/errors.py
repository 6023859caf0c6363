"""The contract's exact bodies for authentication and authorization failures. They are
the one exception to the API's {"code", "status", "message"} error shape, because
clients of the classic course match on them."""

from flask import abort, jsonify


def auth_error(status: int, **body):
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def token_revoked(*_):
    return auth_error(401, description="The token has been revoked.", error="token_revoked")


def invalid_credentials():
    abort(auth_error(401, message="Invalid credentials."))


def admin_required():
    abort(auth_error(403, message="Admin privilege required.", error="admin_required"))


def forbidden():
    abort(
        auth_error(
            403, message="Only the store's owner or an admin may do that.", error="forbidden"
        )
    )
