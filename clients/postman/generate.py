"""Write stores-api.postman_collection.json: the app's /openapi.json through Postman's own
converter (convert.js), then put in the order a session runs (register, log in, every
operation, refresh, log out last), with tokens and ids chained through collection
variables and a test script on every request asserting the status it expects.

Run from the repository root after changing the API: `python -m clients.postman.generate`
(tests/clients/test_postman.py fails while the committed file is stale)."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from app import create_app
from clients.postman.steps import PASSWORD, STEPS

HERE = Path(__file__).resolve().parent
COLLECTION = HERE / "stores-api.postman_collection.json"
BASE_URL = "http://127.0.0.1:5000"  # `make run`; newman: --env-var baseUrl=...

NUMBERS = ["storeId", "itemId", "tagId", "userId"]  # sent bare in bodies, not as strings


def spec() -> dict:
    """The app's /openapi.json as served at BASE_URL, with settings pinned, not read."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "JWT_SECRET_KEY": "only-for-the-generated-postman-collection-0123456789",
        }
    )
    return app.test_client().get("/openapi.json", base_url=BASE_URL).get_json()


def converted(document: dict) -> dict:
    """Postman's converter, as its Import runs it (convert.js)."""
    with tempfile.TemporaryDirectory() as tmp:
        source, output = Path(tmp) / "openapi.json", Path(tmp) / "collection.json"
        source.write_text(json.dumps(document))
        node = shutil.which("node") or "node"
        subprocess.run([node, "convert.js", source, output], cwd=HERE, check=True)  # noqa: S603
        return json.loads(output.read_text())


def requests_in(items: list) -> list[dict]:
    found = []
    for item in items:
        found += requests_in(item["item"]) if "item" in item else [item]
    return found


def without_ids(value):
    """The converter's random uuids out, so the file changes only when the API does."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ("id", "_postman_id")}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def script(kind: str, lines: list[str]) -> dict:
    return {"listen": kind, "script": {"type": "text/javascript", "exec": lines}}


def step(item: dict, status: int, how: dict) -> dict:
    item = json.loads(json.dumps(item))  # a copy: /login is used twice
    request, url = item["request"], item["request"]["url"]
    if "name" in how:
        item["name"] = request["name"] = how["name"]
    if "auth" in how and how["auth"] is None:
        request.pop("auth", None)
        request["auth"] = {"type": "noauth"}
    elif request.get("auth"):
        token = how.get("auth") or "{{accessToken}}"
        request["auth"] = {"type": "bearer", "bearer": [{"key": "token", "value": token}]}
    for variable in url.get("variable", []):
        variable["value"] = how.get("path", {}).get(variable["key"], variable["value"])
    for parameter in url.get("query", []):
        parameter["value"] = how.get("query", {}).get(parameter["key"], parameter["value"])
        if parameter["key"] in how.get("query_off", []):  # e.g. ?page= beside ?after=
            parameter["disabled"], parameter["value"] = True, "1"  # not the converter's random
    if "body" in how:
        body = json.loads(request["body"]["raw"]) | how["body"]
        for key in [k for k in body if k in how.get("drop", [])]:
            del body[key]
        raw = json.dumps(body, indent=2)
        for name in NUMBERS:
            raw = raw.replace(f'"{{{{{name}}}}}"', f"{{{{{name}}}}}")
        request["body"]["raw"] = raw
    if status >= 300 and "why" not in how:
        raise SystemExit(f"{item['name']}: an expected error must say why")
    expected = f"status {status}" + (f" ({how['why']})" if "why" in how else "")
    check = f"pm.response.to.have.status({status});"
    if "error" in how:  # the documented error, not any answer with that status
        check += f' pm.expect(pm.response.json().error).to.eql("{how["error"]}");'
    tests = [f'pm.test("{expected}", () => {{ {check} }});']
    item["event"] = [script("test", tests + how.get("test", []))]
    if "prerequest" in how:
        item["event"].insert(0, script("prerequest", how["prerequest"]))
    item["response"] = [r for r in item.get("response", []) if r.get("code") == status]
    for response in item["response"]:  # its example request: this one's URL, no random values
        response["originalRequest"]["url"] = url
    return item


def collection(document: dict) -> dict:
    source = converted(document)
    by_label = {}
    for item in requests_in(source["item"]):
        url = item["request"]["url"]
        by_label[(item["request"]["method"], "/" + "/".join(url["path"]))] = item
    steps = [step(by_label[(method, path)], status, how) for method, path, status, how in STEPS]
    missing = set(by_label) - {(method, path) for method, path, _, _ in STEPS}
    if missing:
        raise SystemExit(f"operations with no step in generate.py: {sorted(missing)}")
    info = source["info"]
    info["description"] = (
        "Run the folder in order (Run collection, or `newman run` this file): it registers "
        "a new user, logs in, calls every operation, refreshes and logs out last. Tokens "
        "and ids go into collection variables; each request's test checks its status. "
        f"`baseUrl` is {BASE_URL}; set it to your server. Generated by "
        "clients/postman/generate.py from /openapi.json; do not edit by hand."
    )
    variables = {"baseUrl": BASE_URL, "username": "", "password": PASSWORD}
    variables |= dict.fromkeys(["accessToken", "refreshToken", "sessionId", *NUMBERS], "")
    return without_ids(
        {
            "info": info,
            "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{accessToken}}"}]},
            "item": [{"name": "Session, in order", "item": steps}],
            "variable": [{"key": k, "value": v} for k, v in variables.items()],
        }
    )


def main(output: Path = COLLECTION) -> None:
    output.write_text(json.dumps(collection(spec()), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else COLLECTION)
