from sqlalchemy import BigInteger, ForeignKey, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from db import Model
from models.login_session import unix_now


class MfaCredential(Model):
    """A user's TOTP secret (RFC 6238), one per user: pending (`enabled` false) from
    POST /my-info/mfa until a code confirms it, then on until it is turned off (the row
    is deleted). The secret is stored encrypted (mfa/crypto.py, MFA_ENCRYPTION_KEYS), so
    a copy of the database alone makes no codes. `last_step` is the time step of the last
    accepted code: one conditional UPDATE moves it forward, so a code is used once."""

    __tablename__ = "mfa_credentials"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(Text)  # Fernet token of the base32 secret
    enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger, default=unix_now)
