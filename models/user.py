from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from db import db


class User(db.Model):
    """An account; the table and columns match the classic course so its users carry over."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # Holds the password *hash* (argon2id, or a legacy pbkdf2_sha256 until next login).
    password: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"
