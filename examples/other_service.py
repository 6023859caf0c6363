"""Another service of the same product, accepting the Stores API's access tokens with
nothing but the API's JWKS URL: no shared secret, no call back per request.

    STORES_JWKS_URL=http://127.0.0.1:8080/.well-known/jwks.json \\
        flask --app examples.other_service:create_app run --port 5001
    curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:5001/whoami

It checks what a token proves by itself: the signature (with the key its `kid` names, in
that key's one algorithm), `exp`, `iss`, `aud` and `type`. It cannot see a logout: only
the API knows a login session ended, which is why access tokens live 15 minutes.
"""

import os

import jwt
from flask import Flask, request


def create_app(jwks_url: str | None = None, issuer="stores-api", audience="stores-api") -> Flask:
    app = Flask(__name__)
    # Keys cached 5 minutes (the API's max-age); a kid not in the cache (a rotation)
    # makes PyJWKClient fetch the set again once.
    keys = jwt.PyJWKClient(jwks_url or os.environ["STORES_JWKS_URL"], lifespan=300, timeout=5)

    def claims() -> dict:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        key = keys.get_signing_key_from_jwt(token)
        found = jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],  # the key's own, never the header's choice
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "iss", "aud", "sub", "type"]},
        )
        if found["type"] != "access":
            raise jwt.InvalidTokenError("not an access token")
        return found

    @app.get("/whoami")
    def whoami():
        user = claims()
        return {"user_id": user["sub"], "is_admin": user.get("is_admin", False)}

    @app.errorhandler(jwt.PyJWTError)  # expired, tampered, wrong type, unknown key...
    def unauthorized(error):
        body = {"error": "invalid_token", "message": str(error)}
        return body, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}

    return app
