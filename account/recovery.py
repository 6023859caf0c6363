"""Password reset. A request mails a link to the verified address of every account its
`login` names (a username or an address), never to what was typed; it answers the same
in the same time whatever matched. Per account, requests past RATELIMIT_PASSWORD_RESET's
count in its window still answer 202 and send nothing."""

import time

from flask import current_app
from limits import parse
from sqlalchemy import or_, select

from account import addresses, tokens
from db import db
from mail import compose
from mail.outbox import enqueue
from models import User, email_key, username_key
from models.email_token import RESET
from models.login_session import unix_now
from security.passwords import hash_password
from security.sessions import end_all_sessions


def request_reset(login: str) -> None:
    limit = parse(current_app.config["RATELIMIT_PASSWORD_RESET"])
    lifetime = current_app.config["PASSWORD_RESET_EXPIRES"]
    since = unix_now() - limit.get_expiry()
    accounts = db.session.execute(
        select(User).where(
            or_(
                User.username_key == username_key(login),
                User.verified_email_key == email_key(login),
            )
        )
    ).scalars()
    for user in accounts:
        if (
            not (user.email_verified and user.email)
            or tokens.issued_since(user.id, RESET, since) >= limit.amount
        ):
            continue
        tokens.void(user.id, RESET)
        token, expires_at = tokens.issue(user.id, RESET, lifetime)
        enqueue(user.email, "reset", compose.reset(user.username, token, lifetime), expires_at)


def answer_after(started: float) -> None:
    """Hold the answer until PASSWORD_RESET_ANSWER_SECONDS after `started` (monotonic)."""
    wait = started + current_app.config["PASSWORD_RESET_ANSWER_SECONDS"] - time.monotonic()
    if wait > 0:
        time.sleep(wait)


def confirm_reset(token: str, new_password: str) -> bool:
    """Spend a reset token: the new password, every session ended as a password change
    does, every other reset link void, and a notice to the verified address."""
    new_hash = hash_password(new_password)  # before the spend: the row lock stays short
    spent = tokens.spend(token, RESET)
    user = spent and db.session.get(User, spent.user_id)
    if not user:
        return False
    user.password = new_hash
    end_all_sessions(user.id)
    tokens.void(user.id, RESET)
    addresses.tell(user, "password_reset", compose.password_changed(user.username, "reset"))
    return True


def password_changed(user: User) -> None:
    """PUT /my-info/password: reset links void, and the user is told."""
    tokens.void(user.id, RESET)
    addresses.tell(user, "password_changed", compose.password_changed(user.username, "changed"))
