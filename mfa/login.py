"""The step between a password and a code. The right password of a user with two-factor
on gets an `mfa_token`: 256 random bits, kept only as a keyed hash (opaque server state,
not a JWT, so it opens nothing but POST /login/mfa). It lives MFA_TOKEN_SECONDS (300),
gives one login and takes MFA_TOKEN_FAILURES (5) wrong codes; a password change or reset,
a two-factor change or the user's deletion removes it."""

import secrets
from typing import NoReturn

from flask import abort, current_app, g, jsonify
from sqlalchemy import and_, delete, insert, literal, select, update

from db import db
from mfa import codes, crypto
from models import LoginSession, MfaLogin, User
from security.errors import auth_error
from security.sessions import start_session
from security.tokens import not_cached

users, logins = User.__table__, MfaLogin.__table__
INVALID_CODE = {"message": "The code is not valid.", "error": "invalid_code"}
MFA_TOKEN_INVALID = {
    "message": "The login step has expired. Log in again.",
    "error": "mfa_token_invalid",
}
MFA_REQUIRED = "A one-time code is required."
MFA_REQUIRED_BODY = (
    '{"message": "A one-time code is required.", "error": "mfa_required", "mfa_token": "..."}'
)
CODES_LIMITED = "Too many wrong one-time codes for this account. Try again later."


def token_failures() -> int:
    return current_app.config.get("MFA_TOKEN_FAILURES", 5)


def challenge(user: User) -> str | None:
    """A new mfa_token for `user`, whose password (`user.password`) was just verified;
    None when that hash or two-factor is gone meanwhile. As in start_session, the check
    and the insert are one statement on the user's row (FOR SHARE on PostgreSQL)."""
    token, now = secrets.token_urlsafe(32), int(codes.clock())
    lifetime = current_app.config.get("MFA_TOKEN_SECONDS", 300)
    values = {
        "digest": literal(crypto.token_digest(token), logins.c.digest.type),
        "password_hash": users.c.password,
        "expires_at": literal(now + lifetime, logins.c.expires_at.type),
        "failures": literal(0, logins.c.failures.type),
    }
    still_valid = (
        select(users.c.id, *(value.label(name) for name, value in values.items()))
        .where(
            users.c.id == user.id,
            users.c.password == user.password,
            users.c.mfa_enabled,
        )
        .with_for_update(read=True, of=users)
    )
    issued = db.session.execute(
        insert(logins).from_select(["user_id", *values], still_valid).returning(logins.c.id)
    ).scalar_one_or_none()
    db.session.execute(delete(MfaLogin).where(MfaLogin.expires_at < now))
    if issued is None:
        return None
    g.mfa_required = True  # not a failed login for the login limits (security/limits.py)
    return token


def mfa_required(token: str):
    """The 401 that carries an mfa_token: never cached, as tokens are not."""
    response = auth_error(401, message=MFA_REQUIRED, error="mfa_required", mfa_token=token)
    return not_cached(response)


def live(digest: str, now: int):
    return and_(
        MfaLogin.digest == digest,
        MfaLogin.used_at.is_(None),
        MfaLogin.expires_at > now,
        MfaLogin.failures < token_failures(),
    )


def finish(token: str, code: str) -> tuple[User, LoginSession]:
    """The login an mfa_token and a right code make: a session that used a second factor.

    The order is the lock order of every two-factor change (users, then the rest), so a
    change that answered first leaves this login nothing, and one that comes later ends
    its session. A wrong code undoes everything but its own count: one more on the token,
    one more for the account (and a mail at the bound)."""
    now, digest = int(codes.clock()), crypto.token_digest(token)
    # Each try is counted before its code is looked at, by one committed statement, so
    # racing guesses cannot pass the bound together; a right code takes it back below.
    waiting = db.session.execute(
        update(MfaLogin)
        .where(live(digest, now))
        .values(failures=MfaLogin.failures + 1)
        .returning(MfaLogin.user_id, MfaLogin.password_hash)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    db.session.commit()
    if waiting is None:
        abort(auth_error(401, **MFA_TOKEN_INVALID))
    user_id, verified_hash = waiting
    attempt = codes.take_try(user_id)
    if attempt is None:
        too_many(user_id)
    user = db.session.get(User, user_id)
    session = start_session(user, verified_hash, mfa=True) if user else None
    spent = db.session.execute(
        update(MfaLogin)
        .where(MfaLogin.digest == digest, MfaLogin.used_at.is_(None), MfaLogin.expires_at > now)
        .values(used_at=now, failures=MfaLogin.failures - 1)
        .returning(MfaLogin.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if user is None or session is None or spent is None:
        db.session.rollback()
        abort(auth_error(401, **MFA_TOKEN_INVALID))
    if codes.spend(user, code) is None:
        wrong_code(user, counted=True)
    codes.give_back(attempt)
    return user, session


def refuse_while_limited(user_id: int) -> None:
    if codes.retry_after(user_id) is not None:
        too_many(user_id)


def too_many(user_id: int) -> NoReturn:
    """429 until the account's oldest wrong code in the window leaves it."""
    response = jsonify(code=429, status="Too Many Requests", message=CODES_LIMITED)
    response.status_code = 429
    response.headers["Retry-After"] = str(codes.retry_after(user_id) or 1)
    abort(response)


def wrong_code(user: User, counted: bool = False) -> NoReturn:
    """Undo the request's work but count its wrong code on the account (an mfa_token's
    count was taken before), then answer 400 invalid_code."""
    db.session.rollback()
    codes.record_failure(user, counted)
    db.session.commit()
    g.mfa_wrong_code = True
    abort(auth_error(400, **INVALID_CODE))
