"""`make bench` keeps working: one short scenario, end to end, against both servers.

Nothing about speed is asserted here; bench/run.py measures it (bench/README.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent

# Load generators against live servers, a minute and more each: the system tier.
pytestmark = pytest.mark.system


def run(script: str, env: dict, timeout: int, *args: str) -> list[str]:
    """The script's output lines, once it has exited 0."""
    result = subprocess.run(
        [sys.executable, script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.splitlines()


def test_bench_runs_a_scenario_against_the_baseline():
    env = {**os.environ, "BENCH_DURATION": "1", "BENCH_ONLY": "floor"}
    env.pop("DATABASE_URL", None)  # SQLite only: the script would wipe a PostgreSQL database
    rows = [line for line in run("bench/run.py", env, 180) if line.startswith("| floor")]
    assert any("| bare Flask |" in row for row in rows), rows
    api = next(row for row in rows if "| API (sqlite) |" in row)
    assert api.split("|")[-2].strip() == "0", api  # no errors


def test_bench_runs_the_least_code_beside_postgresql():
    """bench/least.py answers the API's JSON (run.py asserts it before measuring) and the
    two reads get their "ours / least code" ratio."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the least-code baseline is PostgreSQL's; the PostgreSQL pass runs this")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    bench_db = make_url(url).set(database=make_url(url).database + "_least")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{bench_db.database}"'))
        conn.execute(text(f'CREATE DATABASE "{bench_db.database}"'))
    admin.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": bench_db.render_as_string(hide_password=False),
        "BENCH_DURATION": "1",
        "BENCH_ONLY": "GET /store/1,my-info",
    }
    rows = [line for line in run("bench/run.py", env, 240) if line.startswith("| ")]
    for scenario in ("public read", "auth read"):
        least = next(row for row in rows if row.startswith(f"| {scenario}") and "least" in row)
        ours = next(
            row for row in rows if row.startswith(f"| {scenario}") and "(postgresql)" in row
        )
        assert float(ours.split("|")[-3]) > 0, ours  # the ratio to least code
        assert least.split("|")[-2].strip() == ours.split("|")[-2].strip() == "0"  # no errors


def test_bench_scale_runs_against_a_small_and_a_larger_database():
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("bench-scale needs PostgreSQL; the PostgreSQL pass runs this")
    env = {
        **os.environ,
        "BENCH_PG": url.rsplit("/", 1)[0],
        "BENCH_SCALE_DB": "test_bench_scale",
        "BENCH_SCALE_STORES": "50",
        "BENCH_SCALE_BIG": "500",
        "BENCH_DURATION": "1",
        "BENCH_ROUNDS": "1",
    }
    output = run("bench/scale.py", env, 300)
    rows = [line for line in output if line.startswith("| the big store")]
    assert rows, output
    assert rows[-1].split("|")[-2].strip() == "0", rows[-1]  # no errors


def test_calls_counts_the_same_work_the_same_twice():
    """bench/calls.py is the measure that does not move with the machine's load: the same
    checkout counted twice gives the same calls per request, and each request does some."""
    lines = run("bench/calls.py", {**os.environ, "DATABASE_URL": ""}, 300, ".", ".")
    rows = [line.split("|")[1:-1] for line in lines if line.startswith(("| GET", "| POST"))]
    assert len(rows) == 4, lines
    for _, first, second in rows:
        assert int(first) == int(second) > 1000
