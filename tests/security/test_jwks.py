"""Key pairs: tokens signed with EdDSA, ES256 or RS256, the public keys published at
/.well-known/jwks.json, rotation through JWT_EXTRA_PUBLIC_KEYS, and the attacks a key
pair invites (an HS256 token keyed with the public key, a switched algorithm)."""

import base64
import hashlib
import hmac
import json

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from app import create_app
from security.keys import new_private_key
from tests.conftest import INVALID, SECRET, Auth, bearer
from tests.security.test_jwt_inspect import inspect, lines

ASYMMETRIC = ("EdDSA", "ES256", "RS256")


def private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(private: str) -> bytes:
    key = serialization.load_pem_private_key(private.encode(), None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# Made once: RSA key generation is the slow part of these tests.
KEYS = {
    "EdDSA": private_pem(ed25519.Ed25519PrivateKey.generate()),
    "ES256": private_pem(ec.generate_private_key(ec.SECP256R1())),
    "RS256": private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
}
NEXT_EDDSA = private_pem(ed25519.Ed25519PrivateKey.generate())


def signing(algorithm: str, private: str | None = None, **more) -> dict:
    key = KEYS[algorithm] if private is None else private
    return {"JWT_ALGORITHM": algorithm, "JWT_PRIVATE_KEY": key, **more}


def jwks(client) -> list[dict]:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    return response.json["keys"]


def verify(token: str, keys: list[dict]) -> dict:
    """What another service does: the key the kid names, from the JWKS alone."""
    kid = pyjwt.get_unverified_header(token)["kid"]
    jwk = next(jwk for jwk in keys if jwk["kid"] == kid)
    return pyjwt.decode(
        token,
        pyjwt.PyJWK(jwk).key,
        algorithms=[jwk["alg"]],
        audience="stores-api",
        issuer="stores-api",
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_by_hand(header: dict, claims: dict, secret: bytes) -> str:
    """PyJWT will not sign HS256 with a PEM key; an attacker does it by hand."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def assert_invalid(response):
    assert (response.status_code, response.json) == (401, INVALID)


def my_info(client, token):
    return client.get("/my-info", headers=bearer(token))


# --- signing and publishing ------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_tokens_verify_with_the_published_key_alone(apps, algorithm):
    client = apps(**signing(algorithm))
    keys = jwks(client)
    assert len(keys) == 1
    jwk = keys[0]
    assert jwk["alg"] == algorithm and jwk["use"] == "sig"
    assert {"d", "p", "q"}.isdisjoint(jwk)  # never the private parts
    assert set(jwk) >= ({"n", "e"} if algorithm == "RS256" else {"crv", "x"})
    assert jwk["kid"] == thumbprint(jwk)

    tokens = Auth(client).tokens()
    refreshed = client.post("/refresh", headers=bearer(tokens["refresh_token"])).json
    for token in [*tokens.values(), *refreshed.values()]:
        header = pyjwt.get_unverified_header(token)
        assert (header["alg"], header["kid"]) == (algorithm, jwk["kid"])
        claims = verify(token, keys)
        assert (claims["iss"], claims["aud"]) == ("stores-api", "stores-api")
    assert my_info(client, refreshed["access_token"]).status_code == 200


def thumbprint(jwk: dict) -> str:
    """RFC 7638, written out here independently of security/keys.py."""
    members = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}
    required = {name: jwk[name] for name in members[jwk["kty"]]}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    return b64(hashlib.sha256(canonical).digest())


def test_hs256_publishes_nothing(client, auth):
    assert jwks(client) == []
    assert "no-store" not in client.get("/.well-known/jwks.json").headers["Cache-Control"]


def test_the_private_key_from_a_file_or_escaped_newlines(apps, tmp_path):
    path = tmp_path / "signing.pem"
    path.write_text(KEYS["ES256"])
    by_file = jwks(apps(JWT_ALGORITHM="ES256", JWT_PRIVATE_KEY_FILE=str(path)))
    escaped = KEYS["ES256"].replace("\n", "\\n")
    by_text = jwks(apps(**signing("ES256", escaped)))
    assert by_file == by_text


# --- rotation ----------------------------------------------------------------------------


def test_a_key_pair_rotation_logs_nobody_out(apps, tmp_path):
    old_public = tmp_path / "old.pub.pem"
    old_public.write_bytes(public_pem(KEYS["EdDSA"]))
    next_public = tmp_path / "next.pub.pem"
    next_public.write_bytes(public_pem(NEXT_EDDSA))

    # Step 1: the next key is published ahead of signing.
    before = apps(**signing("EdDSA"), JWT_EXTRA_PUBLIC_KEYS=str(next_public))
    tokens = Auth(before).tokens()
    assert len(jwks(before)) == 2
    # Step 2: the next key signs; the old one is published and still verifies.
    during = apps(**signing("EdDSA", NEXT_EDDSA), JWT_EXTRA_PUBLIC_KEYS=str(old_public))
    published = jwks(during)
    assert {jwk["kid"] for jwk in published} == {jwk["kid"] for jwk in jwks(before)}
    assert my_info(during, tokens["access_token"]).status_code == 200
    refreshed = during.post("/refresh", headers=bearer(tokens["refresh_token"])).json
    new_kid = pyjwt.get_unverified_header(refreshed["access_token"])["kid"]
    assert new_kid != pyjwt.get_unverified_header(tokens["access_token"])["kid"]
    verify(refreshed["access_token"], published)
    # Step 3: the old key is removed: what it signed is invalid, what the new one signed is not.
    after = apps(**signing("EdDSA", NEXT_EDDSA))
    assert [jwk["kid"] for jwk in jwks(after)] == [new_kid]
    assert_invalid(my_info(after, tokens["access_token"]))
    assert my_info(after, refreshed["access_token"]).status_code == 200


def test_a_move_from_hs256_to_a_key_pair(apps, auth):
    hs256 = auth.tokens()
    moved = apps(**signing("EdDSA"), JWT_PREVIOUS_SECRET_KEYS=[SECRET])
    assert my_info(moved, hs256["access_token"]).status_code == 200
    refreshed = moved.post("/refresh", headers=bearer(hs256["refresh_token"])).json
    assert pyjwt.get_unverified_header(refreshed["access_token"])["alg"] == "EdDSA"
    assert len(jwks(moved)) == 1  # the old secret is never published
    # A kid-less HS256 token is only for HS256 mode, whatever key signed it.
    claims = pyjwt.decode(hs256["access_token"], options={"verify_signature": False})
    assert_invalid(my_info(moved, pyjwt.encode(claims, SECRET, "HS256")))
    # Once the secret is removed, its tokens are gone too.
    assert_invalid(my_info(apps(**signing("EdDSA")), hs256["access_token"]))


# --- attacks -----------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_an_hs256_token_keyed_with_the_public_key_is_refused(apps, algorithm):
    client = apps(**signing(algorithm))
    token = Auth(client).tokens()["access_token"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    kid = pyjwt.get_unverified_header(token)["kid"]
    pem = public_pem(KEYS[algorithm])
    for header in ({"alg": "HS256", "kid": kid}, {"alg": "HS256"}):
        for secret in (pem, pem.strip(), json.dumps(jwks(client)[0]).encode()):
            assert_invalid(my_info(client, hs256_by_hand(header, claims, secret)))


def test_a_token_cannot_switch_to_another_keys_algorithm(apps, tmp_path):
    """Two published keys of different algorithms: a token naming one and signed the
    other's way is refused, even though both algorithms are accepted."""
    extra = tmp_path / "es256.pub.pem"
    extra.write_bytes(public_pem(KEYS["ES256"]))
    client = apps(**signing("EdDSA"), JWT_EXTRA_PUBLIC_KEYS=str(extra))
    token = Auth(client).tokens()["access_token"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    kids = {jwk["alg"]: jwk["kid"] for jwk in jwks(client)}
    control = pyjwt.encode(claims, KEYS["ES256"], "ES256", headers={"kid": kids["ES256"]})
    assert my_info(client, control).status_code == 200
    assert_invalid(
        my_info(
            client, pyjwt.encode(claims, KEYS["ES256"], "ES256", headers={"kid": kids["EdDSA"]})
        )
    )
    assert_invalid(
        my_info(client, pyjwt.encode(claims, None, "none", headers={"kid": kids["EdDSA"]}))
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"aud": ["another-api"]},
        {"iss": "Stores-API"},
    ],
)
def test_another_issuer_or_audience_is_refused(apps, changes):
    client = apps(**signing("EdDSA"))
    token = Auth(client).tokens()["access_token"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    kid = pyjwt.get_unverified_header(token)["kid"]
    assert_invalid(
        my_info(client, pyjwt.encode(claims | changes, KEYS["EdDSA"], "EdDSA", {"kid": kid}))
    )


def test_issuer_and_audience_are_checked_only_when_present(apps):
    """Tokens issued before iss and aud existed still work until they expire."""
    client = apps(**signing("EdDSA"))
    token = Auth(client).tokens()["access_token"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    kid = pyjwt.get_unverified_header(token)["kid"]
    older = {k: v for k, v in claims.items() if k not in ("iss", "aud")}
    for accepted in (older, claims | {"aud": ["another-api", "stores-api"]}):
        signed = pyjwt.encode(accepted, KEYS["EdDSA"], "EdDSA", {"kid": kid})
        assert my_info(client, signed).status_code == 200


# --- start-up refusals -----------------------------------------------------------------------


def refusal(tmp_path, **settings) -> str:
    with pytest.raises(RuntimeError) as raised:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "JWT_SECRET_KEY": SECRET, **settings})
    message = str(raised.value)
    assert "\n" not in message  # one clear line
    return message


def test_start_up_refuses_a_bad_key(tmp_path):
    rsa_small = private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 (refused)
    encrypted = serialization.load_pem_private_key(KEYS["EdDSA"].encode(), None).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    (tmp_path / "encrypted.pem").write_bytes(encrypted)
    (tmp_path / "private.pem").write_text(KEYS["EdDSA"])
    (tmp_path / "junk.pem").write_text("not a key")
    (tmp_path / "public.pem").write_bytes(public_pem(NEXT_EDDSA))
    missing = str(tmp_path / "missing.pem")
    cases = {
        "needs JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE": {"JWT_ALGORITHM": "EdDSA"},
        "JWT_ALGORITHM must be one of HS256, EdDSA, ES256, RS256": {"JWT_ALGORITHM": "HS512"},
        "JWT_PRIVATE_KEY_FILE: cannot read": signing("ES256", "", JWT_PRIVATE_KEY_FILE=missing),
        "JWT_PRIVATE_KEY: not a PEM private key": signing("EdDSA", "-----BEGIN nonsense"),
        "the key is for EdDSA, but JWT_ALGORITHM is ES256": signing("ES256", KEYS["EdDSA"]),
        "the key is for ES256, but JWT_ALGORITHM is RS256": signing("RS256", KEYS["ES256"]),
        "the key is for none of Ed25519, P-256, RSA >= 2048 bits": signing("RS256", rsa_small),
        "the key is encrypted": signing(
            "EdDSA", "", JWT_PRIVATE_KEY_FILE=str(tmp_path / "encrypted.pem")
        ),
        "not both": signing("EdDSA", JWT_PRIVATE_KEY_FILE=str(tmp_path / "private.pem")),
        "JWT_PRIVATE_KEY is set but JWT_ALGORITHM is HS256": signing("HS256", KEYS["EdDSA"]),
        "JWT_EXTRA_PUBLIC_KEYS: key #1: cannot read": signing(
            "EdDSA", JWT_EXTRA_PUBLIC_KEYS=missing
        ),
        "key #2 (": signing(
            "EdDSA", JWT_EXTRA_PUBLIC_KEYS=f"{tmp_path / 'public.pem'},{tmp_path / 'junk.pem'}"
        ),
    }
    for expected, settings in cases.items():
        assert expected in refusal(tmp_path, **settings), settings


def test_a_private_key_among_the_public_ones_is_refused(tmp_path):
    (tmp_path / "private.pem").write_text(KEYS["ES256"])
    message = refusal(
        tmp_path, **signing("EdDSA", JWT_EXTRA_PUBLIC_KEYS=str(tmp_path / "private.pem"))
    )
    assert message.endswith(
        "is not a PEM public key (`openssl pkey -pubout` gives a private key's public half)"
    )


def test_an_extra_key_of_no_supported_kind_is_refused(tmp_path):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505
    path = tmp_path / "small.pem"
    path.write_bytes(
        small.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert "is none of Ed25519, P-256, RSA >= 2048 bits" in refusal(
        tmp_path, **signing("EdDSA", JWT_EXTRA_PUBLIC_KEYS=str(path))
    )


def test_settings_from_the_environment(monkeypatch, tmp_path):
    path = tmp_path / "key.pem"
    path.write_text(KEYS["RS256"])
    monkeypatch.setenv("JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(path))
    monkeypatch.setenv("JWT_ISSUER", "https://api.example")
    monkeypatch.setenv("JWT_AUDIENCE", "shop")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "JWT_SECRET_KEY": SECRET})
    assert app.config["JWT_DECODE_ALGORITHMS"] == ["RS256"]
    assert (app.config["JWT_ENCODE_ISSUER"], app.config["JWT_ENCODE_AUDIENCE"]) == (
        "https://api.example",
        "shop",
    )


# --- the operator's commands -------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_keygen_prints_a_key_the_app_signs_with(apps, runner, algorithm):
    result = runner.invoke(args=["jwt", "keygen", "--algorithm", algorithm])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("-----BEGIN PRIVATE KEY-----\n")
    client = apps(**signing(algorithm, result.output))
    assert jwks(client)[0]["alg"] == algorithm


def test_keygen_defaults_to_eddsa(runner):
    result = runner.invoke(args=["jwt", "keygen"])
    key = serialization.load_pem_private_key(result.output.encode(), None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert new_private_key("EdDSA") != result.output


def test_inspect_says_which_public_key_verifies(app, apps, tmp_path):
    old_public = tmp_path / "old.pub.pem"
    old_public.write_bytes(public_pem(KEYS["EdDSA"]))
    token = Auth(apps(**signing("EdDSA"))).tokens()["access_token"]
    app.config.update(signing("ES256"), JWT_EXTRA_PUBLIC_KEYS=str(old_public))
    runner = app.test_cli_runner()

    summary = lines(inspect(runner, token).output)
    assert summary["Key"] == "extra #1"
    assert (
        summary["Signature"]
        == f"valid (EdDSA with extra #1 of JWT_EXTRA_PUBLIC_KEYS ({old_public}))"
    )
    assert summary["Issuer"] == "iss 'stores-api', aud 'stores-api': this app's"
    assert summary["Verdict"] == "accepted by this app"

    claims = pyjwt.decode(token, options={"verify_signature": False})
    kid = pyjwt.get_unverified_header(token)["kid"]
    confused = hs256_by_hand({"alg": "HS256", "kid": kid}, claims, public_pem(KEYS["EdDSA"]))
    summary = lines(inspect(runner, confused).output)
    assert summary["Signature"].startswith("not checked: algorithm 'HS256'")
    assert summary["Verdict"] == "REJECTED (bad signature)"

    app.config["JWT_PREVIOUS_SECRET_KEYS"] = [SECRET]  # now HS256 is accepted, by kid
    summary = lines(inspect(runner, confused).output)
    assert summary["Signature"] == (
        "INVALID: the token's kid names an EdDSA key, the token says HS256 (algorithm confusion)"
    )

    elsewhere = pyjwt.encode(claims | {"aud": "another-api"}, KEYS["EdDSA"], "EdDSA", {"kid": kid})
    summary = lines(inspect(runner, elsewhere).output)
    assert summary["Issuer"] == "iss 'stores-api', aud 'another-api': this app is 'stores-api'"
    assert summary["Verdict"] == "REJECTED (another audience)"
