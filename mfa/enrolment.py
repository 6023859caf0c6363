"""Turning two-factor login on and off. Each change first locks the user's row, so a
login's code step (which reads that row FOR SHARE while it starts its session) either
finishes before it, and its session is ended with the others, or waits and fails.
On or off, every other session of the user ends, waiting logins (mfa_tokens) die and
the user is told by mail."""

import io

import pyotp
import segno
from sqlalchemy import delete, select

from account import addresses
from db import db
from mfa import codes, crypto, notices
from models import MfaCredential, MfaLogin, RecoveryCode, User
from security.sessions import end_all_sessions, end_other_sessions

ISSUER = "Stores API"


def locked_user(user_id: int) -> User | None:
    return db.session.execute(
        select(User).where(User.id == user_id).with_for_update()
    ).scalar_one_or_none()


def start(user: User) -> dict | None:
    """A new pending secret (replacing a pending one); None when two-factor is already on."""
    found = db.session.get(MfaCredential, user.id)
    if found is not None and found.enabled:
        return None
    secret = pyotp.random_base32()
    if found is None:
        db.session.add(MfaCredential(user_id=user.id, secret=crypto.encrypt(secret)))
    else:
        found.secret, found.last_step = crypto.encrypt(secret), None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": qr_svg(uri)}


def qr_svg(uri: str) -> str:
    """The URI as a QR code, a standalone SVG document (it works as an <img>), drawn
    here: no image service ever sees the secret."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, scale=4, border=4, nl=False)
    return out.getvalue().decode()


def confirm(user: User, code: str, keep_sid: str) -> list[str] | None:
    """Turn it on with a code of the pending secret: the recovery codes, or None for a
    wrong code. The caller has checked that an enrolment is pending."""
    pending = codes.credential(user.id, enabled=False)
    if pending is None:
        return None
    secret = crypto.decrypt(pending.secret)
    step = codes.matching_step(secret, code)
    if step is None or not codes.spend_step(user.id, step, enabled=False):
        return None
    user.mfa_enabled = True
    recovery = codes.new_recovery_codes(user.id, secret)
    changed(user, on=True, keep_sid=keep_sid)
    return recovery


def turn_off(user: User) -> None:
    user.mfa_enabled = False
    for model in (MfaCredential, RecoveryCode):
        db.session.execute(delete(model).where(model.user_id == user.id))


def disable(user: User, code: str, keep_sid: str) -> bool:
    """Turn it off with a current or recovery code; False for a wrong code."""
    if codes.spend(user, code) is None:
        return False
    turn_off(user)
    changed(user, on=False, keep_sid=keep_sid)
    return True


def reset(user: User) -> None:
    """`flask mfa reset`: off without a code, for a user who lost phone and codes.
    Every session ends: whoever holds one may be who took the phone."""
    turn_off(user)
    end_all_sessions(user.id)
    addresses.tell(user, "mfa_disabled", notices.turned(user.username, on=False))


def changed(user: User, *, on: bool, keep_sid: str) -> None:
    end_other_sessions(user.id, keep_sid)
    db.session.execute(delete(MfaLogin).where(MfaLogin.user_id == user.id))
    addresses.tell(user, "mfa_enabled" if on else "mfa_disabled", notices.turned(user.username, on))
