"""Brute-force limits: failed logins per client and username, sign-ups per client."""

import uuid

import pytest

from app import create_app
from tests.conftest import PASSWORD, redis_url

WRONG = {"username": "alice", "password": "not the password"}


@pytest.fixture
def app(app):
    app.config.update(RATELIMIT_LOGIN_FAILURES="3 per minute", RATELIMIT_REGISTER="2 per minute")
    return app


def test_failed_logins_are_limited_then_even_the_right_password_waits(client, auth):
    auth.register()
    for _ in range(3):
        assert client.post("/login", json=WRONG).status_code == 401
    for password in ("not the password", PASSWORD):
        response = client.post("/login", json={"username": "alice", "password": password})
        assert response.status_code == 429
        assert response.json["message"] == "Too many failed logins. Try again later."
        assert response.json["code"] == 429
        assert int(response.headers["Retry-After"]) > 0


def test_successful_logins_do_not_count(client, auth):
    auth.register()
    for _ in range(5):
        assert auth.login().status_code == 200


def test_limit_is_per_username(client, auth):
    auth.register("alice")
    auth.register("bob")
    for _ in range(3):
        client.post("/login", json=WRONG)
    assert auth.login("bob").status_code == 200


def test_failed_logins_across_usernames_are_limited_per_client(app, client, auth):
    """Spraying a password over many accounts: each username stays under its own limit,
    the client as a whole does not."""
    app.config["RATELIMIT_LOGIN_FAILURES_PER_CLIENT"] = "5 per minute"
    auth.register("alice")
    answers = [
        client.post("/login", json={"username": f"user{n}", "password": "guess"}) for n in range(5)
    ]
    assert [r.status_code for r in answers] == [401] * 5
    for username, password in (("user5", "guess"), ("alice", PASSWORD)):
        response = client.post("/login", json={"username": username, "password": password})
        assert response.status_code == 429
        assert response.json["message"] == "Too many failed logins. Try again later."
        assert int(response.headers["Retry-After"]) > 0
    other = app.test_client()
    other_client = {"REMOTE_ADDR": "192.0.2.7"}  # another address is not limited
    assert auth.login().status_code == 429
    response = other.post(
        "/login", json={"username": "alice", "password": PASSWORD}, environ_base=other_client
    )
    assert response.status_code == 200


def test_registration_is_limited_per_client(client, auth):
    assert auth.register("user1").status_code == 201
    assert auth.register("user2").status_code == 201
    response = auth.register("user3")
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert response.json["message"]


def test_workers_sharing_redis_share_the_limit(app, auth):
    """Two app instances (as two gunicorn workers) count failures together."""
    settings = {
        **app.config,
        "RATELIMIT_STORAGE_URI": redis_url(),
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    first, second = create_app(settings), create_app(settings)
    first.test_client().post("/register", json={"username": "alice", "password": PASSWORD})
    for worker in (first, second, first):
        assert worker.test_client().post("/login", json=WRONG).status_code == 401
    assert second.test_client().post("/login", json=WRONG).status_code == 429
