"""Two instances of the API behind one nginx (`make serve INSTANCES=2`), on PostgreSQL
and Redis, straight or through PgBouncer in transaction mode (`PGBOUNCER=1`): every promise
holds across instances, and losing one instance to kill -9 in the middle of a mixed load
fails no GET (nginx passes it to the other) and makes no write twice (nginx never retries
a POST)."""

import contextlib
import http.client
import json
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from deploy import pgbouncer
from tests.conftest import PASSWORD, missing, redis_url
from tests.deploy.test_serve import NGINX, Serve
from tests.server import empty, server_env

pytestmark = pytest.mark.system
CLIENTS = 8  # threads, each from its own loopback address (127.0.0.2, ...)
WORKERS_AN_INSTANCE = 2
CUT = 598  # a GET whose answer broke off after its headers: nginx had passed them on


def postgres() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        if os.environ.get("CI"):
            pytest.fail("CI must run this on PostgreSQL (TEST_DATABASE_URL)")
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    if not Path(NGINX).exists():
        pytest.skip("no nginx")
    return url


@contextlib.contextmanager
def serving(tmp_path: Path, instances: int, pooled: bool = False, **settings):
    database = postgres()
    if pooled and not Path(pgbouncer.BINARY).exists():
        missing("pgbouncer (apt-get install pgbouncer)")
    empty(database)
    env = server_env(
        database,
        RATELIMIT_STORAGE_URI=redis_url(),
        INSTANCES=str(instances),
        PGBOUNCER="1" if pooled else "0",
        WEB_CONCURRENCY=str(WORKERS_AN_INSTANCE),
    )
    server = Serve(env | settings, tmp_path / f"run-{instances}")
    server.start_seconds = 120
    server.start()
    try:
        yield server
        if pooled:
            assert_pooled_and_bounded(server, database)
    finally:
        server.stop()
        empty(database)


def assert_pooled_and_bounded(server: Serve, database: str) -> None:
    """The instances' connections went through PgBouncer, whose server connections carry
    the statement and lock timeouts DATABASE_TIMEOUT (5 s) asks for."""
    assert "login attempt: db=" in (server.run_dir / "pgbouncer.log").read_text()
    ini = (server.run_dir / "pgbouncer.ini").read_text()
    for line in ("listen_addr = 127.0.0.1", "unix_socket_dir =\n", "pool_mode = transaction"):
        assert line in ini
    port = int(ini.split("listen_port = ", 1)[1].split()[0])
    engine = create_engine(
        make_url(database).set(host="127.0.0.1", port=port),
        connect_args={"prepare_threshold": None},
    )
    with engine.connect() as connection:
        shown = [connection.execute(text(f"SHOW {name}")).scalar() for name in TIMEOUTS]
    engine.dispose()
    assert shown == ["5s", "2500ms"]


TIMEOUTS = ("statement_timeout", "lock_timeout")


class UnixConnection(http.client.HTTPConnection):
    """Straight to one instance's gunicorn socket, as nginx talks to it."""

    def __init__(self, socket_path: Path):
        super().__init__("localhost", timeout=10)
        self.socket_path = str(socket_path)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.socket_path)


def call(connection, method, path, body=None, token=None, client="10.0.0.1"):
    headers = {"Content-Type": "application/json", "X-Forwarded-For": client}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def instance(server: Serve, number: int) -> UnixConnection:
    name = "gunicorn.sock" if number == 1 else f"gunicorn-{number}.sock"
    return UnixConnection(server.run_dir / name)


@pytest.mark.parametrize("pooled", [False, True], ids=["direct", "pgbouncer"])
def test_promises_hold_across_instances(tmp_path, pooled):
    with serving(
        tmp_path,
        2,
        pooled,
        JWT_REFRESH_GRACE_SECONDS="0",
        RATELIMIT_LOGIN_FAILURES="3 per minute",
    ) as server:
        one, two = instance(server, 1), instance(server, 2)
        user = {"username": f"u{uuid.uuid4().hex[:12]}", "password": PASSWORD}
        assert call(one, "POST", "/register", user)[0] == 201

        # A logout on one instance is seen by the other.
        tokens = call(one, "POST", "/login", user)[1]
        assert call(two, "GET", "/my-info", token=tokens["access_token"])[0] == 200
        assert call(one, "POST", "/logout", token=tokens["access_token"])[0] == 200
        status, body = call(two, "GET", "/my-info", token=tokens["access_token"])
        assert (status, body["error"]) == (401, "token_revoked")

        # A refresh token spent on one instance is reuse on the other, and ends the session.
        tokens = call(two, "POST", "/login", user)[1]
        status, fresh = call(one, "POST", "/refresh", token=tokens["refresh_token"])
        assert status == 200
        status, body = call(two, "POST", "/refresh", token=tokens["refresh_token"])
        assert (status, body["error"]) == (401, "token_revoked")
        status, body = call(one, "GET", "/my-info", token=fresh["access_token"])
        assert (status, body["error"]) == (401, "token_revoked")

        # Failed logins are counted in Redis, whichever instance answers.
        wrong = user | {"password": "wrong password!"}
        statuses = [call((one, two)[i % 2], "POST", "/login", wrong)[0] for i in range(4)]
        assert statuses == [401, 401, 401, 429]


