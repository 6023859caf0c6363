from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from db import Model


class MfaFailure(Model):
    """One wrong one-time or recovery code for an account, whatever token, client or
    endpoint sent it. Past MFA_ACCOUNT_FAILURES of them in MFA_FAILURE_WINDOW seconds the
    account's codes answer 429. Kept in the database, not Redis, so the bound holds across
    instances and through a Redis outage; rows older than the window are pruned."""

    __tablename__ = "mfa_failures"
    __table_args__ = (Index("ix_mfa_failures_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[int] = mapped_column(BigInteger)
