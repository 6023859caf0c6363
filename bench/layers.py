"""Where one request's time goes, by layer: a pyinstrument profile of many requests in
process (Flask's test client, no server), each frame's own time given to the library or
app module it belongs to; the standard library's time goes to whoever called it (logging
to the request log, json to PyJWT...).

    .venv/bin/python bench/layers.py /store/1 /my-info      # SQLite
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/layers.py /store/1

Wall time: each layer's share of the profile, times an unprofiled request's time
(pyinstrument's own cost would inflate the numbers, not the shares). psycopg's share
includes waiting for PostgreSQL's answer. "test client" is the Flask test client
building requests, which gunicorn does its own way; it is left out of the total."""

import os
import sys
import sysconfig
import time
from collections import defaultdict
from pathlib import Path

from inprocess import make_app
from pyinstrument import Profiler
from seed import PASSWORD, USERNAME

ROOT = Path(__file__).resolve().parent.parent
STDLIB = sysconfig.get_paths()["stdlib"]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
TEST_CLIENT = ("werkzeug/test.py", "flask/testing.py")


def layer(path: str | None, parent: str) -> str:
    """`flask_limiter`, `jwt`, `app: connections.py`, or the caller's for the stdlib."""
    path = path or ""
    if path.endswith(TEST_CLIENT):
        return "test client"
    if "site-packages/" in path:
        package = path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
        return parent if package == "werkzeug" and parent == "test client" else package
    if path.startswith(str(ROOT)) and "/bench/" not in path:
        return "app: " + str(Path(path).relative_to(ROOT))
    return parent


def by_layer(frame, parent: str, totals: defaultdict) -> None:
    name = layer(frame.file_path, parent)
    totals[name] += frame.total_self_time
    for child in frame.children:
        by_layer(child, name, totals)


def main() -> None:
    app = make_app()
    client = app.test_client()
    token = client.post("/login", json={"username": USERNAME, "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for path in sys.argv[1:] or ["/store/1", "/my-info"]:
        for _ in range(300):  # warm the caches
            client.get(path, headers=headers)
        start = time.perf_counter()
        for _ in range(REQUESTS):
            assert client.get(path, headers=headers).status_code == 200
        us = (time.perf_counter() - start) / REQUESTS * 1e6
        with Profiler(interval=0.0002) as profiler:
            for _ in range(REQUESTS):
                client.get(path, headers=headers)
        totals: defaultdict[str, float] = defaultdict(float)
        by_layer(profiler.last_session.root_frame(), "other", totals)
        scale = us / sum(totals.values())
        test_client = totals.pop("test client", 0) * scale
        print(
            f"\n{path}: {us - test_client:.0f} us a request (+ {test_client:.0f} test client)",
            file=sys.stderr,
        )
        for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
            if seconds * scale >= 1:
                print(f"  {name:40} {seconds * scale:7.1f} us", file=sys.stderr)


if __name__ == "__main__":
    main()
