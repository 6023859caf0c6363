from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db import Model


class RecoveryCode(Model):
    """One of a user's ten two-factor recovery codes, stored only as an HMAC keyed by the
    user's TOTP secret (mfa/crypto.py), found by (user_id, digest) and spent by one
    conditional UPDATE of `used_at`, so a code works once even when two logins race."""

    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[int | None] = mapped_column(BigInteger)
