"""Signing keys, and how a token names the one that signed it (docs/jwt.md).

JWT_ALGORITHM picks how tokens are signed: HS256 with JWT_SECRET_KEY (a shared
secret), or EdDSA, ES256 or RS256 with a private key whose public half anyone may
have (GET /.well-known/jwks.json). Every token's header carries `kid`, and each kid
names exactly one key *and one algorithm*: a token is checked only with the pair its
kid names, so no token can switch algorithms (an HS256 token keyed with a public key's
PEM, the classic confusion attack, names no HS256 key).

- A secret's kid: the first 16 hex digits of SHA-256(secret). A one-way hash of 32
  random bytes or more reveals nothing usable; operators compute it with
  `printf %s "$KEY" | sha256sum | cut -c1-16`.
- A public key's kid: its RFC 7638 thumbprint, what other services' JWKS clients expect.

Only the current key signs. JWT_PREVIOUS_SECRET_KEYS (HS256) and JWT_EXTRA_PUBLIC_KEYS
(PEM files) only verify, so a rotation, or a move from HS256 to a key pair, logs
nobody out. A token without kid predates kids: only JWT_SECRET_KEY in HS256 mode.
"""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

import jwt as pyjwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from flask import Flask, current_app
from jwt.algorithms import get_default_algorithms

ALGORITHMS = ("HS256", "EdDSA", "ES256", "RS256")
MIN_RSA_BITS = 2048
SUPPORTED = f"Ed25519, P-256, RSA >= {MIN_RSA_BITS} bits"


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Key(NamedTuple):
    name: str  # "current", "previous #n" or "extra #n", as `flask jwt inspect` says it
    algorithm: str
    verifying: Any  # the HS256 secret, or a public key object
    kid: str
    source: str  # the setting it comes from, as `flask jwt inspect` says it


def algorithm_of(key: PublicKeyTypes) -> str | None:
    """The one algorithm this API uses with a public key of that kind (None: unsupported)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
        return "RS256"
    return None


def public_jwk(key: Key) -> dict:
    """The RFC 7517 form of a public key, as PyJWT writes it, plus what a client needs."""
    jwk = get_default_algorithms()[key.algorithm].to_jwk(key.verifying, as_dict=True)
    return jwk | {"kid": key.kid, "alg": key.algorithm, "use": "sig"}


def new_private_key(algorithm: str) -> str:
    """A fresh private key for the algorithm, as unencrypted PKCS#8 PEM."""
    key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "EdDSA":
        key = ed25519.Ed25519PrivateKey.generate()
    elif algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def thumbprint(key: PublicKeyTypes, algorithm: str) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    jwk = get_default_algorithms()[algorithm].to_jwk(key, as_dict=True)
    required = {name: jwk[name] for name in ("crv", "e", "kty", "n", "x", "y") if name in jwk}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def read_pem(setting: str, text: str | None = None, path: str | None = None) -> bytes:
    """A PEM block from the setting's text (escaped `\\n` allowed) or from a file."""
    if path is not None:
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise RuntimeError(f"{setting}: cannot read {path!r} ({error.strerror})") from None
    text = (text or "").strip()
    if "\n" not in text:  # one line from an environment that cannot hold newlines
        text = text.replace("\\n", "\n")
    return text.encode()


