"""The OpenAPI document as clients import it: Postman, Swagger UI, code generators."""

import re

import pytest

from security.schemas import SESSION_ID


def spec_of(client, **kwargs) -> dict:
    response = client.get("/openapi.json", **kwargs)
    assert response.status_code == 200
    return response.json


def test_servers_names_the_server_that_served_the_spec(client):
    """Postman's converter takes servers[0].url as the base URL: it must be absolute."""
    spec = spec_of(client, base_url="http://api.example:8123")
    assert spec["servers"] == [{"url": "http://api.example:8123", "description": "This server"}]


def test_servers_behind_the_proxy_is_the_public_url(app):
    app.config["PROXY_COUNT"] = 1
    from app import create_app

    proxied = create_app(dict(app.config))
    spec = spec_of(
        proxied.test_client(),
        base_url="http://127.0.0.1",
        headers={
            "Host": "shop.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "1.2.3.4",
        },
    )
    assert spec["servers"][0]["url"] == "https://shop.example"


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def properties(spec: dict, schema: dict, path: str = ""):
    """(path, property schema) of every property under a body schema, nested ones too."""
    schema = resolve(spec, schema)
    for part in schema.get("allOf", []):
        yield from properties(spec, part, path)
    if "items" in schema:
        yield from properties(spec, schema["items"], path + "[]")
    for name, prop in schema.get("properties", {}).items():
        yield f"{path}.{name}", resolve(spec, prop)
        yield from properties(spec, prop, f"{path}.{name}")


METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def operations_of(spec: dict):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield path, method, operation


def bodies(spec: dict, which: str):
    """(operation, schema) of every request body, or of every 2xx JSON response."""
    for path, method, operation in operations_of(spec):
        label = f"{method.upper()} {path}"
        if which == "request" and "requestBody" in operation:
            yield label, operation["requestBody"]["content"]["application/json"]["schema"]
        for status, response in operation["responses"].items() if which == "response" else ():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content:
                yield f"{label} {status}", content["schema"]


@pytest.mark.parametrize(("which", "flag"), [("request", "readOnly"), ("response", "writeOnly")])
def test_no_field_of_the_other_direction_in_a_body(client, which, flag):
    """No read-only field in a request body, no write-only one in a response."""
    spec = spec_of(client)
    found = [
        f"{operation}: {name}"
        for operation, schema in bodies(spec, which)
        for name, prop in properties(spec, schema)
        if prop.get(flag)
    ]
    assert found == []


def test_an_item_is_created_from_its_own_fields_and_a_store_id(client):
    spec = spec_of(client)
    store_body = spec["paths"]["/item"]["post"]["requestBody"]["content"]["application/json"]
    assert set(resolve(spec, store_body["schema"])["properties"]) == {
        "name",
        "price",
        "description",
        "store_id",
    }


@pytest.mark.parametrize("which", ["request", "response"])
def test_every_scalar_in_a_body_has_an_example(client, which):
    spec = spec_of(client)
    missing = [
        f"{operation}: {name}"
        for operation, schema in bodies(spec, which)
        for name, prop in properties(spec, schema)
        if prop.get("type") not in ("object", "array", None) and "example" not in prop
    ]
    assert missing == []


def test_examples_are_realistic(client):
    spec = spec_of(client)
    schemas = spec["components"]["schemas"]
    assert schemas["StoreCreate"]["properties"]["name"]["example"] == "Corner Shop"
    item = schemas["ItemCreate"]["properties"]
    assert (item["price"]["example"], item["store_id"]["example"]) == (15.99, 1)
    for path, operations in spec["paths"].items():
        for parameter in operations.get("parameters", []):
            if parameter["in"] == "path" and parameter["schema"]["type"] == "integer":
                assert parameter["schema"]["example"] == 1, path
            elif parameter["in"] == "path":  # a login session's id
                assert re.fullmatch(SESSION_ID["pattern"], parameter["schema"]["example"])


