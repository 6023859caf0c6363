"""Behind PgBouncer in transaction mode (DATABASE_POOLER=transaction), each transaction may
run on another server connection, so nothing may live in a database session. Nothing here
does: no SET, advisory lock, LISTEN or temporary table; read()'s autocommit is psycopg's
own flag, not a SET; the mail worker's lease is a column (mail/worker.py). psycopg's
prepared statements are off (config.engine_options).

What is left is the bounded-cost promise: PgBouncer refuses the `options` startup parameter
that sets statement_timeout and lock_timeout on a direct connection, so the pooler sets them
on each server connection it opens (connect_query; deploy/pgbouncer.py writes it). A per
transaction SET LOCAL would cost a round trip on every request; instead each new pooled
connection checks them once and refuses to run unbounded."""

from flask import Flask
from sqlalchemy import event

import config
from db import db

CHECK = (
    "SELECT name, setting::int FROM pg_settings WHERE name IN ('statement_timeout', 'lock_timeout')"
)


class UnboundedDatabase(RuntimeError):
    """The pooler lets statements or lock waits run longer than DATABASE_TIMEOUT allows."""


def refusal(found: dict[str, int], bounds: dict[str, int]) -> str | None:
    """One line saying what is wrong, or None when every bound is set and within its limit."""
    wrong = [
        f"{name}={found.get(name, 0)}ms"
        for name in bounds
        if not 0 < found.get(name, 0) <= bounds[name]
    ]
    if not wrong:
        return None
    wanted = ", ".join(f"{name} <= {limit}ms" for name, limit in bounds.items())
    return (
        f"DATABASE_POOLER=transaction, but the pooler's connections run with {', '.join(wrong)} "
        f"(0 is no bound): have it set {wanted} on each server connection (PgBouncer's "
        'connect_query, README "Several instances")'
    )


def init_app(app: Flask) -> None:
    if app.config["DATABASE_POOLER"] != "transaction":
        return
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return  # SQLite: no pooler in between
    bounds = config.timeouts(app.config["DATABASE_TIMEOUT"])
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def check_bounds(dbapi_connection, record) -> None:
        found = dict(dbapi_connection.execute(CHECK).fetchall())
        dbapi_connection.rollback()  # give the server connection back to the pool
        problem = refusal(found, bounds)
        if problem:
            dbapi_connection.close()
            raise UnboundedDatabase(problem)
