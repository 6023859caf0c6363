"""`make serve` as production runs it: nginx in front of gunicorn. Slow and idle
clients cannot starve the sync workers, nginx's own errors are JSON, and the rate
limits see the real client, not an X-Forwarded-For header the client wrote."""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from app import create_app
from db import db
from deploy.database import ensure
from tests.conftest import PASSWORD, SECRET, missing, redis_url
from tests.server import BIN, ROOT, Server, empty, flask, free_port, server_env

# One pytest-xdist worker runs this file: its module-scoped servers start once.
pytestmark = pytest.mark.xdist_group("serve")

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def limited_env(database: str) -> dict:
    return server_env(
        database, RATELIMIT_LOGIN_FAILURES="3 per minute", RATELIMIT_STORAGE_URI=redis_url()
    )


class Serve(Server):
    """deploy/serve.sh (what `make serve` runs) on a free port, in its own process group."""

    def __init__(self, env: dict, run_dir: Path):
        super().__init__(env)
        self.run_dir = run_dir

    def start(self) -> "Serve":
        env = {
            **self.env,
            "PORT": str(self.port),
            "RUN_DIR": str(self.run_dir),
            "BIN": str(BIN),
            "WEB_CONCURRENCY": "2",
            "CLIENT_TIMEOUT": "2",
        }
        self.log = self.run_dir.parent / "serve.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [ROOT / "deploy" / "serve.sh"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90  # a loaded machine takes long to import the app
        while "serving on" not in self.log.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"make serve did not start:\n{self.log.read_text()}")
            time.sleep(0.05)
        # Said only once the app answers through nginx: the very first call gets it.
        assert self.call("GET", "/health")[0] == 200
        return self

    def stop(self) -> None:
        """SIGTERM to the runner alone: it must stop nginx and gunicorn itself."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    if not Path(NGINX).exists():
        missing("nginx (apt-get install nginx-light)")
    tmp = tmp_path_factory.mktemp("serve")
    database = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'serve.db'}"
    empty(database)  # the runner's `flask db upgrade` builds the schema
    server = Serve(limited_env(database), tmp / "run").start()
    yield server
    server.stop()
    empty(database)
    assert not (tmp / "run" / "nginx.pid").exists(), "nginx outlived the runner"


def test_nginx_listens_on_host_only(serve):
    """HOST (default 127.0.0.1), not every interface."""
    conf = (serve.run_dir / "nginx.conf").read_text()
    assert re.findall(r"listen\s+(\S+)", conf) == [f"127.0.0.1:{serve.port}"]
    assert f"serving on http://127.0.0.1:{serve.port} " in serve.log.read_text()


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path):
    if not Path(NGINX).exists():
        missing("nginx (apt-get install nginx-light)")
    port = free_port()  # nothing listens there
    env = server_env(f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere")
    result = subprocess.run(
        [ROOT / "deploy" / "serve.sh"],
        cwd=ROOT,
        env=env | {"BIN": str(BIN), "RUN_DIR": str(tmp_path / "run"), "PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "make serve:" in line]
    assert "nowhere" in line or str(port) in line
    assert "DATABASE_URL" in line


def test_a_missing_postgresql_database_is_created(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the PostgreSQL pass (TEST_DATABASE_URL) runs this")
    base = make_url(url)
    name = f"{base.database}_serve_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        assert ensure(base.set(database=name).render_as_string(hide_password=False)) is None
        with admin.connect() as connection:
            assert connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def raw(port: int, data: bytes, timeout: float = 5) -> bytes:
    """Send bytes as they are; the whole answer (by its Content-Length), or what came
    before the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        answer = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := s.recv(65536):
                answer += chunk
                head, found, body = answer.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                if found and length and len(body) >= int(length[1]):
                    break
        return answer


def json_body(response: bytes) -> dict:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"application/json" in head, head
    return json.loads(body)


def health_time(server: Server) -> float:
    started = time.monotonic()
    assert server.call("GET", "/health")[0] == 200
    return time.monotonic() - started


def starve(port: int, count: int = 64) -> list[socket.socket]:
    """`count` connections trickling a request's headers and `count` saying nothing."""
    sockets = []
    for i in range(count):
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(f"GET /health HTTP/1.1\r\nHost: x\r\nX-{i}: ".encode())
        sockets += [slow, socket.create_connection(("127.0.0.1", port))]
    return sockets


def trickle(sockets: list[socket.socket]) -> None:
    for s in sockets[::2]:
        with contextlib.suppress(OSError):
            s.send(b"a")


