"""JWT rules of the contract: exact 401 bodies, required claims, login sessions
(revocation in the database), and the admin and owner checks."""

import jwt as pyjwt
from flask import Flask, abort, current_app, jsonify
from flask_jwt_extended import (
    JWTManager,
    current_user,
    get_jwt,
    jwt_required,
)
from sqlalchemy import Row, bindparam, select

from db import read_connection
from models import LoginSession, User
from schemas import AuthErrorSchema

REQUIRED_CLAIMS = ("sub", "jti", "exp", "type", "sid")
BEARER_SECURITY = [{"bearerAuth": []}]

jwt = JWTManager()


def _error(status: int, **body):
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _invalid(*_):
    return _error(401, message="Signature verification failed.", error="invalid_token")


@jwt.expired_token_loader
def _expired(*_):
    return _error(401, message="The token has expired.", error="token_expired")


@jwt.unauthorized_loader
def _missing(*_):
    return _error(
        401,
        description="Request does not contain an access token.",
        error="authorization_required",
    )


@jwt.needs_fresh_token_loader
def _not_fresh(*_):
    return _error(401, description="The token is not fresh.", error="fresh_token_required")


def token_revoked(*_):
    return _error(401, description="The token has been revoked.", error="token_revoked")


jwt.invalid_token_loader(_invalid)  # also answers a token of the wrong type
jwt.revoked_token_loader(token_revoked)
jwt.user_lookup_error_loader(token_revoked)
jwt.token_verification_failed_loader(_invalid)


@jwt.decode_key_loader
def _key_for(header: dict, claims: dict) -> str:
    """Reject tokens lacking a required claim before looking at anything else.

    flask-jwt-extended fills in a missing `type` or `jti` with defaults, so the check
    has to see the claims as they were sent; the signature is verified right after.
    """
    missing = [claim for claim in REQUIRED_CLAIMS if claim not in claims]
    if missing:
        raise pyjwt.MissingRequiredClaimError(missing[0])
    if claims["type"] not in ("access", "refresh"):
        raise pyjwt.InvalidTokenError("unknown token type")
    if not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
        raise pyjwt.InvalidTokenError("sub and sid must be strings")
    return current_app.config["JWT_SECRET_KEY"]


users, sessions = User.__table__, LoginSession.__table__
# Built once: every authenticated request runs it (see reads.py on prebuilt statements).
SESSION_USER = (
    select(users.c.id, users.c.username, users.c.is_admin)
    .join(sessions, sessions.c.user_id == users.c.id)
    .where(sessions.c.id == bindparam("sid"))
)


@jwt.user_lookup_loader
def _load_user(_header: dict, claims: dict) -> Row | None:
    """One indexed query: the token's live login session joined to its user.

    No row means the session was logged out, replayed, ended by a password change
    or the user was deleted: flask-jwt-extended then answers `token_revoked`.
    `current_user` is this read-only row (id, username, is_admin); a view that
    changes the user loads the model itself.
    """
    with read_connection() as conn:
        user = conn.execute(SESSION_USER, {"sid": claims["sid"]}).one_or_none()
    # Compared as text: a `sub` that is no integer must not reach the database.
    return user if user is not None and str(user.id) == claims["sub"] else None


def invalid_credentials():
    """The contract's exact body for a wrong username or password."""
    abort(_error(401, message="Invalid credentials."))


def check_self_or_admin(user_id: int) -> None:
    """403 for anyone else's id, existing or not, so ids cannot be probed."""
    if current_user.id != user_id and not is_admin():
        abort(_error(403, message="Admin privilege required.", error="admin_required"))


def is_admin() -> bool:
    return bool(get_jwt().get("is_admin"))


def check_owner(store) -> None:
    """Only the store's owner or an admin may change it or anything in it."""
    if store.owner_id != current_user.id and not is_admin():
        abort(
            _error(
                403,
                message="Only the store's owner or an admin may do that.",
                error="forbidden",
            )
        )


def init_app(app: Flask) -> None:
    jwt.init_app(app)


def protected(blp, *, fresh: bool = False, refresh: bool = False):
    """jwt_required, plus the OpenAPI security requirement and 401 response."""

    def decorator(fn):
        fn = blp.alt_response(
            401,
            schema=AuthErrorSchema,
            description="Missing, invalid, expired or revoked token",
        )(fn)
        fn = blp.doc(security=BEARER_SECURITY)(fn)
        return jwt_required(fresh=fresh, refresh=refresh)(fn)

    return decorator
