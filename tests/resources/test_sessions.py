"""Login sessions as devices (GET and DELETE /my-info/sessions) and the refresh grace
window for browser tabs (JWT_REFRESH_GRACE_SECONDS)."""

import time
import types
from datetime import datetime, timedelta

import pytest

import security.sessions
from app import create_app
from db import db
from tests.conftest import REVOKED, bearer, decode

AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def assert_401(response, body):
    assert response.status_code == 401, response.json
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json == body


def login(client, auth, username="alice", agent=AGENT, **environ):
    auth.register(username)
    response = client.post(
        "/login",
        json={"username": username, "password": "correct horse battery"},
        headers={"User-Agent": agent},
        environ_base=environ,
    )
    assert response.status_code == 200, response.json
    return response.json


def sessions(client, tokens):
    response = client.get("/my-info/sessions", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200, response.json
    return response.json


def refresh(client, token):
    return client.post("/refresh", headers=bearer(token))


def my_info(client, tokens):
    return client.get("/my-info", headers=bearer(tokens["access_token"]))


def iso(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    assert when.utcoffset().total_seconds() == 0, text
    return when


@pytest.fixture
def clock(monkeypatch):
    """The sessions module's clock, moved by hand (tokens keep the real one)."""
    fake = types.SimpleNamespace(now=time.time())
    fake.time = lambda: fake.now
    monkeypatch.setattr(security.sessions, "time", fake)
    return fake


# --- listing --------------------------------------------------------------------------


def test_list_my_sessions(client, auth, clock):
    first = login(client, auth, agent="phone", REMOTE_ADDR="192.0.2.7")
    clock.now += 60
    second = login(client, auth, agent="laptop", REMOTE_ADDR="2001:db8::1")
    login(client, auth, "bob")  # someone else's session is never listed

    listed = sessions(client, second)

    assert [s["id"] for s in listed] == [
        decode(second["access_token"])["sid"],
        decode(first["access_token"])["sid"],
    ]
    assert [(s["user_agent"], s["ip"], s["current"]) for s in listed] == [
        ("laptop", "2001:db8::1", True),
        ("phone", "192.0.2.7", False),
    ]
    newest = listed[0]
    assert set(newest) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "ip",
        "current",
        "mfa",
    }
    assert newest["mfa"] is False  # a password login; tests/test_mfa.py has the true case
    assert iso(newest["created_at"]) == iso(newest["last_used_at"])
    assert abs(iso(newest["created_at"]).timestamp() - clock.now) < 1
    assert iso(newest["expires_at"]).timestamp() == pytest.approx(clock.now + 2_592_000, abs=1)
    assert iso(listed[1]["created_at"]).timestamp() == pytest.approx(clock.now - 60, abs=1)
    # Seen from the other session, the other one is current.
    assert [s["current"] for s in sessions(client, first)] == [False, True]


def test_last_used_moves_at_refresh_only(client, auth, clock):
    tokens = login(client, auth)
    created = sessions(client, tokens)[0]["created_at"]
    clock.now += 120
    for _ in range(3):  # ordinary requests write nothing
        assert my_info(client, tokens).status_code == 200
    assert sessions(client, tokens)[0]["last_used_at"] == created
    refreshed = refresh(client, tokens["refresh_token"]).json
    listed = sessions(client, refreshed)[0]
    assert listed["created_at"] == created
    assert iso(listed["last_used_at"]).timestamp() == pytest.approx(clock.now, abs=1)
    assert listed["current"] is True


def test_user_agent_is_cut_and_cleaned(client, auth):
    tokens = login(client, auth, agent="x" * 150 + "\x7f" + "y" * 150)
    assert sessions(client, tokens)[0]["user_agent"] == "x" * 150 + "y" * 50
    other = login(client, auth, "bob", agent="")
    assert sessions(client, other)[0]["user_agent"] is None


def test_expired_sessions_are_not_listed(client, auth, clock):
    old = login(client, auth)
    clock.now += 2_592_000 + 10
    new = login(client, auth)
    assert [s["id"] for s in sessions(client, new)] == [decode(new["access_token"])["sid"]]
    sid = decode(old["access_token"])["sid"]
    assert (
        client.delete(f"/my-info/sessions/{sid}", headers=bearer(new["access_token"])).json["code"]
        == 404
    )


def test_client_address_through_the_proxy(app, tmp_path):
    """With PROXY_COUNT=1 the address is the one nginx put in X-Forwarded-For."""
    proxied = create_app(dict(app.config) | {"PROXY_COUNT": 1})
    client = proxied.test_client()
    from tests.conftest import Auth

    tokens = login(
        client, Auth(client), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert sessions(client, tokens)[0]["ip"] == "198.51.100.4"
    with proxied.app_context():
        db.engine.dispose()


def test_listing_needs_a_token(client):
    response = client.get("/my-info/sessions")
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"


# --- ending one, ending the others ----------------------------------------------------


def test_end_one_session(client, auth):
    phone = login(client, auth, agent="phone")
    laptop = login(client, auth, agent="laptop")
    phone_sid = decode(phone["access_token"])["sid"]

    response = client.delete(
        f"/my-info/sessions/{phone_sid}", headers=bearer(laptop["access_token"])
    )

    assert response.status_code == 200
    assert response.json == {"message": "Session ended."}
    assert_401(my_info(client, phone), REVOKED)
    assert_401(refresh(client, phone["refresh_token"]), REVOKED)
    assert [s["user_agent"] for s in sessions(client, laptop)] == ["laptop"]
    assert refresh(client, laptop["refresh_token"]).status_code == 200
    # Gone is gone.
    again = client.delete(f"/my-info/sessions/{phone_sid}", headers=bearer(laptop["access_token"]))
    assert again.status_code == 404


def test_end_the_current_session(client, auth):
    tokens = login(client, auth)
    sid = decode(tokens["access_token"])["sid"]
    response = client.delete(f"/my-info/sessions/{sid}", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert_401(my_info(client, tokens), REVOKED)


def test_another_users_session_is_404(client, auth):
    alice = login(client, auth, "alice")
    bob = login(client, auth, "bob")
    bobs_sid = decode(bob["access_token"])["sid"]

    response = client.delete(f"/my-info/sessions/{bobs_sid}", headers=bearer(alice["access_token"]))

    assert response.status_code == 404
    assert response.json["code"] == 404
    assert my_info(client, bob).status_code == 200  # untouched
    unknown = client.delete(f"/my-info/sessions/{'0' * 32}", headers=bearer(alice["access_token"]))
    assert (unknown.status_code, unknown.json) == (response.status_code, response.json)


@pytest.mark.parametrize("sid", ["1", "A" * 32, "g" * 32, "0" * 31, "0" * 33, "%00" * 32])
def test_malformed_session_id_is_404(client, auth, sid):
    tokens = login(client, auth)
    response = client.delete(f"/my-info/sessions/{sid}", headers=bearer(tokens["access_token"]))
    assert response.status_code == 404
    assert response.is_json


def test_end_the_other_sessions(client, auth):
    here = login(client, auth, agent="here")
    elsewhere = [login(client, auth, agent=f"device {n}") for n in range(3)]
    bob = login(client, auth, "bob")

    response = client.delete("/my-info/sessions", headers=bearer(here["access_token"]))

    assert response.status_code == 200
    assert response.json == {"message": "Other sessions ended.", "ended": 3}
    for tokens in elsewhere:
        assert_401(my_info(client, tokens), REVOKED)
        assert_401(refresh(client, tokens["refresh_token"]), REVOKED)
    assert [s["user_agent"] for s in sessions(client, here)] == ["here"]
    assert my_info(client, bob).status_code == 200
    again = client.delete("/my-info/sessions", headers=bearer(here["access_token"]))
    assert again.json == {"message": "Other sessions ended.", "ended": 0}


def test_ending_needs_a_token(client):
    assert client.delete("/my-info/sessions").status_code == 401
    assert client.delete(f"/my-info/sessions/{'0' * 32}").status_code == 401


def test_openapi_documents_the_string_session_id(client):
    spec = client.get("/openapi.json").json
    path = spec["paths"]["/my-info/sessions/{session_id}"]
    (parameter,) = path["parameters"]
    assert parameter["schema"]["type"] == "string"
    assert parameter["schema"]["pattern"] == "^[0-9a-f]{32}$"
    assert "sid" in parameter["schema"]["description"]
    operation = path["delete"]
    assert "404" in operation["responses"]
    listed = spec["paths"]["/my-info/sessions"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["type"] == "array"


# --- the grace window for tabs ----------------------------------------------------------


def test_predecessor_within_grace_gets_a_pair_and_ends_nothing(client, auth, clock):
    tokens = login(client, auth)
    winner = refresh(client, tokens["refresh_token"]).json  # tab 1
    clock.now += 9

    late = refresh(client, tokens["refresh_token"])  # tab 2, with the token tab 1 spent

    assert late.status_code == 200, late.json
    pair = late.json
    assert my_info(client, pair).status_code == 200
    assert decode(pair["access_token"])["fresh"] is False
    # Both tabs now hold the current refresh token: either may rotate it, once.
    assert decode(pair["refresh_token"])["jti"] == decode(winner["refresh_token"])["jti"]
    assert my_info(client, winner).status_code == 200
    assert my_info(client, tokens).status_code == 200
    # A third tab, still inside the window.
    assert refresh(client, tokens["refresh_token"]).status_code == 200
    nxt = refresh(client, pair["refresh_token"])
    assert nxt.status_code == 200
    # Tab 1's copy of that token is now the predecessor: in grace too.
    assert refresh(client, winner["refresh_token"]).status_code == 200
    # The login token is two rotations old now: reuse, and the session ends.
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)
    assert_401(my_info(client, nxt.json), REVOKED)


def test_predecessor_after_the_window_is_reuse(client, auth, clock):
    tokens = login(client, auth)
    winner = refresh(client, tokens["refresh_token"]).json
    clock.now += 10.5
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)
    assert_401(my_info(client, winner), REVOKED)
    assert_401(refresh(client, winner["refresh_token"]), REVOKED)


def test_grace_refreshes_do_not_stretch_the_window(client, auth, clock):
    tokens = login(client, auth)
    refresh(client, tokens["refresh_token"])
    clock.now += 6
    assert refresh(client, tokens["refresh_token"]).status_code == 200
    clock.now += 6  # 12 s after the rotation, though 6 s after the last grace refresh
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)


def test_grace_off(app, client, auth):
    app.config["JWT_REFRESH_GRACE_SECONDS"] = timedelta(0)
    tokens = login(client, auth)
    assert refresh(client, tokens["refresh_token"]).status_code == 200
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)


