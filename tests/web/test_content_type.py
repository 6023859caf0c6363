"""The commonest curl mistake: a JSON body sent without `Content-Type: application/json`."""

import json

import pytest

BODY = json.dumps({"username": "alice", "password": "correct horse battery"})


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        (None, "no Content-Type"),
        ("application/x-www-form-urlencoded", "'application/x-www-form-urlencoded'"),
        ("text/plain", "'text/plain'"),
        ("text/plain; charset=utf-8", "'text/plain'"),
    ],
)
def test_a_body_that_is_not_declared_json_is_415(client, content_type, named):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/register", data=BODY, headers=headers)
    assert response.status_code == 415
    assert response.json == {
        "code": 415,
        "status": "Unsupported Media Type",
        "message": "The request body must be JSON, sent with 'Content-Type: application/json' "
        f"(this request had {named}).",
    }


def test_curl_d_form_fields_are_415_too(client, owner):
    response = client.post("/store", data={"name": "Corner Shop"}, headers=owner)
    assert response.status_code == 415


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_json_bodies_are_read(client, content_type):
    response = client.post("/register", data=BODY, headers={"Content-Type": content_type})
    assert response.status_code == 201


def test_no_body_at_all_is_still_a_422_naming_the_fields(client):
    response = client.post("/register")
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"username", "password"}


def test_endpoints_without_a_body_ignore_the_content_type(client, auth):
    tokens = auth.tokens()
    response = client.post(
        "/logout",
        data="x",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Content-Type": "text/plain"},
    )
    assert response.status_code == 200


def test_415_is_documented_on_every_body(client):
    spec = client.get("/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                assert "415" in operation["responses"], (method, path)
