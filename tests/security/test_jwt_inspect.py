"""`flask jwt inspect TOKEN`: what is in a token and whether this app would accept it."""

import base64
import json

import pytest

from tests.conftest import SECRET, bearer, decode, forge, now


def inspect(runner, token: str):
    return runner.invoke(args=["jwt", "inspect", token])


def lines(output: str) -> dict:
    """The `Label:  value` summary lines, by label."""
    found = {}
    for line in output.splitlines():
        label, colon, value = line.partition(":")
        if colon and label and not label.startswith((" ", "{", "}", '"')):
            found[label] = value.strip()
    return found


def tamper(token: str, **changes) -> str:
    """The token with payload claims changed and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(changes)
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{payload}.{signature}"


def test_a_fresh_login_token_is_shown_and_accepted(runner, auth):
    token = auth.tokens()["access_token"]
    claims = decode(token)

    result = inspect(runner, token)

    assert result.exit_code == 0, result.output
    assert '"alg": "HS256"' in result.output
    assert json.dumps(claims["sid"]) in result.output  # the pretty payload
    assert '"is_admin": false' in result.output
    summary = lines(result.output)
    assert summary["Type"] == "access (fresh)"
    assert summary["User id"] == claims["sub"]
    assert summary["Issued"].endswith(("(just now)", "(1 second ago)", "(2 seconds ago)"))
    assert "UTC" in summary["Valid from"]
    assert summary["Expires"].endswith(("(in 14 minutes)", "(in 15 minutes)"))
    assert summary["Expired"] == "no"
    assert summary["Signature"].startswith("valid")
    assert summary["Session"] == f"live (login session {claims['sid']})"
    assert summary["Verdict"] == "accepted by this app"


def test_a_bearer_header_value_is_accepted_too(runner, auth):
    token = auth.tokens()["access_token"]
    assert lines(inspect(runner, f"Bearer {token}").output)["Verdict"] == "accepted by this app"


def test_refresh_tokens_and_spent_ones(runner, auth, client):
    refresh = auth.tokens()["refresh_token"]
    summary = lines(inspect(runner, refresh).output)
    assert (summary["Type"], summary["Verdict"]) == ("refresh", "accepted by this app")

    second = client.post("/refresh", headers=bearer(refresh)).json["refresh_token"]

    # Just traded in: another tab may still use it (JWT_REFRESH_GRACE_SECONDS).
    summary = lines(inspect(runner, refresh).output)
    assert summary["Session"].startswith("spent, but in the grace window until")
    assert summary["Verdict"] == "accepted by this app"

    assert client.post("/refresh", headers=bearer(second)).status_code == 200
    summary = lines(inspect(runner, refresh).output)
    assert summary["Session"].startswith("SPENT")
    assert summary["Verdict"] == "REJECTED (spent)"


def test_an_expired_token(runner, auth):
    claims = decode(auth.tokens()["access_token"])
    expired = forge(claims, iat=now() - 7200, nbf=now() - 7200, exp=now() - 3600)

    result = inspect(runner, expired)

    assert result.exit_code == 0, result.output
    summary = lines(result.output)
    assert summary["Expires"].endswith("(1 hour ago)")
    assert summary["Issued"].endswith("(2 hours ago)")
    assert summary["Expired"] == "YES"
    assert summary["Signature"].startswith("valid")  # genuine, just too old
    assert summary["Verdict"] == "REJECTED (expired)"


def test_a_tampered_token(runner, auth, client):
    token = auth.tokens()["access_token"]
    forged = tamper(token, is_admin=True)
    assert client.get("/my-info", headers=bearer(forged)).json["error"] == "invalid_token"

    result = inspect(runner, forged)

    assert result.exit_code == 0, result.output
    assert '"is_admin": true' in result.output  # readable by anyone...
    summary = lines(result.output)
    assert summary["Type"] == "access (fresh), admin"
    assert summary["Signature"] == "INVALID: tampered with, or signed with another key"
    assert summary["Verdict"] == "REJECTED (bad signature)"  # ...but not accepted


def test_a_foreign_token(runner, auth):
    claims = decode(auth.tokens()["access_token"])
    foreign = forge(claims, key="another-service-secret-that-is-long-enough-0123")
    summary = lines(inspect(runner, foreign).output)
    assert summary["Signature"].startswith("INVALID")
    assert summary["Verdict"] == "REJECTED (bad signature)"


def test_another_algorithm_is_not_trusted(runner, auth):
    claims = decode(auth.tokens()["access_token"])
    other = forge(claims, key=SECRET * 2, algorithm="HS512")
    summary = lines(inspect(runner, other).output)
    assert summary["Signature"] == "not checked: algorithm 'HS512', this app accepts HS256 only"
    assert summary["Verdict"] == "REJECTED (bad signature)"


def test_a_token_without_a_login_session(runner):
    token = forge({"sub": "1", "exp": now() + 60})
    summary = lines(inspect(runner, token).output)
    assert summary["Session"] == "no `sid` claim: not a token of this app"
    assert summary["Verdict"] == ("REJECTED (missing claim(s) jti, type, sid; no `sid` claim)")


def test_a_logged_out_token(runner, auth, client):
    token = auth.tokens()["access_token"]
    sid = decode(token)["sid"]
    assert client.post("/logout", headers=bearer(token)).status_code == 200

    result = inspect(runner, token)

    assert result.exit_code == 0, result.output
    summary = lines(result.output)
    assert summary["Signature"].startswith("valid")
    assert summary["Session"].startswith(f"REVOKED: login session {sid} has ended")
    assert summary["Verdict"] == "REJECTED (revoked)"


@pytest.mark.parametrize(
    "garbage",
    ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "", "Bearer "],
)
def test_garbage_is_not_a_jwt(runner, garbage):
    result = inspect(runner, garbage)
    assert result.exit_code == 1
    assert "Error: not a JWT" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
