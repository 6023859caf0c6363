"""PostgreSQL or Redis going away while the app runs: clear 503s (or degraded
limits), no 500s, no hangs, and recovery without a restart. A TCP proxy in front
of the real server is cut and restored, as a network partition would."""

import contextlib
import gc
import logging
import os
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
import redis
from sqlalchemy import make_url

from app import create_app
from db import db
from tests.conftest import PASSWORD, REDIS_URL, SECRET, bearer, redis_url, redis_via

# Connections cut by the outage are left for the garbage collector by their clients
# (psycopg, redis-py); collect them here so their ResourceWarnings stay in this module.
# Outages, each waited out in real time: the system tier (make test-system).
pytestmark = [
    pytest.mark.system,
    pytest.mark.filterwarnings(
        "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
    ),
]


@pytest.fixture(autouse=True)
def _collect_cut_connections():
    yield
    gc.collect()


class Proxy:
    """A TCP forwarder on a fixed local port that can be cut and restored, or made to
    hang: accept and read, never forward or answer (a server that stops responding)."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.hanging = False
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.sockets: list[socket.socket] = []

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.sockets = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.hanging:
                self.sockets.append(client)
                threading.Thread(target=self._pump, args=(client, None), daemon=True).start()
                continue
            upstream = socket.create_connection(self.upstream)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                if target is not None and not self.hanging:
                    target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError, AttributeError):
                    s.shutdown(socket.SHUT_RDWR)


def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL outage tests run in the PostgreSQL pass (TEST_DATABASE_URL)")
    return url


@pytest.fixture
def pg_proxy():
    proxy = Proxy(5432)
    proxy.start()
    yield proxy
    proxy.stop()


def test_database_outage_answers_503_and_recovers(pg_proxy):
    url = make_url(postgres_url()).set(port=pg_proxy.port).render_as_string(hide_password=False)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "JWT_SECRET_KEY": SECRET, "ARGON2_MEMORY_COST": 1024}
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    client = app.test_client()
    client.post("/register", json={"username": "alice", "password": PASSWORD})
    tokens = client.post("/login", json={"username": "alice", "password": PASSWORD}).json
    headers = bearer(tokens["access_token"])
    assert client.post("/store", json={"name": "Kept"}, headers=headers).status_code == 201

    pg_proxy.stop()
    for method, path in [("GET", "/ready"), ("GET", "/store"), ("GET", "/my-info")]:
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 503, (path, response.json)
        assert response.json["code"] == 503
        assert response.json["status"] == "Service Unavailable"
        assert response.json["message"]
        assert response.headers["Retry-After"]
    assert client.get("/health").status_code == 200  # liveness needs no database

    pg_proxy.start()
    assert client.get("/ready").status_code == 200
    assert [s["name"] for s in client.get("/store").json] == ["Kept"]
    assert client.get("/my-info", headers=headers).status_code == 200
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_redis_outage_falls_back_to_memory_and_returns(app, caplog):
    store = redis.Redis.from_url(redis_url())
    proxy = Proxy(urlsplit(REDIS_URL).port or 6379)
    proxy.start()
    prefix = f"test-{uuid.uuid4().hex}"
    limited = create_app(
        {
            **app.config,
            "RATELIMIT_STORAGE_URI": redis_via(proxy.port),
            "RATELIMIT_KEY_PREFIX": prefix,
        }
    )
    client = limited.test_client()
    client.post("/register", json={"username": "alice", "password": PASSWORD})
    wrong = {"username": "alice", "password": "wrong password"}
    assert client.post("/login", json=wrong).status_code == 401
    assert store.keys(f"*{prefix}*")

    proxy.stop()
    with caplog.at_level(logging.WARNING):
        assert client.post("/login", json=wrong).status_code == 401
        assert client.post("/login", json={**wrong, "password": PASSWORD}).status_code == 200

    proxy.start()
    time.sleep(2.1)  # Flask-Limiter re-checks a dead storage with exponential backoff
    try:
        store.delete(*store.keys(f"*{prefix}*"))
        for _ in range(3):
            client.post("/login", json=wrong)
        assert store.keys(f"*{prefix}*"), "the limiter went back to Redis"
    finally:
        proxy.stop()


def test_redis_lost_during_a_login_costs_no_500(app, monkeypatch):
    """Redis goes away while a login checks its password: the answer is still 401, and
    the next failures are counted in memory (the count written after the answer was a
    500 for the first failed login of an outage)."""
    import security.sessions

    try:
        redis.Redis(socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    proxy = Proxy(6379)
    proxy.start()
    limited = create_app(
        {
            **app.config,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{proxy.port}",
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "RATELIMIT_LOGIN_FAILURES": "2 per minute",
        }
    )
    client = limited.test_client()
    client.post("/register", json={"username": "alice", "password": PASSWORD})
    verify = security.sessions.verify_password

    def outage_while_verifying(*args):
        proxy.stop()
        return verify(*args)

    monkeypatch.setattr(security.sessions, "verify_password", outage_while_verifying)
    wrong = {"username": "alice", "password": "wrong password"}
    try:
        answers = [client.post("/login", json=wrong).status_code for _ in range(4)]
        # The first counted in Redis; memory starts afresh for the other two.
        assert answers == [401, 401, 401, 429]
    finally:
        proxy.stop()


def test_hung_redis_costs_a_login_a_bounded_wait(app):
    """Redis that accepts but never answers: the socket timeout and the in-memory
    fallback answer login and register instead of holding the worker."""
    redis_url()  # skips (or fails in CI) without Redis
    proxy = Proxy(urlsplit(REDIS_URL).port or 6379)
    proxy.start()
    limited = create_app(
        {
            **app.config,
            "RATELIMIT_STORAGE_URI": redis_via(proxy.port),
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    )
    client = limited.test_client()
    credentials = {"username": "alice", "password": PASSWORD}
    try:
        assert client.post("/register", json=credentials).status_code == 201
        proxy.hanging = True
        started = time.monotonic()
        assert client.post("/login", json={**credentials, "password": "nope"}).status_code == 401
        assert client.post("/login", json=credentials).status_code == 200
        assert client.post("/register", json={**credentials, "username": "bob"}).status_code == 201
        assert time.monotonic() - started < 6
    finally:
        proxy.stop()


def test_hung_database_answers_503_within_a_bound_and_recovers(tmp_path):
    """PostgreSQL whose connections accept but never answer, under gunicorn: each
    request gets 503 JSON with Retry-After in seconds, not a worker killed at 30 s."""
    from tests.server import Server, empty, flask, server_env

    real = postgres_url()
    proxy = Proxy(5432)
    proxy.start()
    url = make_url(real).set(port=proxy.port).render_as_string(hide_password=False)
    empty(real)
    env = server_env(url, DATABASE_TIMEOUT="1")  # statement_timeout 1 s, deadline 3 s
    flask(env, "db", "upgrade")
    server = Server(env).start()
    try:
        tokens = server.tokens("alice")
        status, store = server.call("POST", "/store", {"name": "Kept"}, tokens["access_token"])
        assert status == 201
        credentials = {"username": "alice", "password": PASSWORD}

        proxy.hanging = True
        for method, path, body in [
            ("GET", f"/store/{store['id']}", None),
            ("POST", "/login", credentials),
            ("GET", f"/store/{store['id']}", None),
        ]:
            started = time.monotonic()
            status, answer = server.call(method, path, body)
            assert status == 503, (path, answer)
            assert answer["code"] == 503 and answer["message"]
            assert time.monotonic() - started < 8
        assert server.call("GET", "/health")[0] == 200

        proxy.hanging = False
        deadline = time.monotonic() + 15
        while server.call("GET", f"/store/{store['id']}")[0] != 200:
            assert time.monotonic() < deadline, "no recovery after the database answered again"
            time.sleep(0.5)
        assert server.call("POST", "/login", credentials)[0] == 200
    finally:
        server.stop()
        proxy.stop()
        empty(real)


def test_database_restart_costs_no_get_an_error():
    """Every pooled connection closed under gunicorn's workers, as a PostgreSQL restart
    closes them: the public and authenticated GETs that follow all answer 200 (a read
    runs once more on a fresh connection, connections.read), and so do writes (their checkout
    pings first), on every worker, after each of several restarts."""
    from tests.server import Server, empty, flask, server_env

    real = postgres_url()
    proxy = Proxy(5432)
    proxy.start()
    url = make_url(real).set(port=proxy.port).render_as_string(hide_password=False)
    empty(real)
    env = server_env(url)
    flask(env, "db", "upgrade")
    server = Server(env).start()
    try:
        token = server.tokens("alice")["access_token"]
        status, store = server.call("POST", "/store", {"name": "Kept"}, token)
        assert status == 201
        item = {"name": "thing", "price": 1, "store_id": store["id"]}
        assert server.call("POST", "/item", item, token)[0] == 201
        gets = [
            (f"/store/{store['id']}", None),
            ("/store", None),
            (f"/item?store_id={store['id']}", None),
            ("/my-info", token),
        ]
        for restart in range(3):
            for path, auth in gets * 4:  # every worker's pool holds live connections
                assert server.call("GET", path, token=auth)[0] == 200
            proxy.stop()  # the server goes away, closing every connection
            proxy.start()
            answers = [(path, *server.call("GET", path, token=auth)) for path, auth in gets * 4]
            assert all(status == 200 for _, status, _ in answers), (restart, answers)
            name = {"name": f"after restart {restart}", "price": 1, "store_id": store["id"]}
            proxy.stop()
            proxy.start()
            assert server.call("POST", "/item", name, token)[0] == 201
    finally:
        server.stop()
        proxy.stop()
        empty(real)


@pytest.mark.system
def test_the_breaker_opens_fails_fast_and_closes_by_itself(pg_proxy):
    """A few timeouts open the circuit breaker: the next request is a 503 with
    Retry-After at once instead of another wait; once PostgreSQL answers again the
    breaker's background try closes it, without a request paying for the try."""
    url = make_url(postgres_url()).set(port=pg_proxy.port).render_as_string(hide_password=False)
    settings = {"SQLALCHEMY_DATABASE_URI": url, "JWT_SECRET_KEY": SECRET}
    app = create_app(
        settings
        | {
            "DATABASE_TIMEOUT": 0.5,
            "DATABASE_DEADLINE": 1,
            "DATABASE_BREAKER_FAILURES": 2,
            "DATABASE_BREAKER_COOLDOWN": 1,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    client = app.test_client()
    try:
        assert client.get("/store").status_code == 200
        pg_proxy.hanging = True
        for _ in range(2):
            assert client.get("/store").status_code == 503
        for _ in range(3):
            started = time.monotonic()
            response = client.get("/store")
            assert response.status_code == 503
            assert time.monotonic() - started < 0.2
            assert response.json["message"] == "The database is unavailable. Try again shortly."
            assert 1 <= int(response.headers["Retry-After"]) <= 2
        assert client.get("/health").status_code == 200

        pg_proxy.hanging = False
        deadline = time.monotonic() + 10
        while client.get("/store").status_code != 200:
            assert time.monotonic() < deadline, "the breaker did not close"
            time.sleep(0.1)
    finally:
        pg_proxy.hanging = False
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


@pytest.mark.system
def test_health_answers_within_a_second_while_readers_wait_on_a_hung_database():
    """16 readers loop on a store while PostgreSQL hangs, under gunicorn's sync workers:
    once each worker's breaker has opened (a few deadlines), /health answers within a
    second throughout, and the readers get 503s at once. (Before, every worker sat
    out its deadline for each reader, and every probe took over 3 s.)"""
    from concurrent.futures import ThreadPoolExecutor

    from tests.server import Server, empty, flask, server_env

    real = postgres_url()
    proxy = Proxy(5432)
    proxy.start()
    url = make_url(real).set(port=proxy.port).render_as_string(hide_password=False)
    empty(real)
    env = server_env(
        url, DATABASE_TIMEOUT="1", DATABASE_BREAKER_FAILURES="2", DATABASE_BREAKER_COOLDOWN="2"
    )
    flask(env, "db", "upgrade")
    server = Server(env).start()
    stop = threading.Event()
    try:
        status, store = server.call(
            "POST", "/store", {"name": "Kept"}, server.tokens("alice")["access_token"]
        )
        assert status == 201
        path = f"/store/{store['id']}"
        proxy.hanging = True

        def reader(_):
            answers = []
            while not stop.is_set():
                answers.append(server.call("GET", path)[0])
            return answers

        def timed(path):
            started = time.monotonic()
            status = server.call("GET", path)[0]
            return status, time.monotonic() - started

        with ThreadPoolExecutor(16) as pool:
            readers = [pool.submit(reader, n) for n in range(16)]
            opened = time.monotonic() + 40
            while timed(path)[1] > 0.2 or timed(path)[1] > 0.2:  # every worker refuses at once
                assert time.monotonic() < opened, "the breakers did not open"
            probes = []
            until = time.monotonic() + 8  # four cool-downs: the background tries go on
            while time.monotonic() < until:
                probes.append(timed("/health"))
                time.sleep(0.1)
            stop.set()
            answers = [status for f in readers for status in f.result()]
        assert {status for status, _ in probes} == {200}
        assert max(seconds for _, seconds in probes) < 1, sorted(s for _, s in probes)[-5:]
        assert set(answers) == {503}

        proxy.hanging = False
        deadline = time.monotonic() + 15
        while server.call("GET", path)[0] != 200:
            assert time.monotonic() < deadline, "no recovery after the database answered again"
            time.sleep(0.5)
    finally:
        stop.set()
        server.stop()
        proxy.stop()
        empty(real)
