# ruff: noqa: S603, S608  (fixed commands: our venv's flask; SQL built from our own numbers)
"""Lists at scale: the same requests against a small and a large PostgreSQL database.

    make bench-scale        # BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432 by default

Builds `scale_small` (10 stores x 100 items, one of 202) and `scale_large` (10,000 stores
x 100 items, 1M items, plus one store of 100,000 items) with `flask db upgrade` and SQL
seeding (two tags a store, each item tagged once), serves each under gunicorn (2 workers),
runs each request against small and large alternating, BENCH_ROUNDS times (default 3)
of BENCH_DURATION seconds each, and prints the large/small ratio of the summed rates with
the spread of the rounds' ratios: on a shared machine one round alone is noise. Target:
every ratio >= 0.8 and the big store's response under 100 KB. See bench/README.md.

BENCH_SCALE_DB (database name prefix, default `scale`), BENCH_SCALE_STORES (default 10000)
and BENCH_SCALE_BIG (default 100000) shrink it for tests/test_bench.py.
"""

import http.client
import os
import subprocess
import sys
import time

from run import BIN, DURATION, ROOT, Server, base_env, measure
from sqlalchemy import create_engine, text

BASE = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PREFIX = os.environ.get("BENCH_SCALE_DB", "scale")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SIZES = {  # stores, items a store, items of the big store
    # The big store has 202 items: its tag (every other item) fills a page of 100 and has
    # more, as on the large database, so both answer the same page and a Link.
    "small": (10, 100, 202),
    "large": (
        int(os.environ.get("BENCH_SCALE_STORES", "10000")),
        100,
        int(os.environ.get("BENCH_SCALE_BIG", "100000")),
    ),
}
MAX_BODY = 100 * 1024
# The dearest single requests we know of on the large database (issue 21's bounded cost),
# each timed alone: the largest pages at the deepest ?page= the API accepts (an OFFSET
# and X-Pagination's count, both bounded at 10,000 rows), the largest public page, and
# the two logins (a 1 MiB username refused before any work; a right password's argon2id).
WORST = [
    ("largest stores page, public", "GET", "/store?page_size=100"),
    ("deepest stores page", "GET", "/store?page=100&page_size=100"),
    ("deepest items page", "GET", "/item?page=100&page_size=100"),
    ("deepest page of the big store", "GET", "/item?store_id={big}&page=100&page_size=100"),
    ("deepest page of the big tag", "GET", "/item?tag_id={big_tag}&page=100&page_size=100"),
    ("login, 1 MiB username", "POST", "/login"),
    ("login, right password", "POST", "/login"),
]
WORST_TRIES = 5
# name, path (with {big}, {deep_item}, {deep_store} filled per database)
REQUESTS = [
    ("items, first page", "/item?page_size=100"),
    ("items, deep keyset page", "/item?after={deep_item}&page_size=100"),
    ("one store's items", "/item?store_id=5"),
    ("one tag's items (the big store's)", "/item?tag_id={big_tag}"),
    ("stores, first page", "/store?page_size=10"),
    ("stores, deep keyset page", "/store?after={deep_store}&page_size=10"),
    ("the big store", "/store/{big}"),
]


