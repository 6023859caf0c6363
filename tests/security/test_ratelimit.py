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


def test_a_limit_follows_its_view_not_its_name():
    """The limit is on the view: a view of another name, in a blueprint of another name,
    marked `limited`, is limited (the names were strings in limits.py, and renaming a
    view dropped its limit without a word)."""
    from flask import Flask
    from flask.views import MethodView
    from flask_smorest import Api, Blueprint

    from security import limits

    app = Flask(__name__)
    app.config.update(
        API_TITLE="t",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        RATELIMIT_LOGIN_FAILURES="2 per minute",
        RATELIMIT_LOGIN_FAILURES_PER_CLIENT="100 per minute",
        RATELIMIT_STORAGE_URI="memory://",
    )
    blp = Blueprint("accounts", __name__)

    @blp.route("/sign-in")
    class SignIn(MethodView):
        @limits.limited(blp, limits.LOGIN)
        def post(self):
            return {"message": "no"}, 401

    Api(app).register_blueprint(blp)
    limits.init_app(app)
    client = app.test_client()
    statuses = [client.post("/sign-in", json={"username": "a"}).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_a_huge_username_is_refused_cheaply_and_counted(client, auth, monkeypatch):
    """A 1 MiB body of U+FDFA (18 characters each once normalized): no normalization of
    it anywhere (it cost 1.2 s a login and an 11.5 MB Redis key), and its 422 counts."""
    import models.user
    import security.limits
    import security.sessions
    import validation.validators

    normalized = []

    def spy(username):
        normalized.append(len(username))
        return models.user.username_key(username)

    for module in (security.limits, validation.validators, security.sessions):
        monkeypatch.setattr(module, "username_key", spy)
    huge = {"username": "\ufdfa" * 150_000, "password": "x"}
    answers = [client.post("/login", json=huge).status_code for _ in range(4)]
    assert answers == [422, 422, 422, 429]
    assert client.post("/register", json=huge).status_code == 422
    assert max(normalized, default=0) <= 255


def test_refused_logins_count(client, auth):
    """A login whose body is refused (422) counts like a wrong password."""
    auth.register()
    for _ in range(3):
        answer = client.post("/login", json={"username": "alice", "password": 5})
        assert answer.status_code == 422
    assert auth.login().status_code == 429


def test_parallel_wrong_logins_are_counted_before_they_are_checked(tmp_path):
    """40 wrong logins at once against gunicorn and a shared Redis, limit 10: at most 10
    passwords are checked (counting after the answer let 13 of 40 through)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import redis_url
    from tests.server import database_url, serving

    with serving(
        database_url(tmp_path, "limits.db"),
        RATELIMIT_STORAGE_URI=redis_url(),
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        RATELIMIT_LOGIN_FAILURES="10 per minute",
    ) as server:
        server.tokens("alice")
        wrong = {"username": "alice", "password": "not the password"}
        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(lambda _: server.call("POST", "/login", wrong)[0], range(40)))
    assert sorted(set(answers)) == [401, 429]
    assert answers.count(401) <= 10, answers.count(401)
