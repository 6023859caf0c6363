from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db import Model
from models.login_session import unix_now
from models.user import EMAIL_LENGTH

VERIFY, RESET = "verify", "reset"


class EmailToken(Model):
    """A verification or password-reset token, stored only as HMAC-SHA-256 of the
    token (keyed from the app's secret), so a database leak hands out no link and a
    presented token is found by its unique index. `spent_at` is set once, by the one
    conditional UPDATE that spends it, or when a later event voids it; spent rows stay
    until they expire, so the silent per-account reset limit can count them."""

    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(8))
    # The address a verification token verifies (None for a reset).
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger, default=unix_now)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    spent_at: Mapped[int | None] = mapped_column(BigInteger)
