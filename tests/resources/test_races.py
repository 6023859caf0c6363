"""Two requests racing to create the same thing: one wins, the others get the
documented conflict status (never a 500), on SQLite and PostgreSQL alike. And refreshes
racing with one token, as browser tabs send them, against gunicorn's worker processes."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PASSWORD, make_item, make_store
from tests.server import database_url, serving

RACERS = 6


def race(app, method, path, json, headers=None):
    """Fire the same request from several threads released at the same moment."""
    barrier = threading.Barrier(RACERS)

    def one(_):
        client = app.test_client()
        barrier.wait()
        return client.open(path, method=method, json=json, headers=headers)

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def outcome(responses):
    return sorted(r.status_code for r in responses), {
        r.json.get("message") for r in responses if r.status_code >= 400
    }


def test_same_username(app):
    responses = race(app, "POST", "/register", {"username": "twin", "password": PASSWORD})
    statuses, messages = outcome(responses)
    assert statuses == [201] + [409] * (RACERS - 1)
    assert messages == {"A user with that username already exists."}


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/store", {"name": "Twin"}, 400, "A store with that name already exists."),
        ("/item", {"name": "Twin", "price": 1, "store_id": None}, 409, None),
        ("/store/{store}/tag", {"name": "Twin"}, 400, None),
    ],
)
def test_same_name(app, client, auth, path, body, status, message):
    headers = auth.headers()
    store = make_store(client, headers, "Base")
    make_item(client, headers, store["id"], "Other")
    body = {k: store["id"] if v is None else v for k, v in body.items()}
    responses = race(app, "POST", path.format(store=store["id"]), body, headers)
    statuses, messages = outcome(responses)
    assert statuses == sorted([201] + [status] * (RACERS - 1))
    assert len(messages) == 1
    if message:
        assert messages == {message}


# --- refreshes racing over real HTTP: gunicorn, two worker processes ---------------------

REFRESHERS = 8


@pytest.fixture
def server(tmp_path):
    with serving(database_url(tmp_path, "race.db")) as server:
        yield server


def refresh_at_once(server, token):
    """REFRESHERS refreshes with the same token, released at the same moment."""
    barrier = threading.Barrier(REFRESHERS)

    def one(_):
        barrier.wait()
        return server.call("POST", "/refresh", token=token)

    with ThreadPoolExecutor(REFRESHERS) as pool:
        return list(pool.map(one, range(REFRESHERS)))


def test_tabs_refreshing_at_once_keep_the_session(server):
    """Every refresh with the current token or its predecessor gets a working pair,
    round after round: the session survives (on the old code, 7 of 8 got 401 and the
    session ended in the first round)."""
    tokens = server.tokens("tabs")
    current = tokens["refresh_token"]
    for _ in range(3):
        answers = refresh_at_once(server, current)
        assert [status for status, _ in answers] == [200] * REFRESHERS, answers
        # The predecessor again, all at once: still the grace window.
        late = refresh_at_once(server, current)
        assert [status for status, _ in late] == [200] * REFRESHERS, late
        for _, pair in answers + late:
            assert server.call("GET", "/my-info", token=pair["access_token"])[0] == 200
        current = answers[-1][1]["refresh_token"]


def test_replays_racing_end_the_session_cleanly(server):
    """A token two rotations old, many times at once: every answer is the documented
    401, none a 500, and the session is over."""
    tokens = server.tokens("thief")
    first = server.call("POST", "/refresh", token=tokens["refresh_token"])[1]
    second = server.call("POST", "/refresh", token=first["refresh_token"])[1]
    answers = refresh_at_once(server, tokens["refresh_token"])
    assert {(status, body.get("error")) for status, body in answers} == {(401, "token_revoked")}
    assert server.call("GET", "/my-info", token=second["access_token"])[0] == 401
    assert server.call("POST", "/refresh", token=second["refresh_token"])[0] == 401
