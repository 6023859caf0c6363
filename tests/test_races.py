"""Two requests racing to create the same thing: one wins, the others get the
documented conflict status (never a 500), on SQLite and PostgreSQL alike."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PASSWORD, make_item, make_store

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
