"""CPU time of one POST /login in-process (Flask test client, production argon2id), for a
checkout given as the argument (default: this one). CPU time, not wall time, so argon2id
competing for the cores with other processes does not move it (bench/README.md).

    .venv/bin/python bench/login_cpu.py [CHECKOUT]
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
LOGINS = 40


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from app import create_app
    from db import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tempfile.mkdtemp()}/login.db",
            "JWT_SECRET_KEY": "bench-secret-that-is-long-enough-for-hs256",
            "RATELIMIT_LOGIN_FAILURES": "1000000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    credentials = {"username": "alice", "password": "correct horse battery"}
    assert client.post("/register", json=credentials).status_code == 201
    for _ in range(3):  # warm up
        client.post("/login", json=credentials)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(LOGINS):
        assert client.post("/login", json=credentials).status_code == 200
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{ROOT}: {1000 * cpu / LOGINS:.2f} ms CPU, {1000 * wall / LOGINS:.2f} ms wall a login")


if __name__ == "__main__":
    main()
