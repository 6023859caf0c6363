"""Accounts: register, login, my-info, user records, password change, create-admin."""

import json

import pytest
from passlib.hash import pbkdf2_sha256
from sqlalchemy import func, select

from db import db
from models import LoginSession, User
from tests.conftest import (
    ADMIN_REQUIRED,
    MISSING,
    NOT_FRESH,
    PASSWORD,
    REVOKED,
    bearer,
    decode,
    now,
)

CREATED = {"message": "User created successfully."}
DUPLICATE = {
    "code": 409,
    "status": "Conflict",
    "message": "A user with that username already exists.",
}
INVALID_CREDENTIALS = {"message": "Invalid credentials."}

# GET /my-info of a user who gave no email (API.md "Email and account recovery").
NO_EMAIL = {"email": None, "email_verified": False, "email_pending": None, "mfa_enabled": False}


def assert_401(response, body=None):
    assert response.status_code == 401, response.json
    assert response.headers["WWW-Authenticate"] == "Bearer"
    if body is not None:
        assert response.json == body


def user_id(tokens: dict) -> int:
    return int(decode(tokens["access_token"])["sub"])


def stored_hash(app, username: str) -> str:
    with app.app_context():
        return db.session.execute(
            select(User.password).where(User.username == username)
        ).scalar_one()


# --- register ---------------------------------------------------------------


def test_register(auth):
    response = auth.register()
    assert response.status_code == 201
    assert response.json == CREATED


def test_register_duplicate(auth):
    assert auth.register().status_code == 201
    response = auth.register(password="another password")
    assert response.status_code == 409
    assert response.json == DUPLICATE


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "alice"}, "password"),
        ({"username": "alice", "password": PASSWORD, "is_admin": True}, "is_admin"),
        ({"username": "alice", "password": PASSWORD, "id": 1}, "id"),
        ({"username": "al", "password": PASSWORD}, "username"),
        ({"username": "a" * 81, "password": PASSWORD}, "username"),
        ({"username": "alice", "password": "x" * 7}, "password"),
        ({"username": "alice", "password": "x" * 129}, "password"),
        ({"username": 123, "password": PASSWORD}, "username"),
    ],
    ids=[
        "no-username",
        "no-password",
        "is_admin",
        "id",
        "username-2",
        "username-81",
        "password-7",
        "password-129",
        "username-int",
    ],
)
def test_register_rejects(client, auth, body, field):
    response = client.post("/register", json=body)
    assert response.status_code == 422
    assert response.json["code"] == 422
    assert field in response.json["errors"]["json"]
    # Nothing was created: the plain sign-up still works and is not an admin.
    assert auth.register().status_code == 201
    assert decode(auth.login().json["access_token"])["is_admin"] is False


@pytest.mark.parametrize(
    ("username", "password"),
    [("abc", "x" * 8), ("a" * 80, "x" * 128)],
    ids=["minimum", "maximum"],
)
def test_register_boundaries(auth, username, password):
    response = auth.register(username, password)
    assert response.status_code == 201
    assert response.json == CREATED
    assert auth.login(username, password).status_code == 200


# --- login ------------------------------------------------------------------


def test_login_tokens(auth):
    auth.register()
    response = auth.login()
    assert response.status_code == 200
    assert set(response.json) == {"access_token", "refresh_token"}
    access = decode(response.json["access_token"])
    refresh = decode(response.json["refresh_token"])
    assert access["fresh"] is True
    assert access["type"] == "access"
    assert isinstance(access["sub"], str)
    assert int(access["sub"]) >= 1
    assert access["is_admin"] is False
    assert isinstance(access["sid"], str)
    assert access["jti"]
    assert access["iat"] <= now() + 1
    assert access["nbf"] <= now() + 1
    assert access["exp"] > now()
    assert refresh["type"] == "refresh"
    assert refresh["sub"] == access["sub"]
    assert refresh["sid"] == access["sid"]
    assert refresh["jti"] != access["jti"]


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("alice", "")],
    ids=["wrong-password", "unknown-user", "empty-password"],
)
def test_login_invalid(auth, username, password):
    auth.register()
    assert_401(auth.login(username, password), INVALID_CREDENTIALS)


def test_login_unknown_field(client, auth):
    auth.register()
    response = client.post(
        "/login", json={"username": "alice", "password": PASSWORD, "is_admin": True}
    )
    assert response.status_code == 422


# --- my-info ------------------------------------------------------------------


