"""The bounds on the database's connections: SQLite's pragmas, a deadline on every
PostgreSQL connection a request holds (one watchdog thread), and read(), which runs
an idempotent read once more when a database restart closed its pooled connection.

Seams for what comes next (a circuit breaker for outages): init_app() installs the
pool listeners, read() is the one path of the row reads, WATCHDOG the one deadline."""

import contextlib
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from flask import Flask
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError

from db import db


@event.listens_for(Engine, "connect")
def sqlite_pragmas(dbapi_connection, record) -> None:
    """SQLite ignores foreign keys unless asked, so cascades would differ from PostgreSQL.
    Write-ahead logging lets readers go on while a worker writes, and a commit costs
    one sync instead of several (POST /item under load: see bench/README.md)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")


# Set while read() checks a connection out: the checkout then skips its ping (see read).
SKIP_PING: ContextVar[bool] = ContextVar("skip_ping", default=False)
T = TypeVar("T")


def read(work: Callable[[Connection], T]) -> T:
    """`work(conn)` on a pooled connection outside the ORM session, for the reads that
    read rows rather than objects (queries/, the token check): the session's bookkeeping
    cost more than their statements. On PostgreSQL it runs in autocommit, which saves the
    BEGIN and ROLLBACK round trips; each statement still reads only committed rows, as it
    would at READ COMMITTED. (SQLite sets no transaction up for a read anyway.)

    Its checkout is not pinged: a read is idempotent, so instead of a round trip before
    every request to find a connection that a database restart closed, the read runs once
    more when its first statement finds one (SQLAlchemy reports that as a disconnect,
    invalidates the pool's older connections and the second try connects afresh). Only a
    disconnect that came at once is retried: a connection cut by its deadline (a hung
    server, init_app) has already cost the request its bound."""
    started = time.monotonic()
    for attempt in (1, 2):
        token = SKIP_PING.set(True)
        try:
            conn = db.engine.connect()
        finally:
            SKIP_PING.reset(token)
        with conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                return work(conn)
            except DBAPIError as error:
                quick = time.monotonic() - started < RETRY_WITHIN
                if attempt == 2 or not error.connection_invalidated or not quick:
                    raise
    raise AssertionError("unreachable")


RETRY_WITHIN = 1.0  # seconds: a closed connection fails in a round trip, a hung one never


def shut_down(dbapi_connection) -> None:
    """End the connection's TCP stream under psycopg, from the watchdog's thread."""
    with contextlib.suppress(Exception):
        fd = os.dup(dbapi_connection.fileno())
        with socket.socket(fileno=fd) as sock:
            sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """Deadlines for checked-out connections, all watched by one thread per process.

    A threading.Timer per checkout started and cancelled a thread for every request
    (bench/README.md: it cost more than the ping); arming here is a dict insert, and the
    thread, which looks four times a second, shuts down whatever is overdue. Started on
    first use in each process, so a gunicorn worker forked from a master that imported
    the app gets its own."""

    INTERVAL = 0.25

    def __init__(self) -> None:
        self.armed: dict[int, tuple[float, object]] = {}
        self.lock = threading.Lock()
        self.pid: int | None = None

    def arm(self, dbapi_connection, seconds: float) -> None:
        if self.pid != os.getpid():
            self.pid = os.getpid()
            threading.Thread(target=self.watch, name="db-deadlines", daemon=True).start()
        with self.lock:
            self.armed[id(dbapi_connection)] = (time.monotonic() + seconds, dbapi_connection)

    def disarm(self, dbapi_connection) -> None:
        with self.lock:
            self.armed.pop(id(dbapi_connection), None)

    def watch(self) -> None:
        while True:
            time.sleep(self.INTERVAL)
            now = time.monotonic()
            with self.lock:
                overdue = [key for key, (deadline, _) in self.armed.items() if deadline <= now]
                connections = [self.armed.pop(key)[1] for key in overdue]
            for dbapi_connection in connections:
                shut_down(dbapi_connection)


WATCHDOG = Watchdog()


def init_app(app: Flask) -> None:
    """A client-side deadline on every PostgreSQL connection a request holds.

    libpq's `connect_timeout` bounds connecting and the server's `statement_timeout` bounds a
    query the server is running, but neither helps when an established connection stops
    answering (a partition, a hung proxy): psycopg waits on the socket with no timeout, and
    keepalives or `tcp_user_timeout` do not fire while the peer still ACKs. So each checkout
    arms a deadline (Watchdog); if the connection is still checked out when it passes, its
    socket is shut down, psycopg raises OperationalError (a disconnect, so SQLAlchemy drops
    the connection) and the request gets the usual 503 JSON with Retry-After.

    The ORM session's checkouts (writes, /ready) ping here, inside the deadline
    (SQLAlchemy's documented "pessimistic disconnect" checkout recipe; the pool's own
    pre-ping would run before the deadline is armed), so a pooled connection that a
    database restart closed is replaced before a write uses it. read() skips the ping and
    retries instead.
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return  # SQLite has no socket to hang on
    seconds = app.config["DATABASE_DEADLINE"]
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkout")
    def arm(dbapi_connection, record, proxy):
        WATCHDOG.arm(dbapi_connection, seconds)
        if SKIP_PING.get():
            return
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()  # leave it idle, as the pool hands it out
        except Exception as error:
            WATCHDOG.disarm(dbapi_connection)
            raise DisconnectionError("the pooled connection did not answer") from error

    @event.listens_for(engine, "checkin")
    def disarm(dbapi_connection, record):
        WATCHDOG.disarm(dbapi_connection)

    @event.listens_for(engine, "invalidate")
    def dropped(dbapi_connection, record, exception):
        WATCHDOG.disarm(dbapi_connection)  # checkin then sees no connection