def test_every_pattern_agrees_with_its_validator():
    """The spec states the name rules as patterns (for fuzzers and validators); the
    validators that enforce them must accept exactly the strings the pattern does."""
    from marshmallow import ValidationError

    from validation.validators import (
        DESCRIPTION_PATTERN,
        NAME_PATTERN,
        no_control_but_lines,
        plain_name,
    )

    def valid(value: str, validator) -> bool:
        try:
            validator(value)
        except ValidationError:
            return False
        return True

    samples = ["a", "a b", "Café", " a", "a ", "\t \n", "a\x00b", "a\n", "\u3000a", "a\x1c", "x"]
    samples += [chr(c) + "a" for c in range(0x3100)] + ["a" + chr(c) for c in range(0x3100)]
    samples += ["a" + chr(c) + "b" for c in range(0x100)]
    for pattern, validator in (
        (NAME_PATTERN, plain_name),
        (DESCRIPTION_PATTERN, no_control_but_lines),
    ):
        assert all(bool(re.search(pattern, s)) == valid(s, validator) for s in samples), pattern


def test_refresh_has_its_own_security_scheme(client):
    spec = spec_of(client)
    schemes = spec["components"]["securitySchemes"]
    assert set(schemes) == {"bearerAuth", "refreshAuth"}
    assert schemes["refreshAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/refresh"]["post"]["security"] == [{"refreshAuth": []}]
    others = [
        (path, method)
        for path, method, operation in operations_of(spec)
        if {"refreshAuth": []} in operation.get("security", []) and path != "/refresh"
    ]
    assert others == []


def test_the_description_says_how_to_log_in_and_authorize(client):
    description = spec_of(client)["info"]["description"]
    for words in ("POST /login", "Authorize", "access_token", "refresh_token", "refreshAuth"):
        assert words in description


def test_swagger_ui_keeps_the_token_across_reloads(client):
    page = client.get("/swagger-ui").get_data(as_text=True)
    assert 'override_config = {"persistAuthorization": true}' in page


def test_every_error_response_has_an_example(client):
    spec = spec_of(client)
    missing = []
    for path, method, operation in operations_of(spec):
        for status, response in operation["responses"].items():
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            media = response.get("content", {}).get("application/json")
            if media and not status.startswith("2") and "example" not in media:
                missing.append(f"{method.upper()} {path} {status}")
    assert missing == []


def documented_example(spec, path, method, status):
    response = spec["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["example"]


def test_error_examples_are_the_bodies_the_api_sends(client, auth, store):
    """The examples are not made up: each is what the request it stands for gets."""
    spec = spec_of(client)
    other = auth.headers("bob")
    sid = store["id"]
    cases = [
        ("/my-info", "get", "401", client.get("/my-info")),
        ("/store/{store_id}", "get", "404", client.get("/store/999")),
        ("/store", "post", "400", client.post("/store", json={"name": "Shop"}, headers=other)),
        ("/register", "post", "409", auth.register("bob")),
        ("/login", "post", "401", auth.login("bob", "wrong password")),
        (
            "/store/{store_id}/tag",
            "post",
            "403",
            client.post(f"/store/{sid}/tag", json={"name": "Furniture"}, headers=other),
        ),
        (
            "/store",
            "post",
            "415",
            client.post("/store", data={"name": "Corner Shop"}, headers=other),
        ),
        ("/user/{user_id}", "get", "403", client.get("/user/1", headers=other)),
    ]
    for path, method, status, response in cases:
        assert str(response.status_code) == status, (path, response.json)
        assert response.json == documented_example(spec, path, method, status), (path, status)


def test_a_views_own_error_description_is_kept(client):
    """The 400/413/415 added to every body must not replace what a view says itself."""
    responses = spec_of(client)["paths"]["/store"]["post"]["responses"]
    assert responses["400"]["description"].startswith("A store with that name already exists")
