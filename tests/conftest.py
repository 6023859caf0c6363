"""Fixtures in the flaskr style: a fresh app and database per test, a client,
a CLI runner, and helpers that sign up and log in through the real endpoints."""

import contextlib
import os
import time
from urllib.parse import urlsplit

import jwt as pyjwt
import pytest
import redis
from sqlalchemy import create_engine, make_url, text

from app import create_app
from db import db


def worker_database(url: str | None, worker: str | None) -> str | None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own, `<name>_<worker>`
    (created on first use), since every test empties the tables it uses."""
    if not (url and worker and url.startswith("postgresql")):
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


# Set before any test module reads it (they read os.environ at call time).
if url := worker_database(
    os.environ.get("TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
):
    os.environ["TEST_DATABASE_URL"] = url

# Redis for tests: a database number of its own, never the host's database 0.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    """CI=true (as .ci/run sets it): a missing service or tool fails instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip for want of `what` on a developer's machine; fail in CI, where it must be."""
    if in_ci():
        pytest.fail(f"CI must have {what}")
    pytest.skip(f"{what} not found")


def redis_url() -> str:
    """REDIS_URL once Redis answers there."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        missing(f"Redis at {REDIS_URL}")
    return REDIS_URL


def redis_via(port: int) -> str:
    """REDIS_URL's database reached through another local port (a proxy in front of it)."""
    return f"redis://127.0.0.1:{port}{urlsplit(REDIS_URL).path}"


SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
PASSWORD = "correct horse battery"

# The contract's exact JWT, admin and owner error bodies.
INVALID = {"message": "Signature verification failed.", "error": "invalid_token"}
EXPIRED = {"message": "The token has expired.", "error": "token_expired"}
MISSING = {
    "description": "Request does not contain an access token.",
    "error": "authorization_required",
}
NOT_FRESH = {"description": "The token is not fresh.", "error": "fresh_token_required"}
REVOKED = {"description": "The token has been revoked.", "error": "token_revoked"}
ADMIN_REQUIRED = {"message": "Admin privilege required.", "error": "admin_required"}
FORBIDDEN = {"message": "Only the store's owner or an admin may do that.", "error": "forbidden"}


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": os.environ.get("TEST_DATABASE_URL")
            or f"sqlite:///{tmp_path / 'test.db'}",
            "JWT_SECRET_KEY": SECRET,
            # Cheap argon2id in tests; production cost is checked in test_passwords.
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_TIME_COST": 1,
        }
    )
    with tables(app):
        yield app


@contextlib.contextmanager
def tables(app):
    """The app's tables, dropped and created empty for a test. They are not dropped after
    it: the next test drops whatever this one left, and a server test empties the database
    itself (tests/server.py), so a drop at the end would only do the work twice."""
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def apps(app):
    """Another app on the same database with other settings (as a redeploy): its client."""
    made = []

    def make(**settings):
        other = create_app(dict(app.config) | settings)
        made.append(other)
        return other.test_client()

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Auth:
    """Sign-up and login through the real endpoints."""

    def __init__(self, client):
        self.client = client

    def register(self, username="alice", password=PASSWORD):
        return self.client.post("/register", json={"username": username, "password": password})

    def login(self, username="alice", password=PASSWORD):
        return self.client.post("/login", json={"username": username, "password": password})

    def tokens(self, username="alice", password=PASSWORD) -> dict:
        """Register (if needed) and log in; the access and refresh tokens."""
        self.register(username, password)
        response = self.login(username, password)
        assert response.status_code == 200, response.json
        return response.json

    def headers(self, username="alice") -> dict:
        return bearer(self.tokens(username)["access_token"])

    def non_fresh_headers(self, username="alice") -> dict:
        refreshed = self.client.post(
            "/refresh", headers=bearer(self.tokens(username)["refresh_token"])
        )
        return bearer(refreshed.json["access_token"])

    def admin_headers(self, runner, username="root") -> dict:
        result = runner.invoke(args=["create-admin", username, "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        return bearer(self.login(username).json["access_token"])


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def owner(auth):
    """Headers of the user who owns `store`."""
    return auth.headers()


@pytest.fixture
def store(client, owner):
    return make_store(client, owner)


def decode(token: str) -> dict:
    return pyjwt.decode(token, SECRET, algorithms=["HS256"], audience="stores-api")


def forge(claims: dict, key: str = SECRET, algorithm: str = "HS256", **overrides):
    """A token with the given claims (and any overrides; None deletes a claim)."""
    payload = {**claims, **overrides}
    payload = {k: v for k, v in payload.items() if v is not None}
    return pyjwt.encode(payload, key, algorithm=algorithm)


def now() -> int:
    return int(time.time())


# Factories for the catalogue, through the API.
def make_store(client, headers, name="Shop"):
    response = client.post("/store", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def make_item(client, headers, store_id, name="Chair", price=9.99):
    response = client.post(
        "/item",
        json={"name": name, "price": price, "store_id": store_id},
        headers=headers,
    )
    assert response.status_code == 201, response.json
    return response.json


def make_tag(client, headers, store_id, name="Furniture"):
    response = client.post(f"/store/{store_id}/tag", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json
