"""The public keys that verify this API's tokens, for other services (docs/jwt.md)."""

from flask.views import MethodView

from security.keys import keyring, public_jwk
from security.schemas import JwksSchema
from web.blueprint import Blueprint

blp = Blueprint("keys", __name__, description="Public keys other services verify tokens with")

# Clients may keep the set five minutes: publish a new key at least that long before it signs.
CACHE = {"Cache-Control": "public, max-age=300"}


@blp.route("/.well-known/jwks.json")
class Jwks(MethodView):
    @blp.response(200, JwksSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
    def get(self):
        """Every public key that verifies tokens (RFC 7517); empty with HS256"""
        return {"keys": [public_jwk(key) for key in keyring().published]}, 200, CACHE
