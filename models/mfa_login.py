from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db import Model


class MfaLogin(Model):
    """A login waiting for its second factor: what an `mfa_token` names. The token is
    random and stored only as HMAC-SHA-256 (`digest`), so it is opaque server state, not
    a JWT. It lives MFA_TOKEN_SECONDS, gives one login (`used_at`) and takes at most
    MAX_TOKEN_FAILURES wrong codes. `password_hash` is the hash the password step
    verified: the session the code step starts is inserted only while the user still has
    it (security/sessions.start_session), and a password change, reset or two-factor
    change deletes these rows, so a waiting login dies with them."""

    __tablename__ = "mfa_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    used_at: Mapped[int | None] = mapped_column(BigInteger)