def assert_health_fast_while_starved(server: Server) -> None:
    sockets = starve(server.port)
    try:
        for _ in range(5):
            trickle(sockets)
            assert health_time(server) < 1
            time.sleep(0.2)
    finally:
        for s in sockets:
            s.close()


@pytest.mark.system  # a slowloris flood held for seconds
def test_slow_and_idle_clients_do_not_starve_the_workers(serve):
    assert_health_fast_while_starved(serve)


@pytest.mark.system  # waits out nginx's client timeout
def test_a_short_body_is_timed_out_by_nginx_never_a_worker(serve):
    body = b'{"username": "alice"'
    with socket.create_connection(("127.0.0.1", serve.port), timeout=6) as short:
        short.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n" + body
        )
        for _ in range(3):
            assert health_time(serve) < 1  # the body is nginx's to wait for
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := short.recv(65536):
                answer += chunk
    # nginx (CLIENT_TIMEOUT=2 here) closes the connection or answers JSON, never HTML.
    if answer:
        assert json_body(answer)["code"] in (400, 408)


def test_errors_nginx_answers_itself_are_json(serve):
    too_big = raw(
        serve.port,
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2000000\r\n\r\n",
    )
    assert too_big.startswith(b"HTTP/1.1 413")
    assert json_body(too_big) == {
        "code": 413,
        "status": "Payload Too Large",
        "message": "The request body is larger than 1 MiB.",
    }
    huge_header = raw(
        serve.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
    )
    assert huge_header.startswith(b"HTTP/1.1 431")
    assert json_body(huge_header)["code"] == 431
    bad = raw(serve.port, b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400")
    assert json_body(bad) == {
        "code": 400,
        "status": "Bad Request",
        "message": "The request could not be understood.",
    }


def login_status(port: int, username: str, forwarded_for: str | None) -> int:
    body = json.dumps({"username": username, "password": "wrong password"}).encode()
    headers = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
    answer = raw(
        port,
        (
            f"POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body,
        timeout=10,
    )
    return int(answer.split(b" ", 2)[1])


def assert_limited_whatever_the_header(server: Server) -> None:
    """3 failures allowed: a fresh X-Forwarded-For on each try must not reset the count."""
    username = f"xff-{uuid.uuid4().hex[:12]}"
    server.call("POST", "/register", {"username": username, "password": PASSWORD})
    statuses = [login_status(server.port, username, f"203.0.113.{i}") for i in range(1, 6)]
    assert statuses == [401, 401, 401, 429, 429]


def test_a_spoofed_forwarded_for_does_not_reset_the_limit_through_nginx(serve):
    assert_limited_whatever_the_header(serve)


def test_direct_to_gunicorn_forwarded_for_is_ignored(tmp_path):
    env = limited_env(f"sqlite:///{tmp_path / 'direct.db'}")
    env.pop("PROXY_COUNT", None)  # the default: clients connect directly
    flask(env, "db", "upgrade")
    server = Server(env).start()
    try:
        assert_limited_whatever_the_header(server)
    finally:
        server.stop()


def test_proxy_count_trusts_the_proxy_address(tmp_path):
    """With PROXY_COUNT=1 the address nginx writes is the client the limits count."""
    proxied = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxied.db'}",
            "JWT_SECRET_KEY": SECRET,
            "PROXY_COUNT": 1,
            "RATELIMIT_LOGIN_FAILURES": "1 per minute",
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    with proxied.app_context():
        db.create_all()
    client = proxied.test_client()
    wrong = {"username": "nobody", "password": "wrong password"}
    for address in ("198.51.100.1", "198.51.100.2"):
        assert (
            client.post("/login", json=wrong, headers={"X-Forwarded-For": address}).status_code
            == 401
        )
    assert (
        client.post("/login", json=wrong, headers={"X-Forwarded-For": "198.51.100.1"}).status_code
        == 429
    )


def test_an_unreachable_app_is_a_json_502(serve):
    """gunicorn's socket gone (a crash, a restart): nginx answers 502 in the API's shape."""
    sock = serve.run_dir / "gunicorn.sock"
    moved = sock.with_name("gunicorn.sock.away")
    sock.rename(moved)
    try:
        answer = raw(serve.port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    finally:
        moved.rename(sock)
    assert answer.startswith(b"HTTP/1.1 502")
    assert json_body(answer) == {
        "code": 502,
        "status": "Bad Gateway",
        "message": "The application is not answering; try again shortly.",
    }
    assert health_time(serve) < 1
