"""The app as users run it: migrations build the schema, gunicorn serves it with two
workers, and revocation holds across workers and a restart (real HTTP, no test client)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from db import db
from tests.conftest import PASSWORD, SECRET

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture
def server_env(tmp_path):
    database = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'srv.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "JWT_SECRET_KEY": SECRET,
        "FLASK_APP": "app:create_app",
    }
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


def flask(env, *args) -> str:
    result = subprocess.run(
        [BIN / "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env):
        self.env, self.port, self.process = env, free_port(), None

    def start(self):
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "app:create_app()"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.call("GET", "/store")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)

    def call(self, method, path, body=None, token=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@pytest.fixture
def server(server_env):
    server = Server(server_env)
    server.start()
    yield server
    server.stop()


def test_migrations_match_the_models(server_env):
    assert "No new upgrade operations detected" in flask(server_env, "db", "check")


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
