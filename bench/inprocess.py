"""Per-request cost in-process (Flask test client, no server, no network), to find
what dominates before and after a change; `make bench` measures the real thing.

    .venv/bin/python bench/inprocess.py                 # microseconds per request
    .venv/bin/python bench/inprocess.py /store/1        # plus a pyinstrument profile of it
"""

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seed import PASSWORD, USERNAME, seed

from app import create_app
from db import db

PATHS = ["/health", "/store/1", "/my-info", "/tag/1", "/item/1", "/item?store_id=1", "/store"]


def make_app():
    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
            or f"sqlite:///{folder}/bench.db",
            "JWT_SECRET_KEY": secrets.token_hex(32),
        }
    )
    with app.app_context():
        db.create_all()
    seed(app)
    return app


def per_request_us(client, path, headers, seconds=1.0) -> float:
    """CPU time of this process per request: unlike wall time, it hardly moves when
    other processes share the cores (in-process, SQLite's work is ours too)."""
    n, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.get_data())
        n += 1
    return elapsed / n * 1e6


def main() -> None:
    app = make_app()
    client = app.test_client()
    token = client.post("/login", json={"username": USERNAME, "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for path in PATHS:
        per_request_us(client, path, headers, 0.2)  # warm the caches
        print(f"{path:20} {per_request_us(client, path, headers):9.0f} us", file=sys.stderr)
    if len(sys.argv) > 1:
        from pyinstrument import Profiler

        with Profiler(interval=0.0001) as profiler:
            per_request_us(client, sys.argv[1], headers, 2.0)
        profiler.print(file=sys.stderr, show_all=False)


if __name__ == "__main__":
    main()
