"""The OpenAPI document as clients import it: Postman, Swagger UI, code generators."""


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
