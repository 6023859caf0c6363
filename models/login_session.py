import time

from sqlalchemy import BigInteger, Double, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from db import Model

USER_AGENT_LENGTH = 200  # enough to tell devices apart; a longer header is cut
IP_LENGTH = 45  # the longest IPv6 text form


def unix_now() -> int:
    return int(time.time())


class LoginSession(Model):
    """One password login (a device) and every token refreshed from it.

    Tokens carry the session's id in their `sid` claim. A token is revoked exactly
    when its session row is gone, so logout, password change and user deletion are
    DELETEs that every worker sees, and one primary-key lookup checks a token.
    Times are Unix seconds, like `expires_at`; the API shows them as ISO 8601 UTC.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The one refresh token that may still be spent; any other is a replay...
    refresh_jti: Mapped[str] = mapped_column(String(36))
    # ...except the one it replaced, until `rotated_at` + JWT_REFRESH_GRACE_SECONDS:
    # a second browser tab that refreshed with it a moment too late.
    previous_jti: Mapped[str | None] = mapped_column(String(36))
    rotated_at: Mapped[float | None] = mapped_column(Double)  # sub-second: the window is short
    # Unix time after which no token of this session can be valid: safe to prune.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    # What the user sees in GET /my-info/sessions. Set at login; last_used_at moves at
    # each refresh too, never on an ordinary request (no write per request).
    created_at: Mapped[int] = mapped_column(BigInteger, default=unix_now)
    last_used_at: Mapped[int] = mapped_column(BigInteger, default=unix_now)
    # The user's logins counted up (security.sessions.start_session): newest first and
    # "end the oldest" stay exact for logins within one second. 0 before migration 0006.
    number: Mapped[int] = mapped_column(BigInteger, default=0)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    ip: Mapped[str | None] = mapped_column(String(IP_LENGTH))
    # The login used a second factor (POST /login/mfa).
    mfa: Mapped[bool] = mapped_column(default=False, server_default=false())
