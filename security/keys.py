"""Signing keys, and how a token names the one that signed it.

JWT_SECRET_KEY signs every token; the keys in JWT_PREVIOUS_SECRET_KEYS only verify, so
an operator can rotate the key without logging anyone out (docs/jwt.md, "Rotating the
signing key"). Each token's header carries `kid`, the key's fingerprint:

    kid = first 16 hex digits of SHA-256(key)

A one-way hash reveals nothing usable about a key of 32 random bytes or more: finding
the key from its fingerprint is as hopeless as finding it from a token's HMAC, which
every token already shows. 64 bits keep two keys of one app from colliding by chance
(start-up refuses if they ever do), and operators can compute it in a shell:
`printf %s "$KEY" | sha256sum | cut -c1-16`.
"""

import hashlib
from typing import NamedTuple

import jwt as pyjwt
from flask import current_app


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Key(NamedTuple):
    name: str  # "current" or "previous #n", as `flask jwt inspect` says it
    secret: str


class KeyRing:
    """The configured keys by kid: the current one first, then the previous ones."""

    def __init__(self, current: str, previous: list[str]):
        self.current = Key("current", current)
        self.current_kid = key_id(current)
        self.by_kid = {self.current_kid: self.current}
        for number, secret in enumerate(previous, 1):
            kid = key_id(secret)
            known = self.by_kid.get(kid)
            if known is not None and known.secret != secret:
                raise RuntimeError(
                    f"JWT_PREVIOUS_SECRET_KEYS: key #{number} has the same kid as the "
                    f"{known.name} key; replace one of them"
                )
            self.by_kid.setdefault(kid, Key(f"previous #{number}", secret))

    def verifying_key(self, header: dict) -> Key:
        """The key a token's header asks for: by `kid`, or the current key for a token
        issued before kids (never a previous one). InvalidTokenError for an unknown kid."""
        if "kid" not in header:
            return self.current
        key = self.by_kid.get(header["kid"]) if isinstance(header["kid"], str) else None
        if key is None:
            raise pyjwt.InvalidTokenError("the token's kid names no configured key")
        return key


def keyring() -> KeyRing:
    """The current app's keys (two hashes: cheaper than any cache's bookkeeping)."""
    config = current_app.config
    return KeyRing(config["JWT_SECRET_KEY"], config["JWT_PREVIOUS_SECRET_KEYS"])
