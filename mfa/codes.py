"""Checking and spending codes. A TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) is taken
one step either side of now, and only for a step after the last accepted one: one
conditional UPDATE moves `last_step`, so a replayed code, or two logins racing with one
code, spend it once. A recovery code is spent the same way. Wrong codes are counted per
account in the database, whatever token, client or endpoint sent them."""

import hmac
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import delete, func, insert, or_, select, update

from account import addresses
from db import db
from mfa import crypto, notices
from models import MfaCredential, MfaFailure, RecoveryCode, User

STEP = 30
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # 5 bits a character
RECOVERY_LENGTH = 12  # 60 bits, written xxxx-xxxx-xxxx
RECOVERY_COUNT = 10
TOTP, RECOVERY = "totp", "recovery"


def clock() -> float:
    """Now, in Unix seconds (tests move it)."""
    return time.time()


def matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side) whose code `code` is, if any."""
    if not (len(code) == 6 and code.isascii() and code.isdecimal()):
        return None
    totp, now = pyotp.TOTP(secret), int(clock()) // STEP
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def spend_step(user_id: int, step: int, *, enabled: bool) -> bool:
    """Accept `step` once: only if it is after the last accepted one."""
    accepted = db.session.execute(
        update(MfaCredential)
        .where(
            MfaCredential.user_id == user_id,
            MfaCredential.enabled == enabled,
            or_(MfaCredential.last_step.is_(None), MfaCredential.last_step < step),
        )
        .values(last_step=step, enabled=True)
        .returning(MfaCredential.user_id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return accepted is not None


def normal(code: str) -> str:
    """A recovery code as typed: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.lower() if ch not in "- ")


def new_recovery_codes(user_id: int, secret: str) -> list[str]:
    """Ten fresh codes replace the user's earlier ones; returned once, stored hashed."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_COUNT)
    ]
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(
        insert(RecoveryCode),
        [{"user_id": user_id, "digest": crypto.code_digest(secret, code)} for code in codes],
    )
    return [f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes]


def spend_recovery(user_id: int, secret: str, code: str) -> bool:
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.digest == crypto.code_digest(secret, normal(code)),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=int(clock()))
        .returning(RecoveryCode.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return spent is not None


def credential(user_id: int, *, enabled: bool = True) -> MfaCredential | None:
    return db.session.execute(
        select(MfaCredential).where(
            MfaCredential.user_id == user_id, MfaCredential.enabled == enabled
        )
    ).scalar_one_or_none()


def spend(user: User, code: str) -> str | None:
    """Spend a current TOTP code or a recovery code of a user with two-factor on: which
    kind it was, or None. A used recovery code is told to the user by mail."""
    found = credential(user.id)
    if found is None:
        return None
    secret = crypto.decrypt(found.secret)
    step = matching_step(secret, code)
    if step is not None:
        return TOTP if spend_step(user.id, step, enabled=True) else None
    if spend_recovery(user.id, secret, code):
        left = db.session.execute(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).scalar_one()
        addresses.tell(user, "mfa_recovery_used", notices.recovery_used(user.username, left))
        return RECOVERY
    return None


def window() -> int:
    return current_app.config.get("MFA_FAILURE_WINDOW", 900)


def retry_after(user_id: int, bound: int | None = None) -> int | None:
    """Seconds until the account's codes are heard again, or None while under the bound
    (MFA_ACCOUNT_FAILURES wrong codes in the window)."""
    now = int(clock())
    count, oldest = db.session.execute(
        select(func.count(), func.min(MfaFailure.at)).where(
            MfaFailure.user_id == user_id, MfaFailure.at > now - window()
        )
    ).one()
    if count < (bound or current_app.config.get("MFA_ACCOUNT_FAILURES", 10)):
        return None
    return max(1, oldest + window() - now)


def take_try(user_id: int) -> int | None:
    """Count a code's try on the account before the code is checked, committed at once,
    so tries racing each other see each other and at most the bound of them are checked:
    the try's row id (give_back it if the code was right), or None past the bound."""
    now = int(clock())
    db.session.execute(
        delete(MfaFailure).where(MfaFailure.user_id == user_id, MfaFailure.at <= now - window())
    )
    attempt = MfaFailure(user_id=user_id, at=now)
    db.session.add(attempt)
    db.session.commit()
    if retry_after(user_id, bound=current_app.config.get("MFA_ACCOUNT_FAILURES", 10) + 1):
        give_back(attempt.id)
        db.session.commit()
        return None
    return attempt.id


def give_back(attempt: int) -> None:
    """A try that was not a wrong code: it does not count."""
    db.session.execute(delete(MfaFailure).where(MfaFailure.id == attempt))


def record_failure(user: User, counted: bool = False) -> None:
    """One wrong code for the account (`counted`: its try already is, take_try); the one
    that reaches the bound mails the user."""
    now = int(clock())
    if not counted:
        db.session.execute(
            delete(MfaFailure).where(MfaFailure.user_id == user.id, MfaFailure.at <= now - window())
        )
        db.session.add(MfaFailure(user_id=user.id, at=now))
        db.session.flush()
    count = db.session.execute(
        select(func.count()).select_from(MfaFailure).where(MfaFailure.user_id == user.id)
    ).scalar_one()
    if count == current_app.config.get("MFA_ACCOUNT_FAILURES", 10):
        addresses.tell(user, "mfa_locked", notices.too_many_codes(user.username, window()))
