import unicodedata

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column, validates

from db import Model

KEY_LENGTH = 255  # NFKC and case folding can make a name longer: "ß" is "ss"
EMAIL_LENGTH = 254  # RFC 5321's longest forward path


def username_key(username: str) -> str:
    """A username as people read it: Unicode compatibility forms folded (NFKC, so a
    fullwidth "\\uff41lice" is "alice"), then case (casefold, so "Alice" and "ALICE" are
    "alice"), then NFKC again, as Unicode's NFKC_Casefold does, so the key is stable."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def email_key(address: str) -> str:
    """An address as it is compared: folded like a username, so "Bob@Example.COM" and
    "bob@example.com" are one address."""
    return username_key(address)


class User(Model):
    """An account; the classic course's table and columns (id, username, password,
    is_admin), so its users carry over, plus the unique `username_key` that makes two
    usernames differing only in case or Unicode form one username."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # Holds the password *hash* (argon2id, or a legacy pbkdf2_sha256 until next login).
    password: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # username_key(username), set with it; login looks accounts up by it.
    username_key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    # Recovery address (API.md "Email and account recovery"): `email` is the verified
    # address, or one never yet verified; `email_pending` waits for verification while a
    # verified `email` stays the recovery address. `verified_email_key` is email_key(email)
    # only while it is verified: unique, so two accounts never verify one address.
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    email_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    email_pending: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    verified_email_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH), unique=True)

    # Two-factor login is on (mfa/). On this row, not only in mfa_credentials, so that a
    # login's session insert, which checks this row FOR SHARE, sees the change that
    # turned it on or off and cannot slip past it (security/sessions.start_session).
    mfa_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())

    @validates("username")
    def set_key(self, _field: str, username: str) -> str:
        self.username_key = username_key(username)
        return username

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"
