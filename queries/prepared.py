"""Statements compiled once, for the hottest reads on PostgreSQL.

`Connection.execute(select)` derives the statement's cache key from its whole tree on
every run to find the compiled form in SQLAlchemy's cache: for GET /store/<id>'s one
statement (two nested subqueries) that cost more CPU than psycopg's whole execution
(bench/README.md). A `Prepared` holds the SQL psycopg runs, compiled at import, and runs
it through the public `Connection.exec_driver_sql`, so the engine's events (the
breaker's, connections.py's disconnect handling) still see every statement. On SQLite it
is the ordinary `execute`. The rows come back as the driver typed them, which for these
columns (integers, text, booleans, floats, JSON text) is what SQLAlchemy would give."""

from sqlalchemy import Connection, CursorResult, Select
from sqlalchemy.dialects.postgresql import psycopg


class Prepared:
    def __init__(self, stmt: Select):
        self.stmt = stmt
        self.sql = str(stmt.compile(dialect=psycopg.dialect()))

    def run(self, conn: Connection, params: dict) -> CursorResult:
        if conn.dialect.name == "postgresql":
            return conn.exec_driver_sql(self.sql, params)
        return conn.execute(self.stmt, params)
