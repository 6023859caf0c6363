"""The app as users run it: migrations build the schema, gunicorn serves it with two
workers, and revocation holds across workers and a restart (real HTTP, no test client)."""

import os

import pytest
from sqlalchemy import create_engine, text

from db import db
from tests.conftest import PASSWORD
from tests.server import Server, flask, server_env


@pytest.fixture
def env(tmp_path):
    database = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'srv.db'}"
    env = server_env(database)
    # Start from an empty database: the migrations alone must build the schema.
    empty(database)
    flask(env, "db", "upgrade")
    yield env
    empty(database)


def empty(url: str) -> None:
    engine = create_engine(url)
    db.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture
def server(env):
    server = Server(env).start()
    yield server
    server.stop()


def test_migrations_match_the_models(env):
    assert "No new upgrade operations detected" in flask(env, "db", "check")


def test_revocation_holds_across_workers_and_restart(server):
    credentials = {"username": "alice", "password": PASSWORD}
    assert server.call("POST", "/register", credentials)[0] == 201
    first = server.call("POST", "/login", credentials)[1]
    second = server.call("POST", "/login", credentials)[1]

    assert server.call("POST", "/logout", token=first["access_token"])[0] == 200
    # Enough calls that both workers answer some of them.
    for _ in range(10):
        status, body = server.call("GET", "/my-info", token=first["access_token"])
        assert (status, body["error"]) == (401, "token_revoked")
        assert server.call("GET", "/my-info", token=second["access_token"])[0] == 200

    status, refreshed = server.call("POST", "/refresh", token=second["refresh_token"])
    assert status == 200

    server.stop()
    server.start()

    assert server.call("GET", "/my-info", token=first["access_token"])[0] == 401
    assert server.call("POST", "/refresh", token=first["refresh_token"])[0] == 401
    assert server.call("GET", "/my-info", token=refreshed["access_token"])[0] == 200
    # The refresh token spent before the restart is still spent after it.
    status, body = server.call("POST", "/refresh", token=second["refresh_token"])
    assert (status, body["error"]) == (401, "token_revoked")
    assert server.call("GET", "/my-info", token=refreshed["access_token"])[0] == 401