def load_private(config) -> PrivateKeyTypes:
    """The signing key of an asymmetric JWT_ALGORITHM; one clear line if it will not do."""
    algorithm, text, path = (
        config["JWT_ALGORITHM"],
        config.get("JWT_PRIVATE_KEY"),
        config.get("JWT_PRIVATE_KEY_FILE"),
    )
    if text and path:
        raise RuntimeError("set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, not both")
    if not (text or path):
        raise RuntimeError(
            f"JWT_ALGORITHM={algorithm} needs JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE "
            f"(make one with `flask jwt keygen --algorithm {algorithm}`)"
        )
    setting = "JWT_PRIVATE_KEY" if text else "JWT_PRIVATE_KEY_FILE"
    pem = read_pem(setting, text, path or None)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise RuntimeError(f"{setting}: the key is encrypted; give it unencrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        raise RuntimeError(f"{setting}: not a PEM private key") from None
    found = algorithm_of(key.public_key())
    if found != algorithm:
        kind = found or f"none of {SUPPORTED}"
        raise RuntimeError(f"{setting}: the key is for {kind}, but JWT_ALGORITHM is {algorithm}")
    return key


def load_public(number: int, path: str) -> PublicKeyTypes:
    setting = f"JWT_EXTRA_PUBLIC_KEYS: key #{number}"
    pem = read_pem(setting, path=path)
    try:
        return serialization.load_pem_public_key(pem)
    except ValueError:
        raise RuntimeError(
            f"{setting} ({path}) is not a PEM public key "
            "(`openssl pkey -pubout` gives a private key's public half)"
        ) from None


class KeyRing:
    """The configured keys by kid; `signing` signs, every key in `by_kid` verifies."""

    def __init__(self, config):
        algorithm = config["JWT_ALGORITHM"]
        if algorithm not in ALGORITHMS:
            raise RuntimeError(f"JWT_ALGORITHM must be one of {', '.join(ALGORITHMS)}")
        self.by_kid: dict[str, Key] = {}
        if algorithm == "HS256":
            if config.get("JWT_PRIVATE_KEY") or config.get("JWT_PRIVATE_KEY_FILE"):
                raise RuntimeError("JWT_PRIVATE_KEY is set but JWT_ALGORITHM is HS256")
            secret = config["JWT_SECRET_KEY"]
            self.private = secret
            self.signing = self.add(
                Key("current", "HS256", secret, key_id(secret), "JWT_SECRET_KEY")
            )
        else:
            self.private = load_private(config)
            public = self.private.public_key()
            source = config.get("JWT_PRIVATE_KEY_FILE") or "JWT_PRIVATE_KEY"
            kid = thumbprint(public, algorithm)
            self.signing = self.add(Key("current", algorithm, public, kid, source))
        for number, secret in enumerate(config["JWT_PREVIOUS_SECRET_KEYS"], 1):
            key = Key(
                f"previous #{number}", "HS256", secret, key_id(secret), "JWT_PREVIOUS_SECRET_KEYS"
            )
            self.add(key, "JWT_PREVIOUS_SECRET_KEYS", number)
        for number, path in enumerate(extra_paths(config), 1):
            public = load_public(number, path)
            found = algorithm_of(public)
            if found is None:
                raise RuntimeError(
                    f"JWT_EXTRA_PUBLIC_KEYS: key #{number} ({path}) is none of {SUPPORTED}"
                )
            key = Key(
                f"extra #{number}",
                found,
                public,
                thumbprint(public, found),
                f"JWT_EXTRA_PUBLIC_KEYS ({path})",
            )
            self.add(key, "JWT_EXTRA_PUBLIC_KEYS", number)
        # The kid-less token of HS256 mode, checked against JWT_SECRET_KEY alone.
        self.no_kid = self.signing if algorithm == "HS256" else None

    def add(self, key: Key, setting: str = "", number: int = 0) -> Key:
        """A key under its kid; the same key twice is harmless, two keys under one
        kid (a chance in 2**64 for secrets) stop start-up."""
        known = self.by_kid.setdefault(key.kid, key)
        if known.verifying != key.verifying:
            raise RuntimeError(
                f"{setting}: key #{number} has the same kid as the {known.name} key; "
                "replace one of them"
            )
        return known

    @property
    def algorithms(self) -> list[str]:
        return sorted({key.algorithm for key in self.by_kid.values()})

    @property
    def published(self) -> list[Key]:
        """Every public key that verifies (secrets are never published)."""
        return [key for key in self.by_kid.values() if key.algorithm != "HS256"]

    def verifying_key(self, header: dict) -> Key:
        """The key a token's header names, if its algorithm is that key's; an
        InvalidTokenError otherwise (unknown kid, switched algorithm, kid-less)."""
        if "kid" not in header:
            key = self.no_kid
        else:
            key = self.by_kid.get(header["kid"]) if isinstance(header["kid"], str) else None
        if key is None:
            raise pyjwt.InvalidTokenError("the token's kid names no configured key")
        if header.get("alg") != key.algorithm:
            raise pyjwt.InvalidAlgorithmError(f"the token's kid names an {key.algorithm} key")
        return key


def extra_paths(config) -> list[str]:
    value = config.get("JWT_EXTRA_PUBLIC_KEYS") or []
    paths = value.split(",") if isinstance(value, str) else list(value)
    return [path.strip() for path in paths if path.strip()]


SETTINGS = (
    "JWT_ALGORITHM",
    "JWT_SECRET_KEY",
    "JWT_PREVIOUS_SECRET_KEYS",
    "JWT_PRIVATE_KEY",
    "JWT_PRIVATE_KEY_FILE",
    "JWT_EXTRA_PUBLIC_KEYS",
)


def keyring() -> KeyRing:
    """The current app's keys, parsed once and again only when their settings change."""
    config = current_app.config
    settings = repr([config.get(name) for name in SETTINGS])
    cached = current_app.extensions.get("keyring")
    if cached is None or cached[0] != settings:
        cached = current_app.extensions["keyring"] = (settings, KeyRing(config))
    return cached[1]


def init_app(app: Flask) -> None:
    """Load the keys now, so a bad one stops start-up, and hand flask-jwt-extended the
    algorithms, issuer and audience it writes and accepts."""
    app.config.setdefault("JWT_ISSUER", "stores-api")
    app.config.setdefault("JWT_AUDIENCE", "stores-api")
    app.config["JWT_ENCODE_ISSUER"] = app.config["JWT_ISSUER"]
    app.config["JWT_ENCODE_AUDIENCE"] = app.config["JWT_AUDIENCE"]
    with app.app_context():
        ring = keyring()
    app.config["JWT_DECODE_ALGORITHMS"] = ring.algorithms
