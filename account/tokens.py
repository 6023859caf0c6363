"""Tokens for links in mails: 256 random bits, stored only as HMAC-SHA-256 under a key
derived from the app's secret, so a presented token is found by a unique index (not by
trying a slow hash on every row) and a copy of the database holds no usable link. One
conditional UPDATE spends a token, so of two racing confirms exactly one wins."""

import hashlib
import hmac
import secrets
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, delete, func, select, update

from db import db
from models import EmailToken
from models.login_session import unix_now

LABEL = b"stores-api email-link tokens"


def digest(token: str) -> str:
    secret = str(current_app.config["JWT_SECRET_KEY"]).encode()
    key = hmac.new(secret, LABEL, hashlib.sha256).digest()
    return hmac.new(key, token.encode(errors="surrogatepass"), hashlib.sha256).hexdigest()


def issue(user_id: int, purpose: str, lifetime: int, email: str | None = None) -> tuple[str, int]:
    """A new token (returned once, for the mail) and its expiry, in the caller's transaction."""
    token = secrets.token_urlsafe(32)
    now = unix_now()
    expires_at = now + lifetime
    db.session.add(
        EmailToken(
            digest=digest(token),
            user_id=user_id,
            purpose=purpose,
            email=email,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def spend(token: str, purpose: str):
    """(user_id, email) of a live token of `purpose`, now spent; None for any other."""
    now = unix_now()
    return db.session.execute(
        update(EmailToken)
        .where(
            EmailToken.digest == digest(token),
            EmailToken.purpose == purpose,
            EmailToken.spent_at.is_(None),
            EmailToken.expires_at > now,
        )
        .values(spent_at=now)
        .returning(EmailToken.user_id, EmailToken.email)
        .execution_options(synchronize_session=False)
    ).one_or_none()


def void(user_id: int, purpose: str) -> None:
    """Every live token of `purpose` for this user stops working."""
    db.session.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose == purpose,
            EmailToken.spent_at.is_(None),
        )
        .values(spent_at=unix_now())
        .execution_options(synchronize_session=False)
    )


def prune(before: int) -> int:
    """Delete tokens that expired before `before`: spent or not, they only count toward
    the per-account reset limit, whose window is far shorter than what is kept."""
    deleted = db.session.execute(delete(EmailToken).where(EmailToken.expires_at < before))
    return cast(CursorResult, deleted).rowcount


def issued_since(user_id: int, purpose: str, since: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose == purpose,
            EmailToken.created_at > since,
        )
    ).scalar_one()
