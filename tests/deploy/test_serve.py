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
        return self.start_with(CLIENT_TIMEOUT="2")

    def start_with(self, **settings: str) -> "Serve":
        env = {
            **self.env,
            "PORT": str(self.port),
            "RUN_DIR": str(self.run_dir),
            "BIN": str(BIN),
            "WEB_CONCURRENCY": "2",
            **settings,
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
    # The app's own 413 body (web/errors.py, docs/api.md), whoever answers.
    assert json_body(too_big) == {
        "code": 413,
        "status": "Request Entity Too Large",
        "message": "The request body is larger than the 1 MiB limit.",
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


def test_reads_are_rate_limited_per_address_in_json(serve):
    """400 pipelined list reads from one address: past the burst, nginx's 429 in JSON
    with Retry-After, before any worker is involved; /health is never limited."""
    read = b"GET /store?page_size=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
    last = b"GET /store?page_size=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    answer = b""
    with socket.socket() as s:
        s.settimeout(30)
        s.bind(("127.0.0.3", 0))  # its own address: the other tests' budget is untouched
        s.connect(("127.0.0.1", serve.port))
        s.sendall(read * 399 + last)
        while chunk := s.recv(1 << 20):
            answer += chunk
    assert answer.count(b"HTTP/1.1 200") >= 100  # the burst
    assert answer.count(b"HTTP/1.1 429") >= 100
    refused = answer[answer.index(b"HTTP/1.1 429") :]
    head, _, body = refused.partition(b"\r\n\r\n")
    assert b"Retry-After: 1" in head and b"application/json" in head
    assert json.loads(body.split(b"\n", 1)[0]) == {
        "code": 429,
        "status": "Too Many Requests",
        "message": "Too many requests from this client. Try again shortly.",
    }
    assert health_from_elsewhere(serve.port, source="127.0.0.3") < 1


GET = b"GET /health HTTP/1.1\r\nHost: localhost\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"TRACE / HTTP/1.1\r\nHost: localhost\r\n\r\n", 405),
        (b"GET /_errors/400.json HTTP/1.1\r\nHost: localhost\r\n\r\n", 404),
        (b"GET /store?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        (b"GET /health HTTP/2.0\r\nHost: localhost\r\n\r\n", 505),
        (GET + b"Transfer-Encoding: gzip\r\n\r\n", 501),
        (GET + b"X-Forwarded-Ssl: on\r\n\r\n", 200),  # was gunicorn's HTML 400
        (GET + b"X-Forwarded-Protocol: ssl\r\n\r\n", 200),
        (GET + b"".join(b"X-%d: a\r\n" % n for n in range(150)) + b"\r\n", 200),  # gunicorn 431
        (GET + b"X-Control: a\x01b\r\n\r\n", 400),  # gunicorn's HTML 400
    ],
    ids=[
        "trace",
        "errors-page",
        "long-line",
        "http2",
        "gzip",
        "ssl",
        "protocol",
        "150-headers",
        "ctl",
    ],
)
def test_every_answer_through_make_serve_is_json(serve, request_bytes, status):
    answer = raw(serve.port, request_bytes)
    assert answer.startswith(b"HTTP/1.1 %d" % status), answer[:300]
    body = json_body(answer)
    assert body["code"] == status if status != 200 else body == {"status": "ok"}


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (b"X-Control: a\x01b", 400),
        (b"X-Forwarded-Proto: http\r\nX-Forwarded-Ssl: on", 400),
        (b"X-Big: " + b"a" * 9000, 431),
    ],
    ids=["control", "scheme-clash", "field-size"],
)
def test_gunicorns_own_refusals_are_json(tmp_path, header, status):
    """Straight to gunicorn, no nginx: what it refuses before the app sees it is JSON."""
    env = server_env(f"sqlite:///{tmp_path / 'direct.db'}")
    server = Server(env).start()
    try:
        answer = raw(server.port, GET + header + b"\r\n\r\n")
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 %d" % status), answer[:200]
    assert json_body(answer)["code"] == status


def login_status(port: int, username: str, forwarded_for: str | None) -> int:
    body = json.dumps({"username": username, "password": "wrong password"}).encode()
    headers = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
    answer = raw(
        port,
        (
            f"POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}"
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


def health_from_elsewhere(port: int, source: str = "127.0.0.2") -> float:
    """Seconds for GET /health from 127.0.0.2, an address other than the flood's."""
    started = time.monotonic()
    with socket.socket() as s:
        s.settimeout(5)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    return time.monotonic() - started


FLOOD = 5000  # of each kind: slow bodies, slow headers, idle connections


def state(s: socket.socket) -> bytes | None:
    """What the server did with a connection so far: None while it holds it open and
    silent, b"" once it closed it, else the start of its answer."""
    s.setblocking(False)
    try:
        return s.recv(65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


@pytest.mark.system
def test_one_client_with_15000_slow_and_idle_connections_starves_no_one(tmp_path):
    """One address opens 5,000 trickling bodies, 5,000 trickling headers and 5,000 idle
    connections; nginx holds them (bodies past the per-address cap get 429 JSON) and
    /health from another address answers within a second throughout. (nginx had 4,096
    slots: it closed all but about 3,800 of these, and 4,200 slow bodies alone made
    every probe fail.)"""
    if not Path(NGINX).exists():
        pytest.skip("no nginx")
    database = f"sqlite:///{tmp_path / 'flood.db'}"
    server = Serve(server_env(database), tmp_path / "run")
    server.start_with(CLIENT_TIMEOUT="60")  # the flood must still be there when checked
    flood: list[socket.socket] = []
    seconds = []
    try:
        for n in range(FLOOD):
            body, header, idle = (
                socket.create_connection(("127.0.0.1", server.port)) for _ in "abc"
            )
            body.sendall(
                b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100000\r\n\r\n{"
            )
            header.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            flood += [body, header, idle]
            if n % 500 == 0:
                seconds.append(health_from_elsewhere(server.port))
        for _ in range(5):
            for s in flood[::3] + flood[1::3]:  # a byte on every body and header
                with contextlib.suppress(OSError):
                    s.send(b"a")
            seconds.append(health_from_elsewhere(server.port))
            time.sleep(0.2)
        states = [state(s) for s in flood]
    finally:
        for s in flood:
            s.close()
        server.stop()
    assert max(seconds) < 1, sorted(seconds)[-5:]
    held = [s is None for s in states[1::3] + states[2::3]]
    assert all(held), f"{held.count(False)} slow headers or idle connections were dropped"
    bodies = [s for s in states[::3] if s is not None]
    assert all(b.startswith(b"HTTP/1.1 429") and b"application/json" in b for b in bodies)
    assert len(bodies) >= FLOOD - 100  # at most 100 requests at once per address
