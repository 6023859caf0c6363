"""`make serve`'s database, checked before the migrations run: a PostgreSQL database that
does not exist yet is created (as `createdb` would); anything else that stops the server
from reaching it is one line saying what to do, not a traceback."""

import os
import sys

from dotenv import load_dotenv
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from config import SettingError, parse


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure(url: str) -> str | None:
    """None once the database answers; else what went wrong, in one line."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return None  # SQLite makes its file on first use
    try:
        with create_engine(target).connect():
            return None
    except SQLAlchemyError as error:
        if "does not exist" not in str(error):
            return str(error.orig or error).strip().splitlines()[0]
    try:
        server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted(target.database)}"))
    except SQLAlchemyError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        return f"database {target.database!r} does not exist and could not be created ({reason})"
    print(f"created PostgreSQL database {target.database!r}", file=sys.stderr)
    return None


if __name__ == "__main__":
    load_dotenv()  # as the app reads it
    try:
        url = parse("DATABASE_URL", os.environ.get("DATABASE_URL", ""))
    except SettingError as error:
        sys.exit(f"make serve: {error}")
    problem = ensure(url) if url else None  # unset: the SQLite file in the instance folder
    if problem:
        sys.exit(f"make serve: {problem}. Create the database (createdb NAME) or set DATABASE_URL.")
