"""`make bench` keeps working: one short scenario, end to end, against both servers.

Nothing about speed is asserted here; bench/run.py measures it (bench/README.md)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_a_scenario_against_the_baseline():
    env = {**os.environ, "BENCH_DURATION": "1", "BENCH_ONLY": "floor"}
    env.pop("DATABASE_URL", None)  # SQLite only: the script would wipe a PostgreSQL database
    result = subprocess.run(
        [sys.executable, "bench/run.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| floor")]
    assert any("| bare Flask |" in row for row in rows), result.stdout
    api = next(row for row in rows if "| API (sqlite) |" in row)
    assert api.split("|")[-2].strip() == "0", api  # no errors
