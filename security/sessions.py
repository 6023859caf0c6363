"""Login sessions: the database state behind every token's revocation.

A session row lives from a password login until logout, a detected refresh-token
replay, a password change, user deletion or its expiry. A token is valid only while
its session row exists (see security/tokens.load_user), so every worker and restart agrees.
"""

import time
import uuid

from flask import current_app
from sqlalchemy import BigInteger, String, delete, insert, literal, select, update

from db import db
from models import LoginSession, User

sessions, users = LoginSession.__table__, User.__table__


def new_jti() -> str:
    return str(uuid.uuid4())


def start_session(user: User, verified_hash: str) -> LoginSession | None:
    """A new login session for `user`, or None if the user no longer exists or no
    longer has the password hash this login verified.

    The check and the insert are one statement, so no password change, user deletion
    (or anything that ends sessions by changing the hash) can slip between them: on
    PostgreSQL the user's row is locked FOR SHARE, so the statement waits for a change
    in progress and then sees its new hash (or no row), and a change that starts later
    waits for this login to commit and then ends its session; on SQLite the insert holds
    the database's one write lock. Either way a change that has answered leaves no
    session of a login that verified the old password. The row is not added to the ORM
    session: it is already in the database."""
    config = current_app.config
    lifetime = max(config["JWT_ACCESS_TOKEN_EXPIRES"], config["JWT_REFRESH_TOKEN_EXPIRES"])
    session = LoginSession(
        id=uuid.uuid4().hex,
        user_id=user.id,
        refresh_jti=new_jti(),
        expires_at=int(time.time() + lifetime.total_seconds()),
    )
    still_valid = (
        select(
            literal(session.id, String),
            users.c.id,
            literal(session.refresh_jti, String),
            literal(session.expires_at, BigInteger),
        )
        .where(users.c.id == user.id, users.c.password == verified_hash)
        .with_for_update(read=True)
    )
    columns = ["id", "user_id", "refresh_jti", "expires_at"]
    started = db.session.execute(
        insert(sessions).from_select(columns, still_valid).returning(sessions.c.id)
    ).scalar_one_or_none()
    if started is None:
        return None
    prune_oldest_sessions(user.id, keep=session.id)
    return session


def prune_oldest_sessions(user_id: int, keep: str) -> int:
    """Keep at most MAX_SESSIONS_PER_USER live sessions per user: a new login ends the
    oldest beyond it (never `keep`, the one just started), so a loop of successful
    logins cannot grow the table, or the user's session list, without bound."""
    newest = (
        select(sessions.c.id)
        .where(sessions.c.user_id == user_id, sessions.c.id != keep)
        .order_by(sessions.c.expires_at.desc(), sessions.c.id.desc())
        .limit(current_app.config["MAX_SESSIONS_PER_USER"] - 1)
    )
    result = db.session.execute(
        delete(sessions).where(
            sessions.c.user_id == user_id,
            sessions.c.id != keep,
            sessions.c.id.not_in(newest),
        )
    )
    return result.rowcount


def rotate_refresh_token(session_id: str, spent_jti: str) -> str | None:
    """Compare-and-swap the session's refresh jti; None when `spent_jti` was not the
    current one (a replay, or the loser of two racing refreshes)."""
    fresh_jti = new_jti()
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.refresh_jti == spent_jti)
        .values(refresh_jti=fresh_jti)
    )
    return fresh_jti if result.rowcount == 1 else None


def end_session(session_id: str) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.id == session_id))


def end_all_sessions(user_id: int) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def prune_expired_sessions() -> int:
    """Keep the table bounded: an expired session has no valid token left to revoke."""
    result = db.session.execute(
        delete(LoginSession).where(LoginSession.expires_at < int(time.time()))
    )
    return result.rowcount
