"""The app as users run it: migrations build the schema, gunicorn serves it with two
workers, and revocation holds across workers and a restart (real HTTP, no test client)."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PASSWORD, redis_url
from tests.server import Server, database_url, flask, migrated


@pytest.fixture
def env(tmp_path):
    with migrated(database_url(tmp_path, "srv.db")) as env:
        yield env


@pytest.fixture
def server(env):
    server = Server(env).start()
    yield server
    server.stop()


def test_migrations_match_the_models(env):
    assert "No new upgrade operations detected" in flask(env, "db", "check")


def test_revocation_holds_across_workers_and_restart(server):
    credentials = {"username": "alice", "password": PASSWORD}
    assert server.call("POST", "/register", credentials)[0] == 201
    first = server.call("POST", "/login", credentials)[1]
    second = server.call("POST", "/login", credentials)[1]

    assert server.call("POST", "/logout", token=first["access_token"])[0] == 200
    # Enough calls that both workers answer some of them.
    for _ in range(10):
        status, body = server.call("GET", "/my-info", token=first["access_token"])
        assert (status, body["error"]) == (401, "token_revoked")
        assert server.call("GET", "/my-info", token=second["access_token"])[0] == 200

    status, refreshed = server.call("POST", "/refresh", token=second["refresh_token"])
    assert status == 200
    # Rotated once more, so the first refresh token is past any grace window.
    status, refreshed = server.call("POST", "/refresh", token=refreshed["refresh_token"])
    assert status == 200

    server.stop()
    server.start()

    assert server.call("GET", "/my-info", token=first["access_token"])[0] == 401
    assert server.call("POST", "/refresh", token=first["refresh_token"])[0] == 401
    assert server.call("GET", "/my-info", token=refreshed["access_token"])[0] == 200
    # The refresh token spent before the restart is still spent after it.
    status, body = server.call("POST", "/refresh", token=second["refresh_token"])
    assert (status, body["error"]) == (401, "token_revoked")
    assert server.call("GET", "/my-info", token=refreshed["access_token"])[0] == 401


def test_failed_login_limit_is_shared_by_gunicorn_workers(env):
    """Redis holds the counters, so a second worker cannot hand out more attempts."""
    env = env | {
        "RATELIMIT_STORAGE_URI": redis_url(),
        "RATELIMIT_LOGIN_FAILURES": "3 per minute",
    }
    server = Server(env).start()
    try:
        username = f"alice-{uuid.uuid4().hex[:8]}"  # counters in Redis outlive a run
        server.tokens(username)
        wrong = {"username": username, "password": "not the password"}
        assert [server.call("POST", "/login", wrong)[0] for _ in range(3)] == [401] * 3

        def attempt(_):
            return server.call("POST", "/login", wrong)[0]

        # Concurrent calls keep both workers busy, so both answer some of them; with
        # per-worker memory a worker that saw few of the failures above would allow more.
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(attempt, range(12))) == [429] * 12
    finally:
        server.stop()


def test_gunicorn_keeps_no_control_socket_shared_by_every_instance(env, tmp_path):
    """gunicorn's default control socket is one path per user (~/.gunicorn/gunicorn.ctl):
    off unless GUNICORN_CONTROL_SOCKET gives this instance a path of its own."""
    home = tmp_path / "home"
    env = {k: v for k, v in env.items() if k != "XDG_RUNTIME_DIR"} | {"HOME": str(home)}
    own = tmp_path / "own.ctl"
    for settings, socket in (({}, None), ({"GUNICORN_CONTROL_SOCKET": str(own)}, own)):
        server = Server(env | settings, workers=1).start()
        try:
            assert not (home / ".gunicorn" / "gunicorn.ctl").exists()
            assert socket is None or socket.is_socket()
        finally:
            server.stop()
