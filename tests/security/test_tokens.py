"""Token rules: refresh rotation and replay, logout, revocation across instances,
signature, algorithm, required claims, token types, order of checks, pruning."""

import base64
import json
import uuid

import pytest
from sqlalchemy import delete, select

from app import create_app
from db import db
from models import LoginSession, User
from tests.conftest import (
    EXPIRED,
    INVALID,
    MISSING,
    NOT_FRESH,
    REVOKED,
    SECRET,
    bearer,
    decode,
    forge,
    now,
)

WRONG_KEY = "another-secret-that-is-also-long-enough-for-hs256-9876"


def assert_401(response, body):
    assert response.status_code == 401, response.json
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json == body


def my_info(client, token):
    return client.get("/my-info", headers=bearer(token))


def refresh(client, token):
    return client.post("/refresh", headers=bearer(token))


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- refresh rotation ---------------------------------------------------------------


def test_refresh(client, auth):
    tokens = auth.tokens()
    response = refresh(client, tokens["refresh_token"])
    assert response.status_code == 200
    assert set(response.json) == {"access_token", "refresh_token"}
    access = decode(response.json["access_token"])
    new_refresh = decode(response.json["refresh_token"])
    old_access = decode(tokens["access_token"])
    assert access["fresh"] is False
    assert access["type"] == "access"
    assert access["sub"] == old_access["sub"]
    assert access["sid"] == old_access["sid"]
    assert access["is_admin"] is False
    assert new_refresh["type"] == "refresh"
    assert new_refresh["jti"] != decode(tokens["refresh_token"])["jti"]
    assert response.json["refresh_token"] != tokens["refresh_token"]
    assert my_info(client, response.json["access_token"]).status_code == 200
    # The new refresh token works once too.
    assert refresh(client, response.json["refresh_token"]).status_code == 200


def test_refresh_reuse_ends_the_session(client, auth):
    first = auth.tokens()
    other = auth.login().json  # another login of the same user
    second = refresh(client, first["refresh_token"]).json
    third = refresh(client, second["refresh_token"]).json
    # The spent refresh token comes back: theft.
    assert_401(refresh(client, first["refresh_token"]), REVOKED)
    assert_401(refresh(client, third["refresh_token"]), REVOKED)
    for tokens in (first, second, third):
        assert_401(my_info(client, tokens["access_token"]), REVOKED)
    # Another login session of the same user is untouched.
    assert my_info(client, other["access_token"]).status_code == 200
    assert refresh(client, other["refresh_token"]).status_code == 200


# --- logout ---------------------------------------------------------------------------


def test_logout(client, auth):
    tokens = auth.tokens()
    other = auth.login().json
    response = client.post("/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert response.json == {"message": "Successfully logged out"}
    assert_401(my_info(client, tokens["access_token"]), REVOKED)
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)
    assert_401(client.post("/logout", headers=bearer(tokens["access_token"])), REVOKED)
    # The other login of the same user still works.
    assert my_info(client, other["access_token"]).status_code == 200
    assert refresh(client, other["refresh_token"]).status_code == 200


def test_logout_with_refreshed_access_token(client, auth):
    tokens = auth.tokens()
    refreshed = refresh(client, tokens["refresh_token"]).json
    assert client.post("/logout", headers=bearer(refreshed["access_token"])).status_code == 200
    assert_401(my_info(client, tokens["access_token"]), REVOKED)
    assert_401(refresh(client, refreshed["refresh_token"]), REVOKED)


def test_logout_with_refresh_token_is_invalid(client, auth):
    tokens = auth.tokens()
    assert_401(client.post("/logout", headers=bearer(tokens["refresh_token"])), INVALID)
    assert my_info(client, tokens["access_token"]).status_code == 200


@pytest.fixture
def other_client(app):
    """A second app instance on the same database, as another worker would be."""
    other_app = create_app(dict(app.config))
    yield other_app.test_client()
    with other_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_logout_seen_by_another_instance(client, other_client, auth):
    tokens = auth.tokens()
    assert my_info(other_client, tokens["access_token"]).status_code == 200
    assert client.post("/logout", headers=bearer(tokens["access_token"])).status_code == 200
    assert_401(my_info(other_client, tokens["access_token"]), REVOKED)
    assert_401(refresh(other_client, tokens["refresh_token"]), REVOKED)
    # And the other way round.
    more = auth.tokens()
    assert other_client.post("/logout", headers=bearer(more["access_token"])).status_code == 200
    assert_401(my_info(client, more["access_token"]), REVOKED)


