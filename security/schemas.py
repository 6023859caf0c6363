"""The bodies of the token-side endpoints: login sessions as devices (resources/sessions.py)
and the public keys other services verify tokens with (resources/jwks.py)."""

from datetime import UTC, datetime

from marshmallow import Schema, fields

SESSION_ID = {
    "type": "string",
    "pattern": "^[0-9a-f]{32}$",
    "description": "The login session's id: 32 hex digits, the `sid` claim of its tokens. "
    "A string, unlike the API's other ids: it is random, so it reveals nothing about "
    "other users' logins and cannot be guessed.",
    "example": "92d797b63c3d4dc990f9eeea081daa4c",
}


def unix_time(name: str, description: str, example: str) -> fields.Function:
    """A time the database keeps in whole seconds since 1970, shown in ISO 8601 UTC."""
    return fields.Function(
        lambda row: datetime.fromtimestamp(row[name], UTC).isoformat(),
        dump_only=True,
        metadata={
            "type": "string",
            "format": "date-time",
            "description": description,
            "example": example,
        },
    )


class LoginSessionSchema(Schema):
    """A login session as its user sees it: one device or browser."""

    id = fields.Str(dump_only=True, metadata=SESSION_ID)
    created_at = unix_time("created_at", "Login, UTC.", "2026-12-01T09:30:00+00:00")
    last_used_at = unix_time(
        "last_used_at", "Login or latest refresh, UTC.", "2026-12-01T10:45:12+00:00"
    )
    expires_at = unix_time(
        "expires_at",
        "No token of this session is valid after this, UTC.",
        "2026-12-31T09:30:00+00:00",
    )
    user_agent = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The login's User-Agent, cut to 200 characters.",
            "example": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        },
    )
    ip = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The client address at login, as the reverse proxy saw it.",
            "example": "203.0.113.7",
        },
    )
    current = fields.Bool(
        dump_only=True,
        metadata={
            "description": "The session of the token making this call.",
            "example": True,
        },
    )
    mfa = fields.Bool(
        dump_only=True,
        metadata={"description": "The login used a second factor.", "example": False},
    )


class EndedSessionsSchema(Schema):
    message = fields.Str(required=True, metadata={"example": "Other sessions ended."})
    ended = fields.Int(required=True, metadata={"example": 2})


class JwkSchema(Schema):
    """One RFC 7517 public key; which members appear depends on `kty`."""

    kty = fields.Str(required=True, metadata={"enum": ["OKP", "EC", "RSA"], "example": "OKP"})
    crv = fields.Str(metadata={"description": "OKP, EC: Ed25519 or P-256", "example": "Ed25519"})
    x = fields.Str(
        metadata={
            "description": "OKP, EC: the public point, base64url",
            "example": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        }
    )
    y = fields.Str(metadata={"description": "EC only, base64url", "example": "x_FEzRu9..."})
    n = fields.Str(metadata={"description": "RSA: the modulus, base64url", "example": "0vx7..."})
    e = fields.Str(metadata={"description": "RSA: the exponent, base64url", "example": "AQAB"})
    kid = fields.Str(
        required=True,
        metadata={
            "description": "the key's RFC 7638 thumbprint; a token's `kid` header names it",
            "example": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        },
    )
    alg = fields.Str(
        required=True, metadata={"enum": ["EdDSA", "ES256", "RS256"], "example": "EdDSA"}
    )
    use = fields.Str(required=True, metadata={"enum": ["sig"], "example": "sig"})


class JwksSchema(Schema):
    keys = fields.List(fields.Nested(JwkSchema), required=True)