def build(name: str, stores: int, items: int, big: int) -> dict:
    """A fresh database with the migrations and seeded rows; the ids the requests use."""
    database = f"{PREFIX}_{name}"
    admin = create_engine(f"{BASE}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database}"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    url = f"{BASE}/{database}"
    env = base_env(url)
    subprocess.run(
        [BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
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
                f"FROM generate_series(1, {stores + 1}) s, generate_series(1, 2) t ORDER BY s, t"
            )
        )
        # Each item carries one of its store's two tags (store s has tags 2s-1 and 2s), so
        # the items list's nested tags read a million-row association table.
        conn.execute(
            text(
                "INSERT INTO items_tags (item_id, tag_id) "
                "SELECT id, 2 * store_id - 1 + id % 2 FROM items"
            )
        )
        deep_item = conn.execute(text("SELECT max(id) - 150 FROM items")).scalar_one()
    # VACUUM as autovacuum soon would: statistics for the planner, and the visibility map
    # that lets an index-only scan skip the table.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"seeded {database} in {time.time() - started:.0f} s", flush=True)
    # The deep store page is a full page of 10 whose last row is the big store's neighbour
    # (on the small database the only stores there are: the first page).
    return {
        "env": env,
        "big": stores + 1,
        "deep_item": deep_item,
        "deep_store": stores - 10,
        "big_tag": 2 * stores + 1,
    }


def body_size(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 200, (path, response.status)
    return len(response.read())


def timed(port: int, method: str, path: str, body: bytes | None) -> tuple[float, int, int]:
    """One request on a fresh connection: milliseconds, status, body bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request(method, path, body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    size = len(response.read())
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed, response.status, size


def worst(port: int, db: dict) -> list[str]:
    """WORST on one server, each WORST_TRIES times in a row: median and slowest."""
    account = b'{"username": "worst", "password": "correct horse battery"}'
    assert timed(port, "POST", "/register", account)[1] == 201
    bodies = {
        # U+FDFA grows 18-fold under NFKC: the body just under the 1 MiB limit.
        "login, 1 MiB username": (
            '{"username": "%s", "password": "x"}' % ("\ufdfa" * 349_000)
        ).encode(),
        "login, right password": account,
    }
    lines = [
        "| request | status | median ms | slowest ms | body |",
        "|---|---|---|---|---|",
    ]
    for label, method, template in WORST:
        runs = [
            timed(port, method, template.format(**db), bodies.get(label))
            for _ in range(WORST_TRIES)
        ]
        times = sorted(ms for ms, _, _ in runs)
        lines.append(
            f"| {label} `{method} {template}` | {runs[0][1]} | {times[len(times) // 2]:.1f} | "
            f"{times[-1]:.1f} | {runs[0][2] / 1024:.1f} KB |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    databases = {name: build(name, *size) for name, size in SIZES.items()}
    servers = {}
    try:
        for name, db in databases.items():
            servers[name] = Server(name, "app:create_app()", db["env"], ROOT)
        print(f"{ROUNDS} rounds of {DURATION} s per database and request, alternating")
        lines = [
            "| request | small req/s | large req/s | large/small | rounds' ratios | "
            "large p99 ms | large body | errors |",
            "|---|---|---|---|---|---|---|---|",
        ]
        missed = []
        for label, template in REQUESTS:
            paths = {name: template.format(**db) for name, db in databases.items()}
            sizes = {name: body_size(servers[name].port, path) for name, path in paths.items()}
            runs = {name: [] for name in servers}
            for n in range(ROUNDS):  # small, large, then large, small: drift cancels out
                for name in list(servers)[:: 1 if n % 2 == 0 else -1]:
                    runs[name].append(measure(servers[name], paths[name], "get", 4, {}))
            rps = {name: sum(r["rps"] for r in rs) / ROUNDS for name, rs in runs.items()}
            ratio = rps["large"] / rps["small"]
            spread = [
                a["rps"] / b["rps"] for a, b in zip(runs["large"], runs["small"], strict=True)
            ]
            errors = sum(r["errors"] for rs in runs.values() for r in rs)
            p99 = max(r["p99"] for r in runs["large"])
            lines.append(
                f"| {label} `{template}` | {rps['small']:.0f} | {rps['large']:.0f} | "
                f"{ratio:.2f} | {min(spread):.2f}-{max(spread):.2f} | {p99:.1f} | "
                f"{sizes['large'] / 1024:.1f} KB | {errors} |"
            )
            print(lines[-1], flush=True)
            if ratio < 0.8 or errors or sizes["large"] > MAX_BODY:
                missed.append(label)
        print(f"\nThe dearest requests on the large database, each alone, {WORST_TRIES} times:")
        dearest = worst(servers["large"].port, databases["large"])
        print("\n" + "\n".join(lines))
        print("\nTarget: every large/small ratio >= 0.8; every body < 100 KB; no errors.")
        print(f"Missed: {', '.join(missed)}" if missed else "Every target met.")
        print("\n" + "\n".join(dearest))
        return 0
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
