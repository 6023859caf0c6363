from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db import db


class LoginSession(db.Model):
    """One password login and every token refreshed from it.

    Tokens carry the session's id in their `sid` claim. A token is revoked exactly
    when its session row is gone, so logout, password change and user deletion are
    DELETEs that every worker sees, and one primary-key lookup checks a token.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The one refresh token that may still be spent; any other is a replay.
    refresh_jti: Mapped[str] = mapped_column(String(36))
    # Unix time after which no token of this session can be valid: safe to prune.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
