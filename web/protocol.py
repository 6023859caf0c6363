"""HTTP details clients rely on: the Authorization scheme in any case, OPTIONS
answered in JSON like everything else, and token responses never cached."""

import re

from flask import Flask, Response, jsonify, request

from security.tokens import NO_STORE

# RFC 9110 11.1: the auth scheme is case-insensitive. flask-jwt-extended matches
# "Bearer" exactly and has no setting for it, so `bearer <token>` is spelled its way
# before any view reads the header (request.headers reads the WSGI environ).
SCHEME = re.compile(r"(^|,)(\s*)bearer(?=\s)", re.IGNORECASE)


def bearer_in_any_case() -> None:
    value = request.environ.get("HTTP_AUTHORIZATION")
    if value and not value.startswith("Bearer "):
        request.environ["HTTP_AUTHORIZATION"] = SCHEME.sub(r"\1\2Bearer", value)


def options_as_json(response: Response) -> Response:
    """Flask's automatic OPTIONS answer is an empty text/html body: make it JSON naming
    the allowed methods (CORS preflights keep their headers)."""
    if request.method == "OPTIONS" and response.status_code == 200 and not response.data:
        allowed = sorted(method.strip() for method in response.headers.get("Allow", "").split(","))
        body = jsonify(allow=[method for method in allowed if method])
        response.set_data(body.get_data())
        response.mimetype = "application/json"
    return response


# The endpoints whose answers carry tokens: no cache (browser, proxy) may keep them.
# Also the two-factor ones whose answers carry a secret or recovery codes.
TOKEN_ENDPOINTS = {"users.Login", "users.Refresh", "mfa.LoginMfa", "mfa.Enrol", "mfa.Confirm"}


def tokens_not_cached(response: Response) -> Response:
    if request.endpoint in TOKEN_ENDPOINTS:
        response.headers.update(NO_STORE)
    return response


def init_app(app: Flask) -> None:
    app.before_request(bearer_in_any_case)
    app.after_request(options_as_json)
    app.after_request(tokens_not_cached)
