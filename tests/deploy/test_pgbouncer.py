"""The app behind PgBouncer in transaction mode (DATABASE_POOLER=transaction), with a pool
of two server connections, so clients really do share them: the API's flows, migrations,
the statement and lock timeouts the pooler sets (and the refusal when it sets none),
no prepared statement that outlives its transaction, and the mail worker's lease."""

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from app import create_app
from db import db
from deploy import pgbouncer
from mail import outbox, worker
from models import Mail
from pooler import UnboundedDatabase
from tests.conftest import REVOKED, SECRET, missing, tables
from tests.server import Server, empty, flask, free_port, server_env

pytestmark = pytest.mark.xdist_group("pgbouncer")
TIMEOUT = 1  # DATABASE_TIMEOUT, seconds: statement_timeout 1s, lock_timeout 500ms


class Bouncer:
    """PgBouncer on a free port in its own folder, in front of the pass's database; an
    `unbounded` alias reaches that database with no timeouts set, as a pooler set up
    without them would."""

    def __init__(self, direct: str, run_dir: Path):
        self.direct, self.port = direct, free_port()
        self.url = pgbouncer.write(direct, run_dir, self.port, TIMEOUT, pool_size=2)
        server = make_url(direct)
        ini = run_dir / "pgbouncer.ini"
        unbounded = f"unbounded = host={server.host} port={server.port} dbname={server.database}"
        ini.write_text(ini.read_text().replace("[databases]\n", f"[databases]\n{unbounded}\n"))
        self.unbounded = (
            make_url(self.url).set(database="unbounded").render_as_string(hide_password=False)
        )
        self.log = run_dir / "pgbouncer.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(pgbouncer.command(ini), stderr=log)
        deadline = time.monotonic() + 10
        while not listening(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"pgbouncer did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def bouncer(tmp_path_factory):
    direct = os.environ.get("TEST_DATABASE_URL", "")
    if not direct.startswith("postgresql"):
        pytest.skip("PgBouncer pools PostgreSQL: the PostgreSQL pass (TEST_DATABASE_URL) runs this")
    if not Path(pgbouncer.BINARY).exists():
        missing("pgbouncer (apt-get install pgbouncer)")
    running = Bouncer(direct, tmp_path_factory.mktemp("pgbouncer"))
    yield running
    running.stop()


@pytest.fixture
def pooled(bouncer, tmp_path):
    """The app in this process, its engine through PgBouncer, the tables made there."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": bouncer.url,
            "DATABASE_POOLER": "transaction",
            "DATABASE_TIMEOUT": float(TIMEOUT),
            "JWT_SECRET_KEY": SECRET,
            "MAIL_URL": "outbox:",
            "MAIL_WORKER": "external",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with tables(app):
        yield app


def test_the_api_and_its_migrations_through_pgbouncer(bouncer):
    env = server_env(bouncer.url, DATABASE_POOLER="transaction", DATABASE_TIMEOUT=str(TIMEOUT))
    empty(bouncer.direct)
    flask(env, "db", "upgrade")  # through the pooler: one transaction, no prepared statements
    server = Server(env).start()
    try:
        tokens = server.tokens("alice")
        access = tokens["access_token"]
        status, store = server.call("POST", "/store", {"name": "Corner Shop"}, access)
        assert status == 201, store
        item = {"name": "Chair", "price": 9.99, "store_id": store["id"]}
        status, item = server.call("POST", "/item", item, access)
        assert status == 201, item
        # Past psycopg's prepare_threshold (5) on both workers, which share two server
        # connections: a statement prepared on one would be missing on the other.
        for _ in range(8):
            assert server.call("GET", f"/item/{item['id']}")[0] == 200
            assert server.call("GET", f"/store/{store['id']}")[1]["items"][0]["name"] == "Chair"
            assert server.call("GET", "/my-info", token=access)[0] == 200
        status, fresh = server.call("POST", "/refresh", token=tokens["refresh_token"])
        assert status == 200, fresh
        assert server.call("POST", "/logout", token=fresh["access_token"])[0] == 200
        assert server.call("GET", "/my-info", token=access) == (401, REVOKED)
    finally:
        server.stop()
        empty(bouncer.direct)


def test_the_pooler_bounds_every_statement(pooled):
    with pooled.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "1s"
        assert db.session.execute(text("SHOW lock_timeout")).scalar() == "500ms"
        db.session.rollback()
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(3)"))
        db.session.rollback()
        assert time.monotonic() - started < 2.5


def test_a_pooler_that_sets_no_timeouts_is_refused_in_one_line(bouncer):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": bouncer.unbounded,
            "DATABASE_POOLER": "transaction",
            "JWT_SECRET_KEY": SECRET,
        }
    )
    with app.app_context(), pytest.raises(UnboundedDatabase) as refused:
        db.engine.connect()
    assert "statement_timeout=0ms, lock_timeout=0ms" in str(refused.value)
    assert "\n" not in str(refused.value)


def interleave(engine, rounds: int = 8) -> None:
    """One query, each run its own transaction, on two connections taking turns."""
    query = text("SELECT count(*) FROM pg_class WHERE relname = :name")
    with engine.connect() as one, engine.connect() as two:
        for connection in [one, two] * rounds:
            connection.execute(query, {"name": "users"})
            connection.commit()


def test_no_prepared_statement_outlives_its_transaction(bouncer, pooled):
    with pooled.app_context():
        interleave(db.engine)
    # psycopg's default prepares the query on the sixth run: on a pooler, the other client
    # then finds it already prepared, or a turn lands where it is not.
    prepared = create_engine(bouncer.url)
    with pytest.raises(DBAPIError, match="prepared statement"):
        interleave(prepared)
    prepared.dispose()


def test_the_mail_lease_holds_with_no_session(pooled):
    with pooled.app_context():
        for n in range(6):
            outbox.enqueue(f"user{n}@example.com", "verify", ("Hello", "Body"))
        db.session.commit()
    handled = []
    start = threading.Barrier(3)

    def work() -> None:
        with pooled.app_context():
            start.wait()
            handled.append(worker.run_once())
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(handled) == 6
    with pooled.app_context():
        mails = db.session.execute(select(Mail)).scalars().all()
        assert [(m.attempts, m.sent_at is not None, m.lease_id) for m in mails] == [
            (1, True, None)
        ] * 6
    assert len(list((Path(pooled.instance_path) / "outbox").glob("*.eml"))) == 6
