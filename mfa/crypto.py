"""Secrets at rest. The TOTP secret is encrypted with Fernet under MFA_ENCRYPTION_KEYS
(comma-separated, current first, then previous ones that still decrypt), so a copy of the
database makes no codes and the key rotates without anyone re-enrolling. Recovery codes
and mfa_tokens are kept only as HMAC-SHA-256: found by index, useless if leaked."""

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app

TOKEN_LABEL = b"stores-api mfa login tokens"


def keys() -> MultiFernet:
    value = current_app.config["MFA_ENCRYPTION_KEYS"]
    names = value.split(",") if isinstance(value, str) else list(value)
    return MultiFernet([Fernet(name.strip()) for name in names if name.strip()])


def encrypt(secret: str) -> str:
    return keys().encrypt(secret.encode()).decode()


def decrypt(stored: str) -> str:
    return keys().decrypt(stored.encode()).decode()


def rotate(stored: str) -> str:
    """`stored` re-encrypted with the first key (it may have been under any of them)."""
    return keys().rotate(stored.encode()).decode()


def code_digest(secret: str, code: str) -> str:
    """A recovery code keyed by the user's own TOTP secret: it survives a rotation of
    either the JWT or the encryption keys, and dies with the secret."""
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    secret = str(current_app.config["JWT_SECRET_KEY"]).encode()
    key = hmac.new(secret, TOKEN_LABEL, hashlib.sha256).digest()
    return hmac.new(key, token.encode(errors="surrogatepass"), hashlib.sha256).hexdigest()
