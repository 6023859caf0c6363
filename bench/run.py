# ruff: noqa: S603, S607  (fixed commands: our venv's gunicorn and flask, wrk)
"""Load benchmark: the API under gunicorn (2 workers) against a bare Flask baseline.

    make bench                      # SQLite (a fresh file in a temporary folder)
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/benchdb make bench
                                    # SQLite and then PostgreSQL (the database is wiped!)

See bench/README.md for what is measured and the targets. With PostgreSQL, the two
hottest reads also run against bench/least.py, the least code that does the same work,
and the API's rate is given as a ratio to it too ("ours / least code", issue 26).
"""

import contextlib
import http.client
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from seed import ITEMS_PER_STORE, PASSWORD, USERNAME, WRITE_STORE_ID

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = Path(__file__).resolve().parent / "report.lua"
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
# Each scenario this many times, alternating servers: the medians; on a machine others
# share, one run's ratios move by tens of percent.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
ONLY = os.environ.get("BENCH_ONLY", "")  # e.g. "GET /store/1,login": scenarios to run
# Another checkout of the project (e.g. `git worktree add /tmp/before <commit>`): its app
# runs beside this one, interleaved scenario by scenario, as "before": on SQLite, and on
# PostgreSQL too when DATABASE_URL names one (in a database of that name + "_before",
# created if missing and, like DATABASE_URL's, wiped).
COMPARE = os.environ.get("BENCH_COMPARE", "")
WORKERS = 2

# name, method, path (app), baseline path, wrk mode, connections
SCENARIOS = [
    # No target: what the stack (flask-smorest, CORS, access log, teardowns) costs
    # before any database work, the floor under every other ratio.
    ("floor GET /health", "/health", "/ping", "get", CONNECTIONS),
    ("public read GET /store/1", "/store/1", "/ping", "get", CONNECTIONS),
    ("auth read GET /my-info", "/my-info", "/ping", "get", CONNECTIONS),
    ("write POST /item", "/item", "/echo", "item", CONNECTIONS),
    ("list GET /store (100x20)", "/store", "/ping", "get", CONNECTIONS),
    ("login POST /login", "/login", "/echo", "login", WORKERS),
]
# The scenarios bench/least.py serves too (on PostgreSQL), by their path.
LEAST_CODE = ("/store/1", "/my-info")
TARGETS = {
    "public read GET /store/1": "ratio >= 0.50 (PostgreSQL: >= 0.70 of least code)",
    "auth read GET /my-info": "ratio >= 0.40 (PostgreSQL: >= 0.70 of least code)",
    "list GET /store (100x20)": ">= 50 req/s, p99 < 100 ms",
    "login POST /login": "p50 <= 40 ms",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET_KEY": os.environ.get("JWT_SECRET_KEY") or secrets.token_hex(32),
        "RATELIMIT_LOGIN_FAILURES": "1000000 per minute",
        "RATELIMIT_REGISTER": "1000000 per minute",
        "WEB_CONCURRENCY": str(WORKERS),
        "FLASK_APP": "app:create_app",
    }


def database_beside(url: str, suffix: str) -> str:
    """The URL of a fresh database named as `url`'s plus `suffix` (dropped and created:
    the other checkout's migrations may not know the revision a previous run left)."""
    from sqlalchemy import create_engine, make_url, text

    other = make_url(url).set(database=make_url(url).database + suffix)
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{other.database}"'))
        conn.execute(text(f'CREATE DATABASE "{other.database}"'))
    admin.dispose()
    return other.render_as_string(hide_password=False)


def seed(env: dict, root: Path = ROOT) -> None:
    """`flask db upgrade`, then bench/seed.py: one user, 100 stores x 20 items x 2 tags."""
    for command in (
        [BIN / "flask", "db", "upgrade"],
        [sys.executable, root / "bench" / "seed.py"],
    ):
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{command} in {root} failed:\n{done.stderr[-2000:]}")


