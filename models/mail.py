from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db import Model
from models.login_session import unix_now
from models.user import EMAIL_LENGTH


class Mail(Model):
    """The outbox: a mail written in the transaction of the change that causes it, so
    no outage or restart loses one, and sent later by a worker (mail/worker.py).

    A worker claims a row by moving `lease_until` forward with one conditional UPDATE
    and stamping its own `lease_id`; it holds no row lock while it talks SMTP, so it
    works through PgBouncer, and a worker that dies leaves a lease that simply runs out.
    Times are Unix seconds."""

    __tablename__ = "mails"
    __table_args__ = (
        Index("ix_mails_due", "sent_at", "failed_at", "next_attempt_at"),
        Index("ix_mails_recipient", "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger, default=unix_now)
    # Retrying stops here: the token's expiry or MAIL_RETRY_FOR, whichever is first.
    give_up_at: Mapped[int] = mapped_column(BigInteger)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger, default=unix_now)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[int | None] = mapped_column(BigInteger)
    lease_id: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[int | None] = mapped_column(BigInteger)
    failed_at: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(200))