class Load:
    """CLIENTS threads, each from its own loopback address through nginx: reads, writes,
    logins, refreshes and logouts, every answer recorded."""

    def __init__(self, server: Serve, users: list[dict], stores: list[int]):
        self.server, self.users, self.stores = server, users, stores
        self.results: list[tuple[str, str, int]] = []
        self.created: list[str] = []
        self.broken: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.run_id = uuid.uuid4().hex[:6]  # item names never repeat across runs

    def record(self, method, path, status):
        with self.lock:
            self.results.append((method, path, status))

    def client(self, number: int) -> None:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=30, source_address=(f"127.0.0.{number + 2}", 0)
        )
        user, store = self.users[number], self.stores[number]

        def do(method, path, body=None, token=None):
            try:
                status, answer = call(connection, method, path, body, token)
            except http.client.IncompleteRead as error:
                connection.close()
                status, answer = CUT, None
                with self.lock:
                    self.broken.append(f"{method} {path}: {error!r}")
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                status, answer = 599, None  # the answer broke off: the instance died mid-way
                with self.lock:
                    self.broken.append(f"{method} {path}: {error!r}")
            self.record(method, path.split("?")[0], status)
            return status, answer

        tokens = do("POST", "/login", user)[1]
        step = 0
        while not self.stop.is_set():
            step += 1
            do("GET", "/store?page_size=10")
            do("GET", f"/store/{store}")
            if tokens:
                do("GET", "/my-info", token=tokens["access_token"])
                name = f"{self.run_id}-c{number}-{step}"
                body = {"name": name, "price": 1, "store_id": store}
                if do("POST", "/item", body, token=tokens["access_token"])[0] == 201:
                    with self.lock:
                        self.created.append(name)
            if step % 5 == 0 and tokens:
                status, refreshed = do("POST", "/refresh", token=tokens["refresh_token"])
                tokens = refreshed if status == 200 else None
            if tokens is None:  # a refresh lost with an instance: log in again
                status, tokens = do("POST", "/login", user)
                tokens = tokens if status == 200 else None
        if tokens:
            do("POST", "/logout", token=tokens["access_token"])
        connection.close()

    def run(self, seconds: float, kill=None) -> float:
        threads = [threading.Thread(target=self.client, args=(n,)) for n in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        if kill:
            time.sleep(seconds / 2)
            kill()
            time.sleep(seconds / 2)
        else:
            time.sleep(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        return len(self.results) / (time.monotonic() - started)


def prepare(server: Serve) -> tuple[list[dict], list[int]]:
    users, stores = [], []
    for number in range(CLIENTS):
        user = {"username": f"load{number}-{uuid.uuid4().hex[:8]}", "password": PASSWORD}
        assert server.call("POST", "/register", user)[0] == 201
        token = server.call("POST", "/login", user)[1]["access_token"]
        status, store = server.call("POST", "/store", {"name": f"S-{user['username']}"}, token)
        assert status == 201, store
        users.append(user)
        stores.append(store["id"])
    return users, stores


def kill_instance(server: Serve, number: int) -> None:
    """kill -9 the instance's gunicorn master and its workers: no goodbye."""
    master = int((server.run_dir / f"gunicorn-{number}.pid").read_text())
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in [master, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def duplicated_items(database: str) -> list:
    engine = create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT name, store_id, count(*) FROM items"
                " GROUP BY name, store_id HAVING count(*) > 1"
            )
        ).all()
    engine.dispose()
    return rows


@pytest.mark.parametrize("pooled", [False, True], ids=["direct", "pgbouncer"])
@pytest.mark.parametrize("instances", [1, 2])
def test_mixed_load_and_losing_an_instance(tmp_path, instances, pooled):
    # Every run signs up CLIENTS users from 127.0.0.1, counted in the one Redis.
    unlimited = {
        "RATELIMIT_LOGIN_FAILURES": "1000 per minute",
        "RATELIMIT_REGISTER": "1000 per minute",
    }
    with serving(tmp_path, instances, pooled, **unlimited) as server:
        users, stores = prepare(server)
        steady = Load(server, users, stores)
        rate = steady.run(6)
        statuses = Counter(status for *_, status in steady.results)
        via = " through PgBouncer" if pooled else ""
        print(f"\n{instances} instance(s){via}: {rate:.0f} requests/s, {dict(statuses)}")
        assert {status for method, _, status in steady.results if method == "GET"} == {200}
        if instances == 1:
            return

        log = server.run_dir.parent / "serve.log"
        before = len(log.read_text().splitlines())
        loaded = Load(server, users, stores)
        rate = loaded.run(8, kill=lambda: kill_instance(server, 1))
        statuses = Counter((method, status) for method, _, status in loaded.results)
        # nginx logs each attempt that found the killed instance gone or going.
        attempts = sum(
            "upstream" in line and ("failed" in line or "prematurely" in line)
            for line in log.read_text().splitlines()[before:]
        )
        print(
            f"killing instance 1 mid-load: {rate:.0f} requests/s, {dict(statuses)}, "
            f"{attempts} attempt(s) on the dead instance passed on or failed"
        )
        print("broken off:", loaded.broken)  # before the asserts: what a failed GET met
        # The contract: no failed GET that nginx can retry. One whose headers nginx had
        # already passed on when the instance died (gunicorn sends the headers and the
        # body apart) is cut mid-body and cannot be retried: at most one a killed worker.
        failed_gets = [r for r in loaded.results if r[0] == "GET" and r[2] not in (200, CUT)]
        assert failed_gets == []
        assert sum(r[2] == CUT for r in loaded.results) <= WORKERS_AN_INSTANCE
        # A POST in flight on the killed instance may fail (502, or its answer broken off
        # mid-way), and is never retried.
        assert {status for method, _, status in loaded.results if method == "POST"} <= {
            200,
            201,
            502,
            599,
            CUT,
        }
        assert duplicated_items(os.environ["TEST_DATABASE_URL"]) == []
