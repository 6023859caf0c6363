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

import contextlib
import os
import socket
import threading

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from db import db

TIMER = "dbdeadline.timer"


def shut_down(dbapi_connection) -> None:
    """End the connection's TCP stream under psycopg, from the timer's thread."""
    with contextlib.suppress(Exception):
        fd = os.dup(dbapi_connection.fileno())
        with socket.socket(fileno=fd) as sock:
            sock.shutdown(socket.SHUT_RDWR)


def init_app(app: Flask) -> None:
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
