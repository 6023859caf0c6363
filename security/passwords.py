"""Password hashing: argon2id through libpass's CryptContext, with the classic
course's pbkdf2_sha256 hashes still accepted and upgraded at the next login."""

from flask import Flask, current_app
from passlib.context import CryptContext


def init_app(app: Flask) -> None:
    context = CryptContext(
        schemes=["argon2", "pbkdf2_sha256"],
        deprecated=["pbkdf2_sha256"],
        argon2__type="ID",
        argon2__memory_cost=app.config["ARGON2_MEMORY_COST"],
        argon2__time_cost=app.config["ARGON2_TIME_COST"],
        argon2__parallelism=1,
    )
    # Verified against when the username is unknown, so both paths cost the same.
    app.extensions["passwords"] = (context, context.hash("not a real password"))


def hash_password(password: str) -> str:
    context, _ = current_app.extensions["passwords"]
    return context.hash(password)


def verify_password(password: str, stored_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash to store or None). An unknown user passes `stored_hash=None`."""
    context, dummy_hash = current_app.extensions["passwords"]
    if stored_hash is None:
        context.verify(password, dummy_hash)
        return False, None
    try:
        return context.verify_and_update(password, stored_hash)
    except ValueError:  # a hash no scheme recognises: treat as a wrong password
        context.verify(password, dummy_hash)
        return False, None