def test_my_info(client, auth):
    tokens = auth.tokens()
    response = client.get("/my-info", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert response.json == {
        "id": user_id(tokens),
        "username": "alice",
        "is_admin": False,
        **NO_EMAIL,
    }


def test_my_info_needs_token(client):
    assert_401(client.get("/my-info"), MISSING)


# --- GET /user/<id> -------------------------------------------------------------


def test_get_self(client, auth):
    tokens = auth.tokens()
    uid = user_id(tokens)
    response = client.get(f"/user/{uid}", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert response.json == {"id": uid, "username": "alice", "is_admin": False}


def test_get_other_user_forbidden(client, auth):
    bob = user_id(auth.tokens("bob"))
    headers = auth.headers("alice")
    for uid in (bob, 9999):  # existing or not: the same answer, so ids cannot be probed
        response = client.get(f"/user/{uid}", headers=headers)
        assert response.status_code == 403
        assert response.json == ADMIN_REQUIRED


def test_get_user_needs_token(client, auth):
    uid = user_id(auth.tokens())
    assert_401(client.get(f"/user/{uid}"), MISSING)


def test_admin_gets_any_user(client, auth, runner):
    bob = user_id(auth.tokens("bob"))
    headers = auth.admin_headers(runner)
    response = client.get(f"/user/{bob}", headers=headers)
    assert response.status_code == 200
    assert response.json == {"id": bob, "username": "bob", "is_admin": False}
    missing = client.get("/user/9999", headers=headers)
    assert missing.status_code == 404
    assert missing.json["code"] == 404


# --- DELETE /user/<id> ------------------------------------------------------------


def test_delete_needs_fresh_token(client, auth):
    headers = auth.non_fresh_headers()
    uid = int(client.get("/my-info", headers=headers).json["id"])
    assert_401(client.delete(f"/user/{uid}", headers=headers), NOT_FRESH)
    assert client.get("/my-info", headers=headers).status_code == 200


def test_delete_self(client, auth):
    tokens = auth.tokens()
    uid = user_id(tokens)
    headers = bearer(tokens["access_token"])
    response = client.delete(f"/user/{uid}", headers=headers)
    assert response.status_code == 200
    assert response.json == {"message": "User deleted."}
    assert_401(client.get("/my-info", headers=headers), REVOKED)
    assert_401(client.post("/refresh", headers=bearer(tokens["refresh_token"])), REVOKED)
    assert_401(auth.login(), INVALID_CREDENTIALS)
    # The name is free again.
    assert auth.register().status_code == 201


def test_delete_ends_every_session(client, auth):
    first = auth.tokens()
    second = auth.tokens()
    uid = user_id(first)
    assert client.delete(f"/user/{uid}", headers=bearer(second["access_token"])).status_code == 200
    assert_401(client.get("/my-info", headers=bearer(first["access_token"])), REVOKED)


def test_admin_deletes_other(client, auth, runner):
    bob_tokens = auth.tokens("bob")
    bob = user_id(bob_tokens)
    headers = auth.admin_headers(runner)
    response = client.delete(f"/user/{bob}", headers=headers)
    assert response.status_code == 200
    assert response.json == {"message": "User deleted."}
    assert_401(client.get("/my-info", headers=bearer(bob_tokens["access_token"])), REVOKED)
    assert client.get(f"/user/{bob}", headers=headers).status_code == 404
    assert client.delete(f"/user/{bob}", headers=headers).status_code == 404


def test_non_admin_cannot_delete_other(client, auth):
    bob_tokens = auth.tokens("bob")
    bob = user_id(bob_tokens)
    headers = auth.headers("alice")
    for uid in (bob, 9999):
        response = client.delete(f"/user/{uid}", headers=headers)
        assert response.status_code == 403
        assert response.json == ADMIN_REQUIRED
    assert client.get("/my-info", headers=bearer(bob_tokens["access_token"])).status_code == 200


# --- PUT /my-info/password ----------------------------------------------------------


def change_password(client, headers, current=PASSWORD, new="a brand new password"):
    return client.put(
        "/my-info/password",
        json={"current_password": current, "new_password": new},
        headers=headers,
    )


def test_change_password(client, auth):
    tokens = auth.tokens()
    other_session = auth.login().json
    headers = bearer(tokens["access_token"])
    response = change_password(client, headers)
    assert response.status_code == 200
    assert response.json == {"message": "Password changed."}
    for old in (tokens, other_session):
        assert_401(client.get("/my-info", headers=bearer(old["access_token"])), REVOKED)
        assert_401(client.post("/refresh", headers=bearer(old["refresh_token"])), REVOKED)
    assert_401(auth.login(), INVALID_CREDENTIALS)
    assert auth.login(password="a brand new password").status_code == 200


def test_change_password_needs_fresh_token(client, auth):
    headers = auth.non_fresh_headers()
    assert_401(change_password(client, headers), NOT_FRESH)
    assert auth.login().status_code == 200


def test_change_password_wrong_current(client, auth):
    headers = auth.headers()
    response = change_password(client, headers, current="not my password")
    assert_401(response)
    assert response.json == INVALID_CREDENTIALS
    assert client.get("/my-info", headers=headers).status_code == 200
    assert auth.login().status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"current_password": PASSWORD, "new_password": "x" * 7},
        {"current_password": PASSWORD, "new_password": "x" * 129},
        {"current_password": PASSWORD},
        {"new_password": "a brand new password"},
        {"current_password": PASSWORD, "new_password": "a brand new password", "extra": 1},
    ],
    ids=["short", "long", "no-new", "no-current", "unknown-field"],
)
def test_change_password_rejects(client, auth, body):
    headers = auth.headers()
    response = client.put("/my-info/password", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"]["json"]
    assert auth.login().status_code == 200


# --- flask create-admin ---------------------------------------------------------------


def test_create_admin_creates(client, auth, runner):
    result = runner.invoke(args=["create-admin", "root", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    tokens = auth.login("root").json
    assert decode(tokens["access_token"])["is_admin"] is True
    info = client.get("/my-info", headers=bearer(tokens["access_token"])).json
    assert info == {"id": user_id(tokens), "username": "root", "is_admin": True, **NO_EMAIL}


def test_create_admin_prompts_for_password(auth, runner):
    result = runner.invoke(args=["create-admin", "root"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert decode(auth.login("root").json["access_token"])["is_admin"] is True


def test_create_admin_promotes_existing(client, auth, runner):
    before = auth.tokens()
    assert decode(before["access_token"])["is_admin"] is False
    result = runner.invoke(args=["create-admin", "alice", "--password", "ignored password"])
    assert result.exit_code == 0, result.output
    # The existing password is kept.
    after = auth.login()
    assert after.status_code == 200
    assert decode(after.json["access_token"])["is_admin"] is True
    bob = user_id(auth.tokens("bob"))
    assert client.get(f"/user/{bob}", headers=bearer(after.json["access_token"])).status_code == 200


def test_create_admin_rejects_short_password(auth, runner):
    result = runner.invoke(args=["create-admin", "root", "--password", "short"])
    assert result.exit_code != 0
    assert_401(auth.login("root", "short"), INVALID_CREDENTIALS)


def test_first_user_is_not_admin(client, auth):
    tokens = auth.tokens()
    # The first user to sign up (id 1) gets no admin rights.
    assert user_id(tokens) == 1
    assert decode(tokens["access_token"])["is_admin"] is False
    response = client.get("/user/9999", headers=bearer(tokens["access_token"]))
    assert response.status_code == 403


# --- passwords and hashes ---------------------------------------------------------------


def test_no_password_or_hash_in_responses(app, client, auth, runner):
    responses = [auth.register(), auth.login()]
    tokens = responses[1].json
    uid = user_id(tokens)
    headers = bearer(tokens["access_token"])
    responses += [
        client.get("/my-info", headers=headers),
        client.get(f"/user/{uid}", headers=headers),
        client.post("/refresh", headers=bearer(tokens["refresh_token"])),
        client.get(f"/user/{uid}", headers=auth.admin_headers(runner)),
    ]
    secret_hash = stored_hash(app, "alice")
    assert secret_hash.startswith("$argon2id$")
    texts = [r.get_data(as_text=True) for r in responses]
    texts += [json.dumps(decode(t)) for t in tokens.values()]
    for text in texts:
        assert PASSWORD not in text
        assert "$argon2" not in text
        assert "pbkdf2" not in text
        assert secret_hash not in text


def test_legacy_pbkdf2_hash_is_upgraded(app, auth):
    legacy = pbkdf2_sha256.hash(PASSWORD)
    with app.app_context():
        db.session.add(User(username="legacy", password=legacy))
        db.session.commit()
    assert_401(auth.login("legacy", "wrong password"), INVALID_CREDENTIALS)
    assert stored_hash(app, "legacy") == legacy
    response = auth.login("legacy")
    assert response.status_code == 200
    assert decode(response.json["access_token"])["is_admin"] is False
    assert stored_hash(app, "legacy").startswith("$argon2id$")
    assert auth.login("legacy").status_code == 200


def test_new_users_get_argon2id(app, auth):
    auth.register()
    assert stored_hash(app, "alice").startswith("$argon2id$")


def test_successful_logins_keep_a_bounded_number_of_sessions(app, client, auth, monkeypatch):
    """A login past MAX_SESSIONS_PER_USER ends the oldest session, never the new one."""
    app.config["MAX_SESSIONS_PER_USER"] = 3
    auth.register()
    clock = iter(range(now(), now() + 100))  # one second apart, so "oldest" is exact
    monkeypatch.setattr("security.sessions.time.time", lambda: next(clock))
    logins = [auth.login().json for _ in range(5)]
    live = [
        client.get("/my-info", headers=bearer(tokens["access_token"])).status_code == 200
        for tokens in logins
    ]
    assert live == [False, False, True, True, True]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 3


def test_a_login_whose_password_changed_meanwhile_gets_no_session(app, auth):
    """The session insert checks the hash the login verified (the race itself is in
    test_server_races): a stale hash, or a user deleted meanwhile, starts nothing."""
    from security.sessions import start_session

    auth.register()
    with app.test_request_context():
        user = db.session.execute(select(User)).scalar_one()
        assert start_session(user, "$argon2id$a-hash-it-no-longer-has") is None
        assert start_session(user, user.password) is not None
        db.session.delete(user)
        db.session.flush()
        assert start_session(user, user.password) is None
        db.session.rollback()
