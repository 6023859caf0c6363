"""Giving, changing and verifying an address. Addresses compare after NFKC and case
folding (models.email_key) and are unique among verified ones; no answer tells whether
an address is in use: a taken address gets its owner a notice instead of a link, in the
same statements and time. Mail goes only to addresses stored on an account."""

from flask import current_app
from sqlalchemy import select

from account import tokens
from db import db
from mail import compose
from mail.outbox import enqueue
from models import User, email_key
from models.email_token import RESET, VERIFY


def owner_of(address: str) -> User | None:
    """The account that has verified `address`, if any."""
    return db.session.execute(
        select(User).where(User.verified_email_key == email_key(address))
    ).scalar_one_or_none()


def offer(user: User, address: str) -> None:
    """`address` becomes `user`'s new address (pending while a verified one stays the
    recovery address); earlier verification links void. A link goes to it, or a notice
    to the account that verified it already. `user` must have an id (flushed)."""
    tokens.void(user.id, VERIFY)
    if user.email_verified:
        user.email_pending = address
    else:
        user.email, user.email_pending = address, None
    owner = owner_of(address)
    if owner is not None and owner.id != user.id and owner.email:
        enqueue(owner.email, "address_taken", compose.address_taken(owner.username))
        return
    if owner is not None:  # this account's own verified address again: nothing waits
        user.email_pending = None
        return
    lifetime = current_app.config["EMAIL_VERIFY_EXPIRES"]
    token, expires_at = tokens.issue(user.id, VERIFY, lifetime, email=address)
    enqueue(address, "verify", compose.verify(user.username, token, lifetime), expires_at)


def change(user: User, address: str | None) -> None:
    """PUT /my-info/email: a new address (or None to remove every one). Reset links
    void, and the verified address that stops being the recovery one is told."""
    old = user.email if user.email_verified else None
    tokens.void(user.id, RESET)
    if address is None:
        tokens.void(user.id, VERIFY)
        user.email = user.email_pending = user.verified_email_key = None
        user.email_verified = False
    else:
        offer(user, address)
    if old is not None and (address is None or email_key(address) != email_key(old)):
        enqueue(old, "email_changed", compose.email_changed(user.username, address))


def verify(token: str) -> bool:
    """Spend a verification token: its address becomes the account's verified address,
    unless the account moved on to another or another account verified it meanwhile."""
    spent = tokens.spend(token, VERIFY)
    if spent is None:
        return False
    user = db.session.get(User, spent.user_id)
    address = spent.email
    if user is None or address not in (user.email_pending, user.email):
        return False
    owner = owner_of(address)
    if owner is not None and owner.id != user.id:
        return False
    user.email, user.email_pending = address, None
    user.email_verified = True
    user.verified_email_key = email_key(address)  # unique: a racing verify elsewhere fails
    return True


def tell(user: User, kind: str, message: tuple[str, str]) -> None:
    """A notice to the user's verified address, if there is one."""
    if user.email_verified and user.email:
        enqueue(user.email, kind, message)
