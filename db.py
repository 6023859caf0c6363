"""The database object, shared by models and views."""

import sqlite3

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, Engine, MetaData, event
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
