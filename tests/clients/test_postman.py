"""Postman as users hold it: `/openapi.json` through Postman's own converter
(openapi-to-postmanv2), then newman runs the collection against gunicorn. Both come from
the npm registry through `clients/postman/package-lock.json` (`npm ci`)."""

import json
import re
import shutil
import subprocess
import urllib.request
import uuid

import pytest

from tests.conftest import PASSWORD, missing
from tests.server import ROOT, database_url, serving

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
POSTMAN = ROOT / "clients" / "postman"
NEWMAN = POSTMAN / "node_modules" / ".bin" / "newman"

# Before every request of the imported collection: a fresh access token, so a logout or
# refresh earlier in the run does not turn the rest into 401s that test nothing.
FRESH_TOKEN = """
pm.sendRequest({
  url: pm.environment.get("serverUrl") + "/login",
  method: "POST",
  header: {"Content-Type": "application/json"},
  body: {mode: "raw", raw: JSON.stringify({
    username: pm.environment.get("username"), password: pm.environment.get("password")})}
}, (error, response) => {
  if (error || response.code !== 200) throw new Error("log-in for a fresh token failed");
  pm.environment.set("bearerToken", response.json().access_token);
});
"""


def node_tools() -> None:
    """`npm ci` from the committed lock file when node_modules is missing."""
    npm = shutil.which("npm")
    if npm is None:
        missing("Node.js and npm (e.g. apt-get install nodejs npm)")
    if not NEWMAN.exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=POSTMAN, check=True)


@pytest.fixture
def server(tmp_path):
    node_tools()
    with serving(database_url(tmp_path, "postman.db")) as server:
        yield server


def newman(collection: dict, tmp_path, name: str, **variables: str) -> list[dict]:
    """Run a collection; one record per request sent, from newman's JSON reporter."""
    source, report = tmp_path / f"{name}.json", tmp_path / f"{name}-report.json"
    source.write_text(json.dumps(collection))
    environment = [f"--env-var={key}={value}" for key, value in variables.items()]
    subprocess.run(
        [
            NEWMAN,
            "run",
            source,
            *environment,
            "--reporters=json",
            f"--reporter-json-export={report}",
        ],
        cwd=POSTMAN,
        capture_output=True,
        check=False,  # failures are read from the report, request by request
        timeout=300,
    )
    run = json.loads(report.read_text())["run"]
    errors = {}  # newman reports a request error as a run failure at that request's cursor
    for failure in run["failures"]:
        if failure["at"] == "request":
            errors[failure["cursor"]["ref"]] = failure["error"]["message"]
    labels = {  # "METHOD /path/:param" as the collection spells it
        item["name"]: f"{item['request']['method']} {path_of(item['request']['url'])}"
        for item in requests_in(collection["item"])
    }
    records = {}  # an execution appears once per event it saw: merge them by cursor
    for execution in run["executions"]:
        response = execution.get("response") or {}
        ref = execution["cursor"]["ref"]
        record = records.setdefault(ref, {"failed": []})
        record.update(
            name=execution["item"]["name"],
            request=labels[execution["item"]["name"]],
            error=errors.get(ref),
        )
        if response:
            record["status"] = response["code"]
            record["body"] = bytes(response["stream"]["data"]).decode(errors="replace")
        record["failed"] += [
            f"{a['assertion']}: {a['error']['message']}"
            for a in execution.get("assertions", [])
            if a.get("error")
        ]
    return [{"status": None, "body": ""} | record for record in records.values()]


def path_of(url) -> str:
    if isinstance(url, str):
        return url.removeprefix("{{baseUrl}}")
    return "/" + "/".join(url["path"])


def converted(spec_file, tmp_path) -> dict:
    output = tmp_path / "collection.json"
    node = shutil.which("node")
    subprocess.run([node, "convert.js", spec_file, output], cwd=POSTMAN, check=True)
    return json.loads(output.read_text())


def requests_in(items: list) -> list[dict]:
    found = []
    for item in items:
        found += requests_in(item["item"]) if "item" in item else [item]
    return found


def test_every_request_of_the_imported_collection_is_answered(server, tmp_path):
    spec_file = tmp_path / "openapi.json"
    with urllib.request.urlopen(server.url + "/openapi.json", timeout=10) as response:  # noqa: S310
        spec_file.write_bytes(response.read())
    collection = converted(spec_file, tmp_path)
    # Bodies come from the spec's examples: no "<string>" placeholders, no read-only fields.
    bodies = {
        f"{r['request']['method']} {path_of(r['request']['url'])}": r["request"]["body"]["raw"]
        for r in requests_in(collection["item"])
        if r["request"].get("body")
    }
    assert [label for label, raw in bodies.items() if re.search(r'"<\w+>"', raw)] == []
    assert json.loads(bodies["POST /item"]) == {
        "name": "Chair",
        "price": 15.99,
        "description": "Solid oak, seats one.",
        "store_id": 1,
    }
    assert json.loads(bodies["POST /store"]) == {"name": "Corner Shop"}
    collection["event"] = [{"listen": "prerequest", "script": {"exec": [FRESH_TOKEN]}}]
    username = f"postman-{uuid.uuid4().hex[:8]}"
    server.tokens(username)

    # As imported: `baseUrl` is whatever the spec's `servers` gave the converter.
    records = newman(
        collection,
        tmp_path,
        "imported",
        serverUrl=server.url,
        username=username,
        password=PASSWORD,
    )

    spec = json.loads(spec_file.read_text())
    operations = [(m, p) for p, ops in spec["paths"].items() for m in ops if m in METHODS]
    assert len(records) == len(requests_in(collection["item"])) == len(operations)
    problems = [
        f"{r['name']} ({r['request']}): " + (r["error"] or f"{r['status']} {r['body'][:300]}")
        for r in records
        if r["error"] or r["status"] >= 500 or (r["status"] == 422 and "Unknown field" in r["body"])
    ]
    assert not problems, "\n".join(problems)


def test_smoke_folder_runs_in_order(server, tmp_path):
    collection = json.loads((POSTMAN / "smoke.postman_collection.json").read_text())
    records = newman(
        collection,
        tmp_path,
        "smoke",
        baseUrl=server.url,
        username=f"smoke-{uuid.uuid4().hex[:8]}",
        password=PASSWORD,
    )
    names = [r["name"] for r in records]
    assert names == [i["name"] for i in collection["item"][0]["item"]]
    failures = [
        f"{r['name']} ({r['request']} -> {r['status']}): "
        f"{r['error'] or r['failed']} {r['body'][:300]}"
        for r in records
        if r["error"] or r["failed"]
    ]
    assert not failures, "\n".join(failures)
