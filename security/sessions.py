"""Login sessions: the database state behind every token's revocation.

A session row lives from a password login until logout, a detected refresh-token
replay, a password change, user deletion, the user ending it (GET and DELETE
/my-info/sessions) or its expiry. A token is valid only while its session row exists
(see security/tokens.load_user), so every worker and restart agrees.
"""

import time
import uuid
from collections.abc import Sequence
from typing import cast

from flask import current_app, request
from sqlalchemy import (
    CursorResult,
    RowMapping,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from db import db
from models import LoginSession, MfaLogin, User, username_key
from models.login_session import IP_LENGTH, USER_AGENT_LENGTH
from security.errors import invalid_credentials
from security.passwords import verify_password

sessions, users = LoginSession.__table__, User.__table__
# What a login writes, besides the user id it takes from the user's row.
INSERTED = (
    "id",
    "refresh_jti",
    "expires_at",
    "created_at",
    "last_used_at",
    "user_agent",
    "ip",
    "mfa",
)


def new_jti() -> str:
    return str(uuid.uuid4())


def printable(text: str | None, length: int) -> str | None:
    """Header text as it may be stored and shown: no control characters (PostgreSQL
    refuses NUL), cut to the column's length; None when nothing is left."""
    text = "".join(ch for ch in text or "" if ch.isprintable())[:length]
    return text or None


def log_in(username: str, password: str) -> tuple[User, LoginSession | None]:
    """A password login: the account by any spelling of its name (username_key), its
    password checked in the same time whether it exists or not, and a new session.
    401 Invalid credentials otherwise, also when the password changed or the user was
    deleted while this login verified it. A legacy hash is upgraded on the way.
    No session (None) for a user with two-factor on: the code step starts it (mfa/login.py);
    whether it is on is looked up only after the password is known to be right."""
    user = db.session.execute(
        select(User).where(User.username_key == username_key(username))
    ).scalar_one_or_none()
    ok, new_hash = verify_password(password, user.password if user else None)
    if user is None or not ok:
        invalid_credentials()
    if new_hash:  # a legacy or weaker hash: upgrade it now that we know the password
        user.password = new_hash
    if user.mfa_enabled:  # POST /login/mfa starts the session, with a code
        return user, None
    session = start_session(user, user.password)
    if session is None:
        invalid_credentials()
    prune_expired_sessions()
    return user, session


def start_session(user: User, verified_hash: str, mfa: bool = False) -> LoginSession | None:
    """A new login session for `user`, or None if the user no longer exists, no
    longer has the password hash this login verified, or (`mfa`: the login gave a
    second factor) two-factor login is no longer in the state the login assumed.

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
    now = int(time.time())
    session = LoginSession(
        id=uuid.uuid4().hex,
        user_id=user.id,
        refresh_jti=new_jti(),
        expires_at=now + int(lifetime.total_seconds()),
        created_at=now,
        last_used_at=now,
        user_agent=printable(request.user_agent.string, USER_AGENT_LENGTH),
        # After ProxyFix (PROXY_COUNT) this is the address the proxy saw.
        ip=printable(request.remote_addr, IP_LENGTH),
        mfa=mfa,
    )
    values = {
        name: literal(getattr(session, name), sessions.c[name].type).label(name)
        for name in INSERTED
    }
    # The user's logins are numbered: the newest has the highest, whatever the clock says.
    number = select(func.coalesce(func.max(sessions.c.number), 0) + 1).where(
        sessions.c.user_id == user.id
    )
    still_valid = (
        select(users.c.id.label("user_id"), *values.values(), number.scalar_subquery())
        .where(
            users.c.id == user.id,
            users.c.password == verified_hash,
            users.c.mfa_enabled == mfa,  # a second factor iff it is on, as of now
        )
        .with_for_update(read=True)
    )
    started = db.session.execute(
        insert(sessions)
        .from_select(["user_id", *values, "number"], still_valid)
        .returning(sessions.c.id)
    ).scalar_one_or_none()
    if started is None:
        return None
    prune_oldest_sessions(user.id, keep=session.id)
    return session


def prune_oldest_sessions(user_id: int, keep: str) -> int:
    """Keep at most MAX_SESSIONS_PER_USER live sessions per user: a new login ends the
    oldest beyond it (never `keep`, the one just started), so a loop of successful
    logins cannot grow the table, or the user's session list, without bound. Oldest by
    login number, so logins within one second are told apart too."""
    newest = (
        select(sessions.c.id)
        .where(sessions.c.user_id == user_id, sessions.c.id != keep)
        .order_by(sessions.c.number.desc(), sessions.c.created_at.desc(), sessions.c.id.desc())
        .limit(current_app.config["MAX_SESSIONS_PER_USER"] - 1)
    )
    result = db.session.execute(
        delete(sessions).where(
            sessions.c.user_id == user_id,
            sessions.c.id != keep,
            sessions.c.id.not_in(newest),
        )
    )
    return cast(CursorResult, result).rowcount


def rotate_or_end(session_id: str, presented_jti: str) -> str | None:
    """The refresh jti of the session's next refresh token; None for a spent token
    coming back, which is taken as theft: the whole session ends."""
    refresh_jti = rotate_refresh_token(session_id, presented_jti)
    if refresh_jti is None:
        end_session(session_id)
    return refresh_jti


def rotate_refresh_token(session_id: str, presented_jti: str) -> str | None:
    """The refresh jti the new refresh token carries, or None for a replay.

    One UPDATE decides, so racing refreshes (two tabs, two workers) cannot both read
    an old state: the database row lock orders them, and PostgreSQL re-checks the
    WHERE clause against the row the winner committed.

    - `presented_jti` is the current one: rotate, remembering it as `previous_jti`.
    - It is `previous_jti` and the rotation was at most JWT_REFRESH_GRACE_SECONDS
      ago: a tab that lost the race. Nothing rotates; the new pair carries the
      current jti, the one the winning tab got, so the tabs agree again.
    - Anything else matches no row, as does a session past its `expires_at`: the
      caller ends the session.
    """
    now = time.time()
    grace = current_app.config["JWT_REFRESH_GRACE_SECONDS"].total_seconds()
    is_current = LoginSession.refresh_jti == presented_jti
    fresh_jti = new_jti()
    result = db.session.execute(
        update(LoginSession)
        .where(
            LoginSession.id == session_id,
            LoginSession.expires_at >= now,  # past it, no token of the session may live on
            or_(
                is_current,
                and_(
                    LoginSession.previous_jti == presented_jti,
                    LoginSession.rotated_at >= now - grace,
                ),
            ),
        )
        # Every right-hand side sees the row as it was before this UPDATE.
        .values(
            refresh_jti=case((is_current, fresh_jti), else_=LoginSession.refresh_jti),
            previous_jti=case((is_current, presented_jti), else_=LoginSession.previous_jti),
            rotated_at=case((is_current, now), else_=LoginSession.rotated_at),
            last_used_at=int(now),
        )
        .returning(LoginSession.refresh_jti)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


def end_session(session_id: str) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.id == session_id))


def end_all_sessions(user_id: int) -> None:
    """Every session ends, and every login waiting for its second factor with them."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    db.session.execute(delete(MfaLogin).where(MfaLogin.user_id == user_id))


def live_sessions(user_id: int, current_id: str, limit: int) -> Sequence[RowMapping]:
    """The user's sessions that can still have a valid token, newest first, with
    `current` marking the caller's (LoginSessionSchema dumps them)."""
    return (
        db.session.execute(
            select(
                sessions.c.id,
                sessions.c.created_at,
                sessions.c.last_used_at,
                sessions.c.expires_at,
                sessions.c.user_agent,
                sessions.c.ip,
                sessions.c.mfa,
                (sessions.c.id == current_id).label("current"),
            )
            .where(sessions.c.user_id == user_id, sessions.c.expires_at >= int(time.time()))
            .order_by(sessions.c.number.desc(), sessions.c.created_at.desc(), sessions.c.id.desc())
            .limit(limit)
        )
        .mappings()
        .all()
    )


def end_users_session(user_id: int, session_id: str) -> bool:
    """End one of the user's own live sessions; False when there is none by that id
    (another user's id and a made-up one look the same)."""
    result = db.session.execute(
        delete(LoginSession).where(
            LoginSession.id == session_id,
            LoginSession.user_id == user_id,
            LoginSession.expires_at >= int(time.time()),
        )
    )
    return cast(CursorResult, result).rowcount == 1


def end_other_sessions(user_id: int, keep_id: str) -> int:
    """End every live session of the user but `keep_id`; how many ended."""
    result = db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user_id,
            LoginSession.id != keep_id,
            LoginSession.expires_at >= int(time.time()),
        )
    )
    return cast(CursorResult, result).rowcount


def prune_expired_sessions() -> int:
    """Keep the table bounded: an expired session has no valid token left to revoke."""
    result = db.session.execute(
        delete(LoginSession).where(LoginSession.expires_at < int(time.time()))
    )
    return cast(CursorResult, result).rowcount
