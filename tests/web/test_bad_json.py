"""Hostile JSON on every endpoint that reads a body: deep nesting, numbers with thousands
of digits, lone UTF-16 surrogates and repeated keys get 400 or 422 JSON, never a 500 or
a traceback in the log, on SQLite and PostgreSQL."""

import json
import logging

import pytest

from tests.conftest import PASSWORD, make_item, make_store

# A valid body for every operation that has one; the test below keeps this complete.
VALID = {
    ("POST", "/register"): {"username": "newcomer", "password": PASSWORD},
    ("POST", "/login"): {"username": "alice", "password": PASSWORD},
    ("PUT", "/my-info/password"): {"current_password": PASSWORD, "new_password": "a new one!"},
    ("POST", "/store"): {"name": "New shop"},
    ("POST", "/item"): {"name": "Lamp", "price": 1.5, "store_id": "{store}"},
    ("PUT", "/item/{item}"): {"name": "Lamp", "price": 2, "description": "bright"},
    ("POST", "/store/{store}/tag"): {"name": "Lights"},
    ("PUT", "/my-info/email"): {"email": "alice@example.com", "current_password": PASSWORD},
    ("POST", "/verify-email"): {"token": "t" * 43},
    ("POST", "/password-reset"): {"login": "alice"},
    ("POST", "/password-reset/confirm"): {"token": "t" * 43, "new_password": "a new one!"},
    ("POST", "/my-info/mfa/confirm"): {"code": "123456"},
    ("POST", "/my-info/mfa/disable"): {"code": "123456", "current_password": PASSWORD},
    ("POST", "/login/mfa"): {"mfa_token": "t" * 43, "code": "123456"},
}
HOLE = "@hole@"
DEEP = "[" * 1000 + "]" * 1000
HUGE = "1" * 4301  # past Python's int-from-text limit, and past a double's range


def hostile(body: dict, field: str, kind: str) -> str:
    """The body as text with `field` made hostile."""
    if kind == "surrogate":  # a JS client that cut an emoji in half
        return json.dumps({**body, field: "ab\udfffc"})
    if kind == "duplicate":  # the first of two values for the same key
        return json.dumps({field: "nobody"})[:-1] + ", " + json.dumps(body)[1:]
    text = json.dumps({**body, field: HOLE})
    return text.replace(json.dumps(HOLE), DEEP if kind == "deep" else HUGE)


CASES = [
    pytest.param(method, path, field, kind, id=f"{method} {path} {field} {kind}")
    for (method, path), body in VALID.items()
    for field in body
    for kind in ("deep", "huge", "surrogate", "duplicate")
]


@pytest.fixture
def world(client, auth):
    """alice's fresh token, a store and an item of hers."""
    headers = auth.headers()
    store = make_store(client, headers)
    item = make_item(client, headers, store["id"])
    return headers, {"store": store["id"], "item": item["id"]}


def test_every_body_is_covered(client):
    spec = client.get("/openapi.json").json
    with_body = {
        (method.upper(), path.replace("{item_id}", "{item}").replace("{store_id}", "{store}"))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    assert with_body == set(VALID)


@pytest.mark.parametrize(("method", "path", "field", "kind"), CASES)
def test_hostile_body(client, world, caplog, method, path, field, kind):
    headers, ids = world
    body = {k: ids["store"] if v == "{store}" else v for k, v in VALID[method, path].items()}
    caplog.set_level(logging.INFO)
    response = client.open(
        path.format(**ids),
        method=method,
        data=hostile(body, field, kind).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.data[:300]
    assert response.is_json
    assert response.json["code"] == response.status_code
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    if kind == "duplicate":
        assert response.status_code == 400
        assert f"the key {field!r} appears twice" in response.json["message"]


def test_duplicate_username_does_not_log_in_as_the_second(client, auth):
    auth.register()
    body = f'{{"username": "nobody", "username": "alice", "password": "{PASSWORD}"}}'
    response = client.post("/login", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "access_token" not in response.json
    assert response.json["message"] == (
        "The request body is not valid JSON: the key 'username' appears twice in one object"
    )


def test_a_paired_surrogate_escape_is_an_emoji(client, auth):
    """Only a lone half is refused: the escaped pair of a real emoji is fine."""
    headers = {**auth.headers(), "Content-Type": "application/json"}
    response = client.post("/store", data=b'{"name": "Cake \\ud83c\\udf82"}', headers=headers)
    assert response.status_code == 201
    assert response.json["name"] == "Cake \U0001f382"
