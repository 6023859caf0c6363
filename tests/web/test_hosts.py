"""TRUSTED_HOSTS: another Host gets 400 JSON and never reaches an absolute URL the API
writes (Link, the OpenAPI `servers` entry); the probes answer any Host."""

import pytest

from app import create_app
from db import db
from tests.conftest import SECRET


@pytest.fixture
def hosted(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUSTED_HOSTS", "api.example, .shop.example")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}", "JWT_SECRET_KEY": SECRET}
    )
    with app.app_context():
        db.create_all()
    return app.test_client()


@pytest.mark.parametrize("path", ["/store", "/store?page_size=1", "/openapi.json", "/nowhere"])
def test_another_host_is_refused_in_json(hosted, path):
    response = hosted.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.json == {
        "code": 400,
        "status": "Bad Request",
        "message": "This server does not answer for that Host.",
    }
    assert "Link" not in response.headers
    assert "evil" not in response.get_data(as_text=True)


def test_a_trusted_host_reaches_the_urls(hosted):
    hosted.post("/register", json={"username": "alice", "password": "correct horse"})
    spec = hosted.get("/openapi.json", headers={"Host": "api.example:8443"}).json
    assert spec["servers"][0]["url"] == "http://api.example:8443"
    assert hosted.get("/store", headers={"Host": "eu.shop.example"}).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_probes_answer_any_host(hosted, path):
    for host in ("10.0.0.7:8000", "evil.example", "[::1]"):
        response = hosted.get(path, headers={"Host": host})
        assert response.status_code == 200, (host, response.json)


def test_without_trusted_hosts_any_host_is_served(client):
    spec = client.get("/openapi.json", headers={"Host": "anything.example"}).json
    assert spec["servers"][0]["url"] == "http://anything.example"