def test_refresh_replay_seen_by_another_instance(client, other_client, auth):
    tokens = auth.tokens()
    second = refresh(client, tokens["refresh_token"]).json
    assert refresh(client, second["refresh_token"]).status_code == 200
    # Two rotations old: no grace (tests/resources/test_sessions.py has the grace window).
    assert_401(refresh(other_client, tokens["refresh_token"]), REVOKED)
    assert_401(my_info(client, tokens["access_token"]), REVOKED)


# --- expiry, signature, claims, algorithms --------------------------------------------------


def test_expired_access_token(client, auth):
    claims = decode(auth.tokens()["access_token"])
    token = forge(claims, exp=now() - 10)
    assert_401(my_info(client, token), EXPIRED)


def test_expired_refresh_token(client, auth):
    claims = decode(auth.tokens()["refresh_token"])
    assert_401(refresh(client, forge(claims, exp=now() - 10)), EXPIRED)


def test_forged_with_right_key_and_live_session_works(client, auth):
    """The control for the tests below: re-signing the real claims is accepted."""
    claims = decode(auth.tokens()["access_token"])
    assert my_info(client, forge(claims)).status_code == 200


@pytest.mark.parametrize("claim", ["sub", "jti", "exp", "type"])
def test_missing_required_claim(client, auth, claim):
    claims = decode(auth.tokens()["access_token"])
    assert_401(my_info(client, forge(claims, **{claim: None})), INVALID)


@pytest.mark.parametrize("claim", ["sub", "jti", "exp", "type"])
def test_missing_required_claim_on_refresh(client, auth, claim):
    claims = decode(auth.tokens()["refresh_token"])
    assert_401(refresh(client, forge(claims, **{claim: None})), INVALID)


@pytest.mark.parametrize("sub", [1, 1.0, ["1"], {"id": 1}, True])
def test_non_string_sub(client, auth, sub):
    claims = decode(auth.tokens()["access_token"])
    assert_401(my_info(client, forge(claims, sub=sub)), INVALID)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none(client, auth, alg):
    token = auth.tokens()["access_token"]
    claims = decode(token)
    unsigned = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."
    assert_401(my_info(client, unsigned), INVALID)
    # Keeping the real signature does not help either.
    with_signature = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}.{token.split('.')[2]}"
    assert_401(my_info(client, with_signature), INVALID)


def test_wrong_key(client, auth):
    claims = decode(auth.tokens()["access_token"])
    assert_401(my_info(client, forge(claims, key=WRONG_KEY)), INVALID)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms(client, auth, algorithm):
    claims = decode(auth.tokens()["access_token"])
    key = SECRET * 2  # long enough for HS512 too, to keep PyJWT's key-length warning quiet
    assert_401(my_info(client, forge(claims, key=key, algorithm=algorithm)), INVALID)
    assert_401(my_info(client, forge(claims, algorithm=algorithm)), INVALID)


def test_tampered_payload(client, auth):
    token = auth.tokens()["access_token"]
    header, _payload, signature = token.split(".")
    claims = {**decode(token), "is_admin": True}
    tampered = f"{header}.{b64(claims)}.{signature}"
    assert_401(my_info(client, tampered), INVALID)
    assert_401(client.get("/user/9999", headers=bearer(tampered)), INVALID)


# --- token types ------------------------------------------------------------------------------


def test_refresh_token_as_access_token(client, auth):
    tokens = auth.tokens()
    assert_401(my_info(client, tokens["refresh_token"]), INVALID)


def test_access_token_on_refresh(client, auth):
    tokens = auth.tokens()
    assert_401(refresh(client, tokens["access_token"]), INVALID)
    # Not counted as a use of the session's refresh token.
    assert refresh(client, tokens["refresh_token"]).status_code == 200


def test_forged_type_is_checked(client, auth):
    claims = decode(auth.tokens()["access_token"])
    assert_401(my_info(client, forge(claims, type="refresh")), INVALID)


@pytest.mark.parametrize("token_type", ["bogus", "", "ACCESS"])
def test_unknown_type_is_invalid(client, auth, token_type):
    """Only "access" is an access token: any other type is the wrong token type."""
    claims = decode(auth.tokens()["access_token"])
    assert_401(my_info(client, forge(claims, type=token_type)), INVALID)


@pytest.mark.parametrize(("method", "path"), [("get", "/my-info"), ("post", "/logout")])
def test_no_token(client, method, path):
    assert_401(getattr(client, method)(path), MISSING)


def test_no_token_on_refresh(client):
    assert_401(client.post("/refresh"), MISSING)


# --- order of checks --------------------------------------------------------------------------


