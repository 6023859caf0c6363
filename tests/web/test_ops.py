"""Probes and the access log: what operators see, and what they must never see."""

import logging

import pytest

from tests.conftest import PASSWORD, bearer


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log():
    handler = Lines()
    logger = logging.getLogger("stores.access")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_health_and_ready(client):
    assert client.get("/health").json == {"status": "ok"}
    ready = {"status": "ready", "mail": {"waiting": 0, "oldest_age": 0}}
    assert client.get("/ready").json == ready


def test_probes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/health", "/ready"} <= set(paths)


def test_every_request_is_logged_with_its_id_and_user(client, auth, access_log):
    headers = auth.headers()
    response = client.get("/my-info", headers={**headers, "X-Request-ID": "proxy-42"})
    assert response.headers["X-Request-ID"] == "proxy-42"
    user_id = response.json["id"]
    line = access_log[-1]
    assert line.startswith("GET /my-info 200 ")
    assert f"user={user_id}" in line
    assert "request_id=proxy-42" in line
    assert "ms client=127.0.0.1" in line


@pytest.mark.parametrize("incoming", ["", "x" * 65, "bad id", "a;b<script>"])
def test_unsafe_request_ids_are_replaced(client, access_log, incoming):
    response = client.get("/health", headers={"X-Request-ID": incoming})
    generated = response.headers["X-Request-ID"]
    assert generated != incoming
    assert len(generated) == 32
    assert access_log[-1].endswith(f"request_id={generated}")


def test_no_secret_reaches_the_log(client, auth, access_log):
    tokens = auth.tokens()
    client.get("/my-info", headers=bearer(tokens["access_token"]))
    client.post("/refresh", headers=bearer(tokens["refresh_token"]))
    client.post("/login", json={"username": "alice", "password": "wrong " + PASSWORD})
    text = "\n".join(access_log)
    assert len(access_log) >= 4
    for secret in (tokens["access_token"], tokens["refresh_token"], PASSWORD, "Bearer"):
        assert secret not in text
    # A rejected token identifies nobody: its unverified `sub` is not logged.
    client.get("/my-info", headers=bearer(tokens["access_token"] + "x"))
    assert access_log[-1].split()[-2] == "user=-"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/x%0a2026-01-01 GET /admin 200", "/x%0A2026-01-01%20GET%20/admin%20200"),
        ("/x%0d%0aforged", "/x%0D%0Aforged"),
        ("/a%20200%201.0ms%20client=10.0.0.1", "/a%20200%201.0ms%20client=10.0.0.1"),
        ("/x%1b[31mred%00", "/x%1B%5B31mred%00"),
        ("/caf%C3%A9%E2%80%A8", "/caf%C3%A9%E2%80%A8"),  # é, then a line separator
        ("/100%25", "/100%25"),
    ],
)
def test_a_path_cannot_forge_a_log_line_or_field(client, access_log, path, logged):
    client.get(path)
    (line,) = [line for line in access_log if "404" in line]
    assert line.startswith(f"GET {logged} 404 ")
    assert line.isprintable()
    assert len(line.split()) == 7  # method path status time client user request_id
