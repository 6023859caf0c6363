# ruff: noqa: S603, S608  (fixed commands: our venv's flask; SQL built from our own numbers)
"""Lists at scale: the same requests against a small and a large PostgreSQL database.

    make bench-scale        # BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432 by default

Builds `scale_small` (10 stores x 100 items) and `scale_large` (10,000 stores x 100 items,
1M items, plus one store of 100,000 items) with `flask db upgrade` and SQL seeding, serves
each under gunicorn (2 workers), runs each request against small then large (alternating,
BENCH_DURATION seconds each) and prints the large/small ratio. Target: every ratio >= 0.8
and the big store's response under 100 KB. See bench/README.md.
"""

import http.client
import os
import subprocess
import sys
import time

from run import BIN, ROOT, Server, base_env, measure
from sqlalchemy import create_engine, text

BASE = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
SIZES = {"small": (10, 100, 100), "large": (10_000, 100, 100_000)}  # stores, items, big
# name, path (with {big}, {deep_item}, {deep_store} filled per database)
REQUESTS = [
    ("items, first page", "/item?page_size=100"),
    ("items, deep keyset page", "/item?after={deep_item}&page_size=100"),
    ("one store's items", "/item?store_id=5"),
    ("stores, first page", "/store?page_size=10"),
    ("stores, deep keyset page", "/store?after={deep_store}&page_size=10"),
    ("the big store", "/store/{big}"),
]


def build(name: str, stores: int, items: int, big: int) -> dict:
    """A fresh database with the migrations and seeded rows; the ids the requests use."""
    admin = create_engine(f"{BASE}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS scale_{name}"))
        conn.execute(text(f"CREATE DATABASE scale_{name}"))
    admin.dispose()
    url = f"{BASE}/scale_{name}"
    env = base_env(url)
    subprocess.run([BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    engine = create_engine(url)
    started = time.time()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, username_key, password)"
                " VALUES ('owner', 'owner', 'x')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO stores (name, owner_id) "
                f"SELECT 'store-' || s, 1 FROM generate_series(1, {stores + 1}) s"
            )
        )
        conn.execute(
            text(
                "INSERT INTO items (name, price, store_id) "
                f"SELECT 'item-' || i, i % 100, s FROM generate_series(1, {stores}) s, "
                f"generate_series(1, {items}) i ORDER BY s, i"
            )
        )
        conn.execute(
            text(
                "INSERT INTO items (name, price, store_id) "
                f"SELECT 'big-' || i, 1, {stores + 1} FROM generate_series(1, {big}) i"
            )
        )
        conn.execute(
            text(
                "INSERT INTO tags (name, store_id) SELECT 'tag-' || t, s "
                f"FROM generate_series(1, {stores + 1}) s, generate_series(1, 2) t"
            )
        )
        deep_item = conn.execute(text("SELECT max(id) - 150 FROM items")).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"seeded scale_{name} in {time.time() - started:.0f} s", flush=True)
    return {"env": env, "big": stores + 1, "deep_item": deep_item, "deep_store": max(stores - 5, 0)}


def body_size(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 200, (path, response.status)
    return len(response.read())


def main() -> int:
    databases = {name: build(name, *size) for name, size in SIZES.items()}
    servers = {}
    try:
        for name, db in databases.items():
            servers[name] = Server(name, "app:create_app()", db["env"], ROOT)
        lines = [
            "| request | small req/s | large req/s | large/small | large p99 ms | large body |",
            "|---|---|---|---|---|---|",
        ]
        for label, template in REQUESTS:
            results, sizes = {}, {}
            for name, server in servers.items():  # small, then large: alternating
                path = template.format(**databases[name])
                sizes[name] = body_size(server.port, path)
                results[name] = measure(server, path, "get", 4, {})
            small, large = results["small"], results["large"]
            lines.append(
                f"| {label} | {small['rps']:.0f} | {large['rps']:.0f} | "
                f"{large['rps'] / small['rps']:.2f} | {large['p99']:.1f} | "
                f"{sizes['large'] / 1024:.1f} KB |"
            )
            print(lines[-1], flush=True)
        print("\n" + "\n".join(lines))
        print("\nTarget: every large/small ratio >= 0.8; the big store's body < 100 KB.")
        return 0
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
