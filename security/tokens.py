"""JSON Web Tokens: what this API signs, what it accepts, and the contract's exact 401
bodies for everything it refuses. A token is only as alive as its login session
(security/sessions.py): the check here is one indexed query per request."""

import sys

import jwt as pyjwt
from flask import Response, after_this_request, current_app
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token
from flask_jwt_extended.exceptions import CSRFError
from sqlalchemy import Row, bindparam, select

from connections import read
from models import LoginSession, User
from queries.prepared import Prepared
from security.cookies import csrf_failed
from security.errors import auth_error, token_revoked
from security.keys import keyring

REQUIRED_CLAIMS = ("sub", "jti", "exp", "type", "sid")

jwt = JWTManager()
jwt.expired_token_loader(
    lambda *_: auth_error(401, message="The token has expired.", error="token_expired")
)


@jwt.unauthorized_loader  # flask-jwt-extended answers a failed CSRF check through it too
def unauthorized(_reason: str):
    if isinstance(sys.exc_info()[1], CSRFError):  # the exception being handled
        return csrf_failed()
    return auth_error(
        401, description="Request does not contain an access token.", error="authorization_required"
    )


jwt.needs_fresh_token_loader(
    lambda *_: auth_error(401, description="The token is not fresh.", error="fresh_token_required")
)
jwt.revoked_token_loader(token_revoked)
jwt.user_lookup_error_loader(token_revoked)


@jwt.invalid_token_loader  # also answers a token of the wrong type
@jwt.token_verification_failed_loader
def invalid_token(*_):
    return auth_error(401, message="Signature verification failed.", error="invalid_token")


@jwt.decode_key_loader
def key_for(header: dict, claims: dict):
    """Reject tokens lacking a required claim or naming another issuer or audience
    before looking at anything else, then pick the one key (and algorithm) the header's
    `kid` names (security/keys.py).

    flask-jwt-extended fills in a missing `type` or `jti` with defaults, so the check
    has to see the claims as they were sent; the signature is verified right after.
    `iss` and `aud` are checked here rather than by JWT_DECODE_ISSUER/AUDIENCE, which
    would also refuse the tokens issued before they existed (the contract: "present
    and different" is refused).
    """
    missing = [claim for claim in REQUIRED_CLAIMS if claim not in claims]
    if missing:
        raise pyjwt.MissingRequiredClaimError(missing[0])
    if claims["type"] not in ("access", "refresh"):
        raise pyjwt.InvalidTokenError("unknown token type")
    if not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
        raise pyjwt.InvalidTokenError("sub and sid must be strings")
    check_issuer_and_audience(claims, current_app.config)
    return keyring().verifying_key(header).verifying


def check_issuer_and_audience(claims: dict, config) -> None:
    if "iss" in claims and claims["iss"] != config["JWT_ISSUER"]:
        raise pyjwt.InvalidIssuerError("the token names another issuer")
    if "aud" in claims:
        audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if config["JWT_AUDIENCE"] not in audience:
            raise pyjwt.InvalidAudienceError("the token is meant for another audience")


# Signing: always the current key, named in the header. A verifying-only key never signs.
@jwt.encode_key_loader
def signing_key(_identity):
    return keyring().private


@jwt.additional_headers_loader
def key_header(_identity) -> dict:
    return {"kid": keyring().signing.kid}


users, sessions = User.__table__, LoginSession.__table__
# Compiled once (queries/prepared.py): every authenticated request runs it.
SESSION_USER = Prepared(
    select(users.c.id, users.c.username, users.c.is_admin)
    # GET /my-info's email and two-factor state ride along: the token check is its only query.
    .add_columns(users.c.email, users.c.email_verified, users.c.email_pending, users.c.mfa_enabled)
    .join(sessions, sessions.c.user_id == users.c.id)
    .where(sessions.c.id == bindparam("sid"))
)


@jwt.user_lookup_loader
def load_user(_header: dict, claims: dict) -> Row | None:
    """One indexed query: the token's live login session joined to its user.

    No row means the session was logged out, replayed, ended by a password change
    or the user was deleted: flask-jwt-extended then answers `token_revoked`.
    `current_user` is this read-only row (id, username, is_admin); a view that
    changes the user loads the model itself.
    """
    user = read(lambda conn: SESSION_USER.run(conn, {"sid": claims["sid"]}).one_or_none())
    # Compared as text: a `sub` that is no integer must not reach the database.
    return user if user is not None and str(user.id) == claims["sub"] else None


# Tokens must not be kept by a browser's or proxy's cache (RFC 6749, section 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
NO_STORE_DOC = {
    name: {"description": "Tokens are never cached.", "schema": {"type": "string", "enum": [v]}}
    for name, v in NO_STORE.items()
}


def not_cached(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


def issue_tokens(user: User | Row, session_id: str, refresh_jti: str, *, fresh: bool) -> dict:
    """`user` is the model at login, the token's row (load_user) at refresh. The answer
    that carries them is marked not to be cached, whichever view sends it."""
    after_this_request(not_cached)
    return {
        "access_token": create_access_token(
            identity=str(user.id),
            fresh=fresh,
            additional_claims={"is_admin": user.is_admin, "sid": session_id},
        ),
        "refresh_token": create_refresh_token(
            identity=str(user.id),
            additional_claims={"sid": session_id, "jti": refresh_jti},
        ),
    }
