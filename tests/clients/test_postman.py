"""Postman as the README has users import it: clients/postman/stores-api.postman_collection.json,
made from /openapi.json by Postman's own converter (clients/postman/generate.py), run
unedited by newman against gunicorn. newman and the converter come from the npm registry
through `clients/postman/package-lock.json` (`npm ci`)."""

import json
import shutil
import subprocess

import pytest

from clients.postman import generate
from tests.conftest import missing
from tests.server import ROOT, database_url, serving

POSTMAN = ROOT / "clients" / "postman"
NEWMAN = POSTMAN / "node_modules" / ".bin" / "newman"


@pytest.fixture(scope="module")
def node_tools() -> None:
    """`npm ci` from the committed lock file when node_modules is missing."""
    npm = shutil.which("npm")
    if npm is None:
        missing("Node.js and npm (e.g. apt-get install nodejs npm)")
    if not NEWMAN.exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=POSTMAN, check=True)


def test_the_committed_collection_is_generated_from_todays_api(node_tools, tmp_path):
    fresh = tmp_path / "collection.json"
    generate.main(fresh)
    assert fresh.read_text() == generate.COLLECTION.read_text(), (
        "stale: run `python -m clients.postman.generate`"
    )


def test_the_collection_runs_start_to_finish_with_no_edits(node_tools, tmp_path):
    collection = json.loads(generate.COLLECTION.read_text())
    steps = collection["item"][0]["item"]
    report = tmp_path / "report.json"
    with serving(database_url(tmp_path, "postman.db")) as server:
        subprocess.run(
            [
                NEWMAN,
                "run",
                generate.COLLECTION,
                f"--env-var=baseUrl={server.url}",  # the only setting: where the server is
                "--reporters=json",
                f"--reporter-json-export={report}",
            ],
            cwd=POSTMAN,
            capture_output=True,
            check=False,  # failures are read from the report, request by request
            timeout=300,
        )
    run = json.loads(report.read_text())["run"]
    ran = [(e["item"]["name"], e["response"]["code"]) for e in run["executions"]]
    assert [name for name, _ in ran] == [step["name"] for step in steps]
    assert ran[3][0] == "Register" or steps[3]["request"]["url"]["path"] == ["register"]
    paths = ["/".join(s["request"]["url"]["path"]) for s in steps]
    assert paths[3:5] == ["register", "login"]
    assert paths[-2:] == ["user/:user_id", "logout"] and ran[-1][1] == 200
    failures = [f"{f['source']['name']}: {f['error']['message']}" for f in run["failures"]]
    assert failures == []
    assert run["stats"]["assertions"] == {"total": len(steps), "pending": 0, "failed": 0}
    assert run["stats"]["requests"]["total"] == len(steps)