def test_grace_does_not_revive_an_ended_session(client, auth):
    tokens = login(client, auth)
    winner = refresh(client, tokens["refresh_token"]).json
    assert client.post("/logout", headers=bearer(winner["access_token"])).status_code == 200
    assert_401(refresh(client, tokens["refresh_token"]), REVOKED)


# --- logins within one second ---------------------------------------------------------


def test_logins_of_one_second_are_listed_newest_first(client, auth, clock):
    """The clock stands still: the order is still the order of the logins (it was the
    order of the random session ids)."""
    agents = [f"device {n}" for n in range(6)]
    for agent in agents:
        tokens = login(client, auth, agent=agent)
    assert [s["user_agent"] for s in sessions(client, tokens)] == agents[::-1]


def test_the_session_cap_ends_the_oldest_within_one_second(app, client, auth, clock):
    app.config["MAX_SESSIONS_PER_USER"] = 3
    agents = [f"device {n}" for n in range(7)]
    for agent in agents:
        tokens = login(client, auth, agent=agent)
    assert [s["user_agent"] for s in sessions(client, tokens)] == agents[:3:-1]


def test_a_session_past_its_expiry_does_not_refresh(client, auth, clock):
    """Its refresh token may still be valid as a JWT (a refresh near the end of the
    session got a new one): the session is over all the same, and ends."""
    tokens = login(client, auth)
    clock.now += 2_592_000 + 10
    response = client.post("/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 401
    assert response.json == REVOKED
    clock.now -= 2_592_000 + 10  # whatever the clock says, the session has ended
    assert client.get("/my-info", headers=bearer(tokens["access_token"])).status_code == 401
