"""Login sessions: the database state behind every token's revocation.

A session row lives from a password login until logout, a detected refresh-token
replay, a password change, user deletion or its expiry. A token is valid only while
its session row exists (see security/tokens.load_user), so every worker and restart agrees.
"""

import time
import uuid

from flask import current_app
from sqlalchemy import delete, update

from db import db
from models import LoginSession, User


def new_jti() -> str:
    return str(uuid.uuid4())


def start_session(user: User) -> LoginSession:
    config = current_app.config
    lifetime = max(config["JWT_ACCESS_TOKEN_EXPIRES"], config["JWT_REFRESH_TOKEN_EXPIRES"])
    session = LoginSession(
        id=uuid.uuid4().hex,
        user_id=user.id,
        refresh_jti=new_jti(),
        expires_at=int(time.time() + lifetime.total_seconds()),
    )
    db.session.add(session)
    return session


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
