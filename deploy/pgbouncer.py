"""PgBouncer (Debian's package) in transaction mode between the instances and PostgreSQL,
for `make serve PGBOUNCER=1` and the tests: its ini and auth file in a run folder of its
own, nothing in /etc.

It listens on 127.0.0.1 only (no unix socket), lets in the users of DATABASE_URL (trust,
as that server does here; a password in the URL is what PgBouncer logs in with), and sets
the app's statement and lock timeouts on every server connection it opens (connect_query),
which the app checks (pooler.py). `python -m deploy.pgbouncer RUN_DIR [PORT]` writes both
files and prints the port and the DATABASE_URL the instances use."""

import os
import socket
import sys
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy import make_url

from config import SettingError, parse, timeouts

BINARY = "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write(url: str, run_dir: Path, port: int, timeout: float, pool_size: int = 20) -> str:
    """pgbouncer.ini and users.txt in run_dir for the PostgreSQL database at `url`; the URL
    that reaches that database through PgBouncer on `port`."""
    server = make_url(url)
    if not server.drivername.startswith("postgresql") or not server.database:
        raise SettingError(f"PgBouncer needs a PostgreSQL DATABASE_URL, got {server.drivername}")
    run_dir.mkdir(parents=True, exist_ok=True)
    users = run_dir / "users.txt"
    users.touch(mode=0o600)
    users.write_text(f"{quoted(server.username or 'postgres')} {quoted(server.password or '')}\n")
    sets = "; ".join(f"SET {name} = {ms}" for name, ms in timeouts(timeout).items())
    where = " ".join(
        f"{key}={value}"
        for key, value in (
            ("host", server.host),
            ("port", server.port),
            ("dbname", server.database),
        )
        if value
    )
    (run_dir / "pgbouncer.ini").write_text(
        f"""[databases]
{server.database} = {where} connect_query='{sets}'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
; its log goes to stderr, which make serve keeps in the run folder
logfile =
pidfile =
"""
    )
    pooled = server.set(host="127.0.0.1", port=port, query={})
    return pooled.render_as_string(hide_password=False)


def command(ini: Path) -> list[str]:
    """How to start it in the foreground (as serve.sh does): PgBouncer refuses to run as
    root, so then as nobody, who needs to write nothing (it logs to stderr)."""
    return [BINARY, *(["-u", "nobody"] if os.getuid() == 0 else []), str(ini)]


if __name__ == "__main__":
    load_dotenv()  # as the app reads it
    run_dir, port = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0
    port = port or free_port()
    try:
        url = parse("DATABASE_URL", os.environ.get("DATABASE_URL", ""))
        timeout = parse("DATABASE_TIMEOUT", os.environ.get("DATABASE_TIMEOUT", "5"))
        print(port, write(url, run_dir, port, timeout))
    except SettingError as error:
        sys.exit(f"make serve: {error}")
