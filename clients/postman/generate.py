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

HERE = Path(__file__).resolve().parent
COLLECTION = HERE / "stores-api.postman_collection.json"
BASE_URL = "http://127.0.0.1:5000"  # `make run`; newman: --env-var baseUrl=...
PASSWORD, NEW_PASSWORD = "correct horse battery", "a longer correct horse battery"

# Test-script lines that keep what later requests use.
KEEP_TOKENS = [
    "const tokens = pm.response.json();",
    'pm.collectionVariables.set("accessToken", tokens.access_token);',
    'pm.collectionVariables.set("refreshToken", tokens.refresh_token);',
]


def keep(variable: str, field: str = "id") -> list[str]:
    return [f'pm.collectionVariables.set("{variable}", pm.response.json().{field});']


# (method, path as the converter spells it, expected status, overrides). In this order.
# "why" names an expected error: the documented answer to what this run can send.
STEPS = [
    ("GET", "/health", 200, {"auth": None}),
    ("GET", "/ready", 200, {"auth": None}),
    ("GET", "/.well-known/jwks.json", 200, {"auth": None}),
    (
        "POST",
        "/register",
        201,
        {
            "auth": None,
            "body": {
                "username": "{{username}}",
                "password": "{{password}}",
                "email": "{{username}}@example.com",
            },
            "prerequest": [  # a new account every run, so a second run is not a 409
                'pm.collectionVariables.set("username", "postman-" + Date.now());',
                f'pm.collectionVariables.set("password", "{PASSWORD}");',
            ],
        },
    ),
    (
        "POST",
        "/login",
        200,
        {
            "auth": None,
            "body": {"username": "{{username}}", "password": "{{password}}"},
            "test": KEEP_TOKENS,
        },
    ),
    ("GET", "/my-info", 200, {"test": keep("userId")}),
    ("GET", "/user/:user_id", 200, {"path": {"user_id": "{{userId}}"}}),
    (
        "POST",
        "/store",
        201,
        {"body": {"name": "Corner Shop {{$timestamp}}"}, "test": keep("storeId")},
    ),
    ("GET", "/store", 200, {"query_off": ["page"]}),
    ("GET", "/store/:store_id", 200, {"path": {"store_id": "{{storeId}}"}}),
    (
        "POST",
        "/store/:store_id/tag",
        201,
        {"path": {"store_id": "{{storeId}}"}, "test": keep("tagId")},
    ),
    (
        "GET",
        "/store/:store_id/tag",
        200,
        {"path": {"store_id": "{{storeId}}"}, "query_off": ["page"]},
    ),
    ("GET", "/tag/:tag_id", 200, {"path": {"tag_id": "{{tagId}}"}}),
    ("POST", "/item", 201, {"body": {"store_id": "{{storeId}}"}, "test": keep("itemId")}),
    (
        "GET",
        "/item",
        200,
        {"query": {"store_id": "{{storeId}}"}, "query_off": ["page", "tag_id"]},
    ),
    ("GET", "/item/:item_id", 200, {"path": {"item_id": "{{itemId}}"}}),
    (
        "PUT",
        "/item/:item_id",
        200,
        {"path": {"item_id": "{{itemId}}"}},
    ),
    (
        "POST",
        "/item/:item_id/tag/:tag_id",
        201,
        {"path": {"item_id": "{{itemId}}", "tag_id": "{{tagId}}"}},
    ),
    (
        "DELETE",
        "/item/:item_id/tag/:tag_id",
        200,
        {"path": {"item_id": "{{itemId}}", "tag_id": "{{tagId}}"}},
    ),
    ("DELETE", "/tag/:tag_id", 202, {"path": {"tag_id": "{{tagId}}"}}),
    ("DELETE", "/item/:item_id", 200, {"path": {"item_id": "{{itemId}}"}}),
    ("DELETE", "/store/:store_id", 200, {"path": {"store_id": "{{storeId}}"}}),
    (
        "PUT",
        "/my-info/email",
        202,
        {"body": {"email": "new-{{username}}@example.com", "current_password": "{{password}}"}},
    ),
    (
        "POST",
        "/verify-email",
        400,
        {"auth": None, "why": "the example token is no real link", "error": "invalid_link"},
    ),
    ("POST", "/password-reset", 202, {"auth": None, "body": {"login": "{{username}}"}}),
    (
        "POST",
        "/password-reset/confirm",
        400,
        {"auth": None, "why": "the example token is no real link", "error": "invalid_link"},
    ),
    ("POST", "/my-info/mfa", 200, {}),
    (
        "POST",
        "/my-info/mfa/confirm",
        400,
        {"why": "the example code is not the authenticator's", "error": "invalid_code"},
    ),
    (
        "POST",
        "/my-info/mfa/disable",
        409,
        {"body": {"current_password": "{{password}}"}, "why": "two-factor login is not on"},
    ),
    (
        "POST",
        "/login/mfa",
        401,
        {"auth": None, "why": "the example mfa_token is unknown", "error": "mfa_token_invalid"},
    ),
    (
        "GET",
        "/my-info/sessions",
        200,
        {"test": ['pm.collectionVariables.set("sessionId", pm.response.json()[0].id);']},
    ),
    ("DELETE", "/my-info/sessions", 200, {}),
    (
        "PUT",
        "/my-info/password",
        200,
        {
            "body": {"current_password": "{{password}}", "new_password": NEW_PASSWORD},
            "test": [f'pm.collectionVariables.set("password", "{NEW_PASSWORD}");'],
        },
    ),
    # The password change ended every session: log in again with the new password.
    (
        "POST",
        "/login",
        200,
        {
            "name": "Log in with the new password",
            "auth": None,
            "body": {"username": "{{username}}", "password": "{{password}}"},
            "test": KEEP_TOKENS,
        },
    ),
    (
        "DELETE",
        "/my-info/sessions/:session_id",
        404,
        {"path": {"session_id": "{{sessionId}}"}, "why": "the password change ended that session"},
    ),
    ("POST", "/refresh", 200, {"auth": "{{refreshToken}}", "test": KEEP_TOKENS}),
    (
        "DELETE",
        "/user/:user_id",
        401,
        {
            "path": {"user_id": "{{userId}}"},
            "why": "a refreshed token is not fresh",
            "error": "fresh_token_required",
        },
    ),
    ("POST", "/logout", 200, {}),
]
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