class Server:
    """gunicorn with the project's gunicorn.conf.py and 2 workers."""

    def __init__(self, name: str, target: str, env: dict, cwd: Path, probe: str = "/health"):
        self.name, self.port = name, free_port()
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w", prefix=f"bench-{name}-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [BIN / "gunicorn", "-c", cwd / "gunicorn.conf.py", "--workers", str(WORKERS), target],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if len(self.workers()) == WORKERS and self.get(probe):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not start; see {self.log.name}")

    def get(self, path: str) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", path)
            return conn.getresponse().status < 500
        except OSError:
            return False

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        self.log.close()


def rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


class RssSampler(threading.Thread):
    """Peak resident memory of any one worker while a scenario runs."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.pids, self.peak, self.running = server.workers(), 0, True

    def run(self):
        while self.running:
            self.peak = max([self.peak, *map(rss_kib, self.pids)])
            time.sleep(0.05)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def call(port: int, method: str, path: str, body=None, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or "null")


def run_wrk(url: str, mode: str, connections: int, extra_env: dict) -> dict:
    env = {**os.environ, **extra_env, "BENCH_MODE": mode}
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(2, connections)),
            "-c",
            str(connections),
            "-d",
            f"{DURATION}s",
            "--timeout",
            "10s",
            "-s",
            LUA,
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out.split("BENCH_JSON ", 1)[1].splitlines()[0])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "requests": data["requests"],
        "p50": data["p50"] / 1000,
        "p99": data["p99"] / 1000,
        "errors": data["non2xx"] + data["socket_errors"],
    }


def _py_worker(url, mode, extra_env, deadline, queue):
    """The fallback load generator: one connection at a time, like a sync client."""
    host, port, path = re.match(r"http://([^:/]+):(\d+)(.*)", url).groups()
    latencies, errors, n = [], 0, 0
    while time.time() < deadline:
        n += 1
        body = None
        if mode == "item":
            body = {
                "name": f"{extra_env['BENCH_PREFIX']}-{os.getpid()}-{n}",
                "price": 1.5,
                "store_id": int(extra_env["BENCH_STORE_ID"]),
            }
        elif mode == "login":
            body = {
                "username": extra_env["BENCH_USERNAME"],
                "password": extra_env["BENCH_PASSWORD"],
            }
        headers = {"Content-Type": "application/json"}
        if extra_env.get("BENCH_TOKEN"):
            headers["Authorization"] = f"Bearer {extra_env['BENCH_TOKEN']}"
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            conn.request(
                "POST" if body else "GET",
                path,
                body=json.dumps(body) if body else None,
                headers=headers,
            )
            response = conn.getresponse()
            response.read()
            errors += response.status >= 300
        except OSError:
            errors += 1
        latencies.append(time.perf_counter() - start)
    queue.put((latencies, errors))


def run_python(url: str, mode: str, connections: int, extra_env: dict) -> dict:
    queue = multiprocessing.Queue()
    start = time.time()
    procs = [
        multiprocessing.Process(
            target=_py_worker, args=(url, mode, extra_env, start + DURATION, queue)
        )
        for _ in range(connections)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.time() - start
    latencies = sorted(x for lat, _ in results for x in lat)
    return {
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": sum(e for _, e in results),
    }


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used (/proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(server: Server, path: str, mode: str, connections: int, extra_env: dict) -> dict:
    sampler = RssSampler(server)
    sampler.start()
    runner = run_wrk if shutil.which("wrk") else run_python
    cpu = cpu_seconds(sampler.pids)
    result = runner(f"http://127.0.0.1:{server.port}{path}", mode, connections, extra_env)
    # The workers' CPU per request: unlike req/s, other processes on the cores hardly
    # move it, so two servers compare even on a busy machine.
    result["cpu_us"] = (cpu_seconds(sampler.pids) - cpu) / max(1, result.pop("requests")) * 1e6
    result["rss_mib"] = sampler.stop() / 1024
    return result


def median(results: list[dict]) -> dict:
    """Each number's median over the rounds (errors: their sum); an app's ratio is the
    median of its per-round ratios, each against the baseline measured just before it."""
    merged = {key: statistics.median(r[key] for r in results) for key in results[0]}
    merged["errors"] = sum(r["errors"] for r in results)
    return merged


def row(name, label, r):
    least = f"{r['least']:.2f}" if "least" in r else ""
    return (
        f"| {name} | {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
        f"{r['cpu_us']:.0f} | {r['rss_mib']:.0f} | {r.get('ratio', 1):.2f} | {least} | "
        f"{r['errors']} |"
    )


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="stores-bench-"))
    backends = [("sqlite", f"sqlite:///{tmp / 'bench.db'}", ROOT)]
    if COMPARE:
        backends.append(("sqlite, before", f"sqlite:///{tmp / 'before.db'}", Path(COMPARE)))
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        backends.append(("postgresql", url, ROOT))
        if COMPARE:
            backends.append(("postgresql, before", database_beside(url, "_before"), Path(COMPARE)))
    servers = []
    least_code = None
    try:
        bare = Server("bare", "bench.bare:app", base_env(backends[0][1]), ROOT, probe="/ping")
        servers.append(bare)
        apps = []
        for label, database_url, root in backends:
            env = base_env(database_url)
            seed(env, root)
            server = Server(label, "app:create_app()", env, root)
            servers.append(server)
            status, tokens = call(
                server.port, "POST", "/login", {"username": USERNAME, "password": PASSWORD}
            )
            assert status == 200, tokens
            status, store = call(server.port, "GET", "/store/1")
            assert status == 200 and len(store["items"]) == ITEMS_PER_STORE, store
            apps.append((label, server, tokens["access_token"]))
            if label == "postgresql":  # same data, secret and token as the API's
                least = Server("least", "bench.least:app", env, ROOT, probe="/store/1")
                servers.append(least)
                least_code = ("least code", least, tokens["access_token"])
                for path in LEAST_CODE:  # the same work: the same JSON
                    ours = call(server.port, "GET", path, token=tokens["access_token"])
                    assert call(least.port, "GET", path, token=tokens["access_token"]) == ours

        print(
            f"wrk: {bool(shutil.which('wrk'))}, {DURATION}s a run, {ROUNDS} round(s), "
            f"{WORKERS} gunicorn workers, nproc {os.cpu_count()}, load {os.getloadavg()[0]:.2f}"
        )
        lines = [
            "| scenario | server | req/s | p50 ms | p99 ms | worker CPU us/req | "
            "peak worker RSS MiB | ratio to baseline | ours / least code | errors |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, path, base_path, mode, connections in SCENARIOS:
            if ONLY and not any(part in name for part in ONLY.split(",")):
                continue
            contenders = list(apps)
            if least_code and path in LEAST_CODE:
                contenders.insert(0, least_code)
            runs = {label: [] for label in ["bare Flask", *(label for label, _, _ in contenders)]}
            for n in range(ROUNDS):
                common = {
                    "BENCH_USERNAME": USERNAME,
                    "BENCH_PASSWORD": PASSWORD,
                    "BENCH_STORE_ID": str(WRITE_STORE_ID),
                    "BENCH_PREFIX": secrets.token_hex(4),
                }
                # Alternate: baseline, then each server (in turn reversed every other round).
                base = measure(bare, base_path, mode, connections, common)
                runs["bare Flask"].append(base)
                for label, server, token in contenders[:: 1 if n % 2 == 0 else -1]:
                    auth = token if path in ("/my-info", "/item") else ""
                    result = measure(
                        server, path, mode, connections, {**common, "BENCH_TOKEN": auth}
                    )
                    result["ratio"] = result["rps"] / base["rps"]
                    runs[label].append(result)
                if least_code and path in LEAST_CODE:  # this round's ratios to least code
                    least_rps = runs[least_code[0]][-1]["rps"]
                    for label, results in runs.items():
                        if label.startswith("postgresql"):
                            results[-1]["least"] = results[-1]["rps"] / least_rps
                if ROUNDS > 1:
                    for label, results in runs.items():
                        print(f"round {n + 1}: {row(name, label, results[-1])}", flush=True)
            for label, results in runs.items():
                shown = label if label in ("bare Flask", "least code") else f"API ({label})"
                lines.append(row(name, shown, median(results)))
                print(lines[-1], flush=True)
        print("\n" + "\n".join(lines))
        print("\nTargets: " + "; ".join(f"{k}: {v}" for k, v in TARGETS.items()))
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
