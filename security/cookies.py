"""Cookie mode for browser apps: the tokens in HttpOnly cookies, CSRF by double submit.

flask-jwt-extended does the work (config.py sets it up): it reads the Authorization
header first and the cookies only when there is none, and on a cookie-authenticated
POST, PUT, PATCH or DELETE it compares X-CSRF-TOKEN with the token's `csrf` claim.
This module decides where a token response goes (body or cookies) and how a browser
logs out once its access cookie has expired.
"""

from functools import wraps

from flask import Response, after_this_request, current_app, jsonify, request
from flask_jwt_extended import (
    decode_token,
    get_csrf_token,
    get_jwt,
    get_jwt_request_location,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, UserLookupError
from jwt import ExpiredSignatureError, InvalidTokenError

from security.errors import auth_error


def csrf_failed():
    return auth_error(
        403, message="The CSRF token is missing or does not match.", error="csrf_failed"
    )


def token_response(tokens: dict, *, to_cookies: bool) -> Response:
    """A token response (web.openapi.TOKEN_RESPONSE): the tokens, or in cookie mode only
    their CSRF values (for frontends on another origin, which cannot read the CSRF
    cookies), the tokens themselves going into cookies JavaScript cannot read.

    Built here as a Response because its documented schema is a oneOf of two schemas,
    which flask-smorest takes as documentation only (its `response` docs: a dict schema
    is for a view that returns a Response); schemathesis checks bodies against it."""
    if not to_cookies:
        return jsonify(tokens)
    response = jsonify(
        csrf_access_token=get_csrf_token(tokens["access_token"]),
        csrf_refresh_token=get_csrf_token(tokens["refresh_token"]),
    )
    # The browser keeps both cookies as long as the refresh token lives: an expired
    # access cookie still reaches the API, which answers token_expired (time to
    # refresh) rather than authorization_required.
    max_age = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())
    set_access_cookies(response, tokens["access_token"], max_age=max_age)
    set_refresh_cookies(response, tokens["refresh_token"], max_age=max_age)
    return response


def clear_cookies(response: Response) -> Response:
    unset_jwt_cookies(response)
    return response


def by_cookie() -> bool:
    """No Authorization header: whatever token the request carries is a cookie."""
    return current_app.config["JWT_HEADER_NAME"] not in request.headers


def session_to_end() -> str:
    """The login session a logout ends, from a valid access token (header or cookie).

    A browser may log out after its access cookie expired: the expired cookie still
    names its session, and the CSRF value proves the request comes from the page.
    A cookie logout clears the cookies, also when the session had already ended.
    """
    try:
        verify_jwt_in_request()
    except ExpiredSignatureError:
        if not by_cookie():
            raise
        claims = expired_access_cookie()
    except UserLookupError:  # the session has ended: the cookies are dead weight
        if by_cookie():
            after_this_request(clear_cookies)
        raise
    else:
        claims = get_jwt()
        if get_jwt_request_location() != "cookies":
            return claims["sid"]
    after_this_request(clear_cookies)
    return claims["sid"]


def expired_access_cookie() -> dict:
    config = current_app.config
    csrf_value = request.headers.get(config["JWT_ACCESS_CSRF_HEADER_NAME"])
    if not csrf_value:
        raise CSRFError("Missing CSRF token")
    claims = decode_token(
        request.cookies[config["JWT_ACCESS_COOKIE_NAME"]], csrf_value, allow_expired=True
    )
    if claims["type"] != "access":
        raise InvalidTokenError("not an access token")
    return claims


def logout_required(fn):
    """jwt_required for /logout: the view gets the `sid` of the session to end."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, sid=session_to_end(), **kwargs)

    return wrapper
