"""Python function calls per request, in process, for one or more checkouts: a measure of
the work a request does that other processes on the machine cannot move.

On a shared 2-core machine one build's CPU per request moves by 15 % from run to run
(bench/README.md), more than the 5 % a change may cost. A call count is exact: run twice,
it gives the same number. It is not time (a call into C may cost a thousand Python
ones), so a difference it finds is then timed with `make bench`; but the same count
before and after says the request does the same work.

    .venv/bin/python bench/calls.py [CHECKOUT ...]        # default: this one
    DATABASE_URL=postgresql+psycopg://.../db .venv/bin/python bench/calls.py A B

Each checkout runs in its own process (its modules have the same names), on a fresh
SQLite file or, with DATABASE_URL, on that database (its tables are replaced). The
table gives the calls per request of each path for each checkout; with several, the
largest differences of the last against the first follow, by function."""

import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUESTS = 200
SITE = "site-packages/"


def where(path: str, root: str) -> str:
    """A function's file, named alike in every checkout and virtual environment."""
    if SITE in path:
        return path.split(SITE, 1)[1]
    if path.startswith(root):
        return "app: " + os.path.relpath(path, root)
    return path.rsplit("/lib/", 1)[-1]


def count(root: str) -> dict[str, dict[str, float]]:
    """{path: {function: calls per request}} for the checkout `root` (in this process)."""
    os.chdir(root)
    sys.path[:0] = [root, str(Path(root) / "bench")]
    import logging

    from sqlalchemy import MetaData, create_engine

    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):  # another checkout's tables
        engine = create_engine(os.environ["DATABASE_URL"])
        tables = MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)
        engine.dispose()

    from inprocess import make_app
    from seed import PASSWORD, USERNAME, WRITE_STORE_ID

    app = make_app()
    logging.getLogger("stores.access").disabled = True
    client = app.test_client()
    token = client.post("/login", json={"username": USERNAME, "password": PASSWORD}).json
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    posted = iter(range(10**9))
    requests = {
        "GET /health": lambda: client.get("/health"),
        "GET /store/1": lambda: client.get("/store/1"),
        "GET /my-info": lambda: client.get("/my-info", headers=auth),
        "POST /item": lambda: client.post(
            "/item",
            json={"name": f"calls-{next(posted)}", "price": 1.5, "store_id": WRITE_STORE_ID},
            headers=auth,
        ),
    }
    counts = {}
    for name, send in requests.items():
        for _ in range(20):  # caches warm, lazy imports done
            assert send().status_code < 300, name
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(REQUESTS):
            send()
        profile.disable()
        per: Counter = Counter()
        for (file, _, function), stats in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
            function = re.sub(r" at 0x[0-9a-f]+", "", function)  # a builtin's address
            per[f"{where(file, root)}:{function}"] += stats[1] / REQUESTS
        counts[name] = dict(per)
    return counts


def main() -> None:
    if sys.argv[1:2] == ["--one"]:  # the child process: one checkout, JSON out
        print(json.dumps(count(sys.argv[2])))
        return
    roots = [str(Path(arg).resolve()) for arg in sys.argv[1:]] or [str(HERE.parent)]
    runs = {}
    for root in roots:
        done = subprocess.run(  # noqa: S603  (this script, our interpreter)
            [sys.executable, __file__, "--one", root],
            capture_output=True,
            text=True,
            check=True,
        )
        runs[root] = json.loads(done.stdout.splitlines()[-1])
    paths = list(runs[roots[0]])
    print("| request | " + " | ".join(roots) + " |")
    print("|---|" + "---|" * len(roots))
    for path in paths:
        totals = [sum(runs[root][path].values()) for root in roots]
        print(f"| {path} | " + " | ".join(f"{total:.0f}" for total in totals) + " |")
    if len(roots) > 1:
        first, last = runs[roots[0]], runs[roots[-1]]
        for path in paths:
            deltas = Counter(last[path])
            deltas.subtract(first[path])
            print(f"\n{path}, most changed (calls per request, last minus first):")
            for function, delta in sorted(deltas.items(), key=lambda kv: -abs(kv[1]))[:8]:
                if abs(delta) >= 1:
                    print(f"  {delta:+8.1f}  {function}")


if __name__ == "__main__":
    main()