def test_revoked_non_fresh_token_on_fresh_endpoint(client, auth):
    headers = auth.non_fresh_headers()
    uid = client.get("/my-info", headers=headers).json["id"]
    assert client.post("/logout", headers=headers).status_code == 200
    assert_401(client.get("/my-info", headers=headers), REVOKED)
    body = {"current_password": "correct horse battery", "new_password": "something new!"}
    assert_401(client.put("/my-info/password", json=body, headers=headers), NOT_FRESH)
    assert_401(client.delete(f"/user/{uid}", headers=headers), NOT_FRESH)


def test_expired_and_revoked_answers_expired(client, auth):
    tokens = auth.tokens()
    claims = decode(tokens["access_token"])
    assert client.post("/logout", headers=bearer(tokens["access_token"])).status_code == 200
    assert_401(my_info(client, forge(claims, exp=now() - 10)), EXPIRED)


def test_expired_with_wrong_key_answers_invalid(client, auth):
    claims = decode(auth.tokens()["access_token"])
    assert_401(my_info(client, forge(claims, key=WRONG_KEY, exp=now() - 10)), INVALID)


def test_expired_refresh_token_as_access_answers_expired(client, auth):
    claims = decode(auth.tokens()["refresh_token"])
    assert_401(my_info(client, forge(claims, exp=now() - 10)), EXPIRED)


def test_refresh_token_on_fresh_endpoint_answers_invalid(client, auth):
    tokens = auth.tokens()
    uid = decode(tokens["access_token"])["sub"]
    assert_401(client.delete(f"/user/{uid}", headers=bearer(tokens["refresh_token"])), INVALID)


# --- users that are gone ------------------------------------------------------------------------


def test_token_of_deleted_user(client, auth):
    tokens = auth.tokens()
    uid = decode(tokens["access_token"])["sub"]
    assert client.delete(f"/user/{uid}", headers=bearer(tokens["access_token"])).status_code == 200
    assert_401(my_info(client, tokens["access_token"]), REVOKED)
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)


def test_token_of_user_removed_from_database(app, client, auth):
    tokens = auth.tokens()
    uid = int(decode(tokens["access_token"])["sub"])
    with app.app_context():
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == uid))
        db.session.execute(delete(User).where(User.id == uid))
        db.session.commit()
    assert_401(my_info(client, tokens["access_token"]), REVOKED)
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)


def test_forged_sub_of_missing_user_with_live_session(client, auth):
    """A live session id does not vouch for another (or no) user."""
    alice = decode(auth.tokens()["access_token"])
    bob = decode(auth.tokens("bob")["access_token"])
    assert_401(my_info(client, forge(alice, sub="9999")), REVOKED)
    assert_401(my_info(client, forge(alice, sub=bob["sub"])), REVOKED)


# --- flask prune-tokens -------------------------------------------------------------------------


def test_prune_tokens(app, client, auth, runner):
    tokens = auth.tokens()
    uid = int(decode(tokens["access_token"])["sub"])
    expired_id, live_id = uuid.uuid4().hex, uuid.uuid4().hex
    with app.app_context():
        db.session.add_all(
            [
                LoginSession(
                    id=expired_id, user_id=uid, refresh_jti=str(uuid.uuid4()), expires_at=now() - 10
                ),
                LoginSession(
                    id=live_id, user_id=uid, refresh_jti=str(uuid.uuid4()), expires_at=now() + 3600
                ),
            ]
        )
        db.session.commit()
    result = runner.invoke(args=["prune-tokens"])
    assert result.exit_code == 0, result.output
    assert "Pruned 1 " in result.output
    with app.app_context():
        left = set(db.session.execute(select(LoginSession.id)).scalars())
    assert expired_id not in left
    assert live_id in left
    assert decode(tokens["access_token"])["sid"] in left
    assert my_info(client, tokens["access_token"]).status_code == 200
    # Nothing left to prune.
    again = runner.invoke(args=["prune-tokens"])
    assert again.exit_code == 0
    assert "Pruned 0 " in again.output


@pytest.mark.parametrize("sub", ["abc", "99999999999999999999999", "-1", "1.0", ""])
def test_sub_that_names_no_user_is_revoked_not_an_error(client, auth, sub):
    """Even with the right key, an odd `sub` never reaches the database as a number."""
    claims = decode(auth.tokens()["access_token"])
    response = client.get("/my-info", headers=bearer(forge(claims, sub=sub)))
    assert (response.status_code, response.json) == (401, REVOKED)


def test_token_responses_are_never_cached(client, auth):
    """RFC 6749 5.1: a browser or proxy cache must not keep a token response."""
    auth.register()
    login = auth.login()
    refreshed = client.post("/refresh", headers=bearer(login.json["refresh_token"]))
    for response in (login, refreshed):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"
    spec = client.get("/openapi.json").json["paths"]
    for path in ("/login", "/refresh"):
        assert "Cache-Control" in spec[path]["post"]["responses"]["200"]["headers"]
