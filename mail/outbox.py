"""Writing mail: a row in `mails`, added to the caller's transaction, so the mail exists
exactly when the change that causes it commits (and no request waits on SMTP)."""

import logging

from flask import current_app
from sqlalchemy import func, select

from db import db
from models import Mail
from models.login_session import unix_now

log = logging.getLogger(__name__)
PER_RECIPIENT_PER_HOUR = 10  # more than this to one address in an hour is dropped


def enqueue(recipient: str, kind: str, message: tuple[str, str], expires_at: int | None = None):
    """Queue `message` (subject, body) for `recipient`, an address stored on an account.
    Retried until the token it carries expires or MAIL_RETRY_FOR passes."""
    now = unix_now()
    recent = db.session.execute(
        select(func.count())
        .select_from(Mail)
        .where(Mail.recipient == recipient, Mail.created_at > now - 3600)
    ).scalar_one()
    if recent >= PER_RECIPIENT_PER_HOUR:
        log.warning("mail throttled: %s mails to one recipient this hour", recent)
        return
    give_up_at = now + current_app.config["MAIL_RETRY_FOR"]
    if expires_at is not None:
        give_up_at = min(give_up_at, expires_at)
    subject, body = message
    db.session.add(
        Mail(
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
            give_up_at=give_up_at,
        )
    )


def backlog() -> dict:
    """Mail waiting to be sent, and the age in seconds of the oldest (for /ready)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(Mail.created_at)).where(
            Mail.sent_at.is_(None), Mail.failed_at.is_(None)
        )
    ).one()
    return {"waiting": count, "oldest_age": unix_now() - oldest if oldest else 0}
