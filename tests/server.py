"""The app as users run it: a database built by `flask db upgrade`, served by gunicorn,
called over real HTTP. Shared by the server, browser and walkthrough tests."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from db import db
from tests.conftest import PASSWORD, SECRET

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APP = ["app:create_app()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database: str, **settings: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database,
        "JWT_SECRET_KEY": SECRET,
        "FLASK_APP": "app:create_app",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # the venv's flask
        **settings,
    }


def flask(env: dict, *args: str) -> str:
    result = subprocess.run(
        [BIN / "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class Server:
    """gunicorn serving the app on a free local port, and JSON calls to it."""

    def __init__(self, env: dict, workers: int = 2):
        self.env, self.workers = env, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> "Server":
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", *APP],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60  # a loaded machine takes long to import the app
        while True:
            try:
                self.call("GET", "/health")
                return self
            except OSError as error:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("gunicorn did not start") from error
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def call(self, method, path, body=None, token=None):
        request = urllib.request.Request(  # noqa: S310  (always http://127.0.0.1)
            self.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    def tokens(self, username: str) -> dict:
        """Register and log in through the API."""
        credentials = {"username": username, "password": PASSWORD}
        assert self.call("POST", "/register", credentials)[0] == 201
        status, tokens = self.call("POST", "/login", credentials)
        assert status == 200, tokens
        return tokens


def database_url(tmp_path: Path, name: str) -> str:
    """The pass's PostgreSQL database (TEST_DATABASE_URL), else a SQLite file of its own."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / name}"


def empty(url: str) -> None:
    """No tables, no Alembic version: the migrations alone must build the schema."""
    engine = create_engine(url)
    db.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@contextlib.contextmanager
def migrated(database: str, **settings: str):
    """The environment of a server on `database`, emptied and built by `flask db upgrade`
    first and emptied again after."""
    env = server_env(database, **settings)
    empty(database)
    flask(env, "db", "upgrade")
    try:
        yield env
    finally:
        empty(database)


@contextlib.contextmanager
def serving(database: str, **settings: str):
    """gunicorn (two workers) on a freshly migrated `database`."""
    with migrated(database, **settings) as env:
        server = Server(env).start()
        try:
            yield server
        finally:
            server.stop()
