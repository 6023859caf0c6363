"""Signing-key rotation: every token names its key in `kid`, JWT_SECRET_KEY signs,
JWT_PREVIOUS_SECRET_KEYS only verify, and an unknown or removed key is invalid_token."""

import base64
import hashlib
import hmac
import json

import jwt as pyjwt
import pytest

import security.keys
from app import create_app
from security.keys import KeyRing
from tests.conftest import INVALID, SECRET, Auth, bearer, decode
from tests.security.test_jwt_inspect import inspect, lines

OLD = "the-key-before-rotation-long-enough-for-hs256-00000001"
OLDER = "the-key-two-rotations-ago-long-enough-for-hs256-000002"


def kid(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def sign(claims: dict, key: str, **header) -> str:
    return pyjwt.encode(claims, key, algorithm="HS256", headers=header or None)


def assert_invalid(response):
    assert response.status_code == 401, response.json
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json == INVALID


def my_info(client, token):
    return client.get("/my-info", headers=bearer(token))


@pytest.fixture
def deploy(apps):
    """The app redeployed with `current` as its key and `previous` still verifying."""

    def make(current: str, previous=()):
        return apps(JWT_SECRET_KEY=current, JWT_PREVIOUS_SECRET_KEYS=previous)

    return make


# --- what the app signs ----------------------------------------------------------------


def test_every_token_names_the_current_key(client, auth):
    tokens = auth.tokens()
    refreshed = client.post("/refresh", headers=bearer(tokens["refresh_token"])).json
    for token in [*tokens.values(), *refreshed.values()]:
        header = pyjwt.get_unverified_header(token)
        assert header == {"alg": "HS256", "typ": "JWT", "kid": kid(SECRET)}
        assert SECRET not in token and SECRET[:16] not in header["kid"]
        decode(token)  # and the current key's signature is on it


def test_a_previous_key_never_signs(deploy):
    client = deploy(SECRET, [OLD, OLDER])
    tokens = Auth(client).tokens()
    refreshed = client.post("/refresh", headers=bearer(tokens["refresh_token"])).json
    for token in [*tokens.values(), *refreshed.values()]:
        assert pyjwt.get_unverified_header(token)["kid"] == kid(SECRET)
        decode(token)
        for previous in (OLD, OLDER):
            with pytest.raises(pyjwt.InvalidSignatureError):
                pyjwt.decode(token, previous, algorithms=["HS256"])


# --- rotation -----------------------------------------------------------------------------


def test_rotation_logs_nobody_out(deploy):
    before = deploy(OLD)
    tokens = Auth(before).tokens()
    assert pyjwt.get_unverified_header(tokens["access_token"])["kid"] == kid(OLD)

    after = deploy(SECRET, [OLD])  # the operator's step 1: new key, old one kept to verify

    assert my_info(after, tokens["access_token"]).status_code == 200
    refreshed = after.post("/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 200
    # What comes back is signed by the new key.
    for token in refreshed.json.values():
        assert pyjwt.get_unverified_header(token)["kid"] == kid(SECRET)
        decode(token)
    assert my_info(after, refreshed.json["access_token"]).status_code == 200


def test_a_removed_key_is_invalid(deploy):
    tokens = Auth(deploy(OLD)).tokens()
    removed = deploy(SECRET, [OLDER])  # step 2: OLD is gone from the list
    assert_invalid(my_info(removed, tokens["access_token"]))
    assert_invalid(removed.post("/refresh", headers=bearer(tokens["refresh_token"])))


def test_the_second_of_several_previous_keys_verifies(deploy):
    tokens = Auth(deploy(OLD)).tokens()
    assert my_info(deploy(SECRET, [OLDER, OLD]), tokens["access_token"]).status_code == 200


# --- forged and odd headers ------------------------------------------------------------------


def test_unknown_kid_is_invalid(client, auth):
    claims = decode(auth.tokens()["access_token"])
    assert my_info(client, sign(claims, SECRET, kid=kid(SECRET))).status_code == 200  # control
    assert_invalid(my_info(client, sign(claims, SECRET, kid="0123456789abcdef")))
    assert_invalid(my_info(client, sign(claims, SECRET, kid=SECRET)))
    assert_invalid(my_info(client, sign(claims, SECRET, kid="")))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("odd", [1, ["x"], {"k": 1}, None, True])
def test_a_kid_that_is_no_string_is_invalid(client, auth, odd):
    """Signed by hand with the right key: PyJWT will not write such a header."""
    claims = decode(auth.tokens()["access_token"])

    def by_hand(key_id) -> str:
        header = {"alg": "HS256", "typ": "JWT", "kid": key_id}
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(mac)}"

    assert my_info(client, by_hand(kid(SECRET))).status_code == 200  # the control
    assert_invalid(my_info(client, by_hand(odd)))


def test_a_kid_naming_another_key_than_the_one_that_signed(deploy, auth, client):
    claims = decode(auth.tokens()["access_token"])
    rotated = deploy(SECRET, [OLD])
    # Names the previous key, signed with the current one (or the other way round).
    assert_invalid(my_info(rotated, sign(claims, SECRET, kid=kid(OLD))))
    assert_invalid(my_info(rotated, sign(claims, OLD, kid=kid(SECRET))))
    # Names a removed key and is signed with it: what an old token looks like.
    assert_invalid(my_info(rotated, sign(claims, OLDER, kid=kid(OLDER))))
    assert my_info(rotated, sign(claims, OLD, kid=kid(OLD))).status_code == 200


def test_a_token_without_kid_is_checked_against_the_current_key_only(deploy, auth):
    claims = decode(auth.tokens()["access_token"])
    rotated = deploy(SECRET, [OLD])
    assert my_info(rotated, sign(claims, SECRET)).status_code == 200
    assert_invalid(my_info(rotated, sign(claims, OLD)))


def test_tampered_token_with_a_kid_is_invalid(client, auth):
    token = auth.tokens()["access_token"]
    header, _, signature = token.split(".")
    other = decode(auth.tokens("mallory")["access_token"])
    forged_payload = sign(other, "x" * 40).split(".")[1]
    assert_invalid(my_info(client, f"{header}.{forged_payload}.{signature}"))


def test_an_expired_token_with_an_unknown_kid_answers_invalid(client, auth):
    claims = decode(auth.tokens()["access_token"])
    claims["exp"] = claims["iat"] - 10
    assert_invalid(my_info(client, sign(claims, SECRET, kid="0123456789abcdef")))


# --- settings ------------------------------------------------------------------------------


def test_previous_keys_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_PREVIOUS_SECRET_KEYS", f" {OLD} ,, {OLDER},")
    app = create_app({"JWT_SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["JWT_PREVIOUS_SECRET_KEYS"] == [OLD, OLDER]


@pytest.mark.parametrize("previous", [f"{OLD},{'s' * 31}", ["s" * 31]])
def test_a_short_previous_key_refuses_to_start(previous):
    with pytest.raises(RuntimeError, match=r"key #\d is shorter than 32 bytes"):
        create_app(
            {
                "JWT_SECRET_KEY": SECRET,
                "JWT_PREVIOUS_SECRET_KEYS": previous,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
            }
        )


def test_two_keys_with_one_kid_refuse_to_start(monkeypatch):
    monkeypatch.setattr(security.keys, "key_id", lambda key: "same")
    with pytest.raises(RuntimeError, match="key #1 has the same kid as the current key"):
        KeyRing(config(SECRET, [OLD]))
    assert list(KeyRing(config(SECRET, [SECRET])).by_kid) == ["same"]  # a repeat is harmless


def config(current: str, previous: list) -> dict:
    return {
        "JWT_ALGORITHM": "HS256",
        "JWT_SECRET_KEY": current,
        "JWT_PREVIOUS_SECRET_KEYS": previous,
    }


# --- flask jwt inspect ---------------------------------------------------------------------


def test_inspect_names_the_key(app, deploy, auth, runner):
    tokens = auth.tokens()
    summary = lines(inspect(runner, tokens["access_token"]).output)
    assert summary["Key"] == "current"
    assert summary["Verdict"] == "accepted by this app"

    old_token = Auth(deploy(OLD)).tokens("bob")["access_token"]
    summary = lines(inspect(runner, old_token).output)
    assert summary["Key"].startswith("unknown")
    assert summary["Signature"].startswith(f"INVALID: kid '{kid(OLD)}' names no configured key")
    assert summary["Verdict"].startswith("REJECTED")

    app.config["JWT_PREVIOUS_SECRET_KEYS"] = [OLDER, OLD]
    summary = lines(inspect(runner, old_token).output)
    assert summary["Key"] == "previous #2"
    assert summary["Signature"] == "valid (HS256 with previous #2 of JWT_PREVIOUS_SECRET_KEYS)"
    assert summary["Verdict"] == "accepted by this app"

    no_kid = sign(decode(tokens["access_token"]), OLD)
    summary = lines(inspect(runner, no_kid).output)
    assert summary["Key"] == "previous #2 (no kid: issued before key ids)"
    assert summary["Signature"].startswith("INVALID: no kid, so only JWT_SECRET_KEY")
    assert summary["Verdict"].startswith("REJECTED")
