"""examples/other_service.py against the API served by gunicorn with a key pair: it
accepts the API's access tokens with the JWKS URL alone, refuses expired, tampered,
foreign and wrong-type tokens, and keeps working across a key rotation."""

import time

import jwt as pyjwt
import pytest

from examples.other_service import create_app as other_service
from security.keys import new_private_key
from tests.security.test_jwks import KEYS, NEXT_EDDSA, hs256_by_hand, public_pem
from tests.server import Server, database_url, migrated

FOREIGN = new_private_key("EdDSA")


@pytest.fixture
def api(tmp_path):
    """Start (and restart) the API on one database, with the keys a deploy would have."""
    running = []
    with migrated(database_url(tmp_path, "api.db")) as env:

        def start(**settings) -> Server:
            if running:
                running.pop().stop()
            settings = {"JWT_ALGORITHM": "EdDSA", **settings}
            running.append(Server(env | settings, workers=1).start())
            return running[-1]

        yield start
        for server in running:
            server.stop()


def whoami(service, token):
    return service.get("/whoami", headers={"Authorization": f"Bearer {token}"})


def resign(token: str, key: str = KEYS["EdDSA"], **changes) -> str:
    """The token's claims, changed, signed again with `key` under the same kid."""
    claims = pyjwt.decode(token, options={"verify_signature": False}) | changes
    kid = pyjwt.get_unverified_header(token)["kid"]
    return pyjwt.encode(claims, key, "EdDSA", headers={"kid": kid})


def test_the_other_service_verifies_with_the_jwks_alone(api, tmp_path):
    # The next key is published ahead of the rotation below (docs/jwt.md).
    next_public, old_public = tmp_path / "next.pub.pem", tmp_path / "old.pub.pem"
    next_public.write_bytes(public_pem(NEXT_EDDSA))
    old_public.write_bytes(public_pem(KEYS["EdDSA"]))
    server = api(JWT_PRIVATE_KEY=KEYS["EdDSA"], JWT_EXTRA_PUBLIC_KEYS=str(next_public))
    service = other_service(f"{server.url}/.well-known/jwks.json").test_client()
    tokens = server.tokens("alice")
    user_id = pyjwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]

    answer = whoami(service, tokens["access_token"])
    assert (answer.status_code, answer.json) == (200, {"user_id": user_id, "is_admin": False})

    header, _, signature = tokens["access_token"].split(".")
    forged_payload = resign(tokens["access_token"], is_admin=True).split(".")[1]
    claims = pyjwt.decode(tokens["access_token"], options={"verify_signature": False})
    refused = {
        "tampered": f"{header}.{forged_payload}.{signature}",
        "expired": resign(tokens["access_token"], exp=int(time.time()) - 60),
        "a refresh token": tokens["refresh_token"],
        "another audience": resign(tokens["access_token"], aud="another-api"),
        "foreign key": resign(tokens["access_token"], key=FOREIGN),
        "HS256 keyed with the public key": hs256_by_hand(
            {"alg": "HS256", "kid": pyjwt.get_unverified_header(tokens["access_token"])["kid"]},
            claims,
            public_pem(KEYS["EdDSA"]),
        ),
        "no token": "",
    }
    for case, token in refused.items():
        answer = whoami(service, token)
        assert answer.status_code == 401, case
        assert answer.json["error"] == "invalid_token", case
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), case

    # Rotation: the next key signs, the old one is still published. The service knew the
    # new key from its cached set before the new key signed anything.
    server = api(JWT_PRIVATE_KEY=NEXT_EDDSA, JWT_EXTRA_PUBLIC_KEYS=str(old_public))
    status, refreshed = server.call("POST", "/refresh", token=tokens["refresh_token"])
    assert status == 200, refreshed
    assert (
        pyjwt.get_unverified_header(refreshed["access_token"])["kid"]
        != (pyjwt.get_unverified_header(tokens["access_token"])["kid"])
    )
    assert whoami(service, refreshed["access_token"]).status_code == 200
    assert whoami(service, tokens["access_token"]).status_code == 200  # not expired yet
