"""The database object, shared by models and views, and the bounds on its connections."""

import contextlib
import os
import socket
import sqlite3
import threading

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# expire_on_commit=False: a view that commits can still serialize what it wrote
# without reloading every attribute from the database.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# Batch mode lets Alembic ALTER tables on SQLite, which cannot ALTER constraints.
migrate = Migrate(render_as_batch=True, compare_type=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite ignores foreign keys unless asked, so cascades would differ from PostgreSQL.
    Write-ahead logging lets readers go on while a worker writes, and a commit costs
    one sync instead of several (POST /item under load: see bench/README.md)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")


def read_connection() -> Connection:
    """A pooled connection outside the ORM session, for reads that build their JSON
    from rows (reads.py, the token check in auth.py): the session's bookkeeping cost
    more than their statements. On PostgreSQL it runs in autocommit, which saves the
    BEGIN and ROLLBACK round trips; each statement still reads only committed rows,
    as it would at READ COMMITTED. (SQLite sets no transaction up for a read anyway.)"""
    conn = db.engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


TIMER = "deadline.timer"


def shut_down(dbapi_connection) -> None:
    """End the connection's TCP stream under psycopg, from the timer's thread."""
    with contextlib.suppress(Exception):
        fd = os.dup(dbapi_connection.fileno())
        with socket.socket(fileno=fd) as sock:
            sock.shutdown(socket.SHUT_RDWR)


def init_deadline(app: Flask) -> None:
    """A client-side deadline on every PostgreSQL connection a request holds.

    libpq's `connect_timeout` bounds connecting and the server's `statement_timeout` bounds a
    query the server is running, but neither helps when an established connection stops
    answering (a partition, a hung proxy): psycopg waits on the socket with no timeout, and
    keepalives or `tcp_user_timeout` do not fire while the peer still ACKs. So each checkout
    arms a timer; if the connection is still checked out when it fires, its socket is shut
    down, psycopg raises OperationalError (a disconnect, so SQLAlchemy drops the connection)
    and the request gets the usual 503 JSON with Retry-After. The pool's own pre-ping would
    run before the timer is armed, so the ping is done here instead, inside the deadline
    (SQLAlchemy's documented "pessimistic disconnect" checkout recipe).
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return  # SQLite has no socket to hang on
    seconds = app.config["DATABASE_DEADLINE"]
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkout")
    def arm(dbapi_connection, record, proxy):
        timer = threading.Timer(seconds, shut_down, args=(dbapi_connection,))
        timer.daemon = True
        timer.start()
        record.info[TIMER] = timer
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()  # leave it idle, as the pool hands it out
        except Exception as error:
            timer.cancel()
            raise DisconnectionError("the pooled connection did not answer") from error

    @event.listens_for(engine, "checkin")
    def disarm(dbapi_connection, record):
        timer = record.info.pop(TIMER, None)
        if timer:
            timer.cancel()
