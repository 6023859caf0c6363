"""Cookie mode (POST /login?cookies=true): HttpOnly token cookies, CSRF double submit,
the Authorization header winning over cookies, refresh and logout by cookie, CORS."""

import time
from datetime import timedelta

import pytest
from werkzeug.http import parse_cookie

from db import db
from tests.conftest import EXPIRED, MISSING, PASSWORD, REVOKED, SECRET, bearer, decode, forge

CSRF_FAILED = {"message": "The CSRF token is missing or does not match.", "error": "csrf_failed"}
TOKEN_COOKIES = ("access_token_cookie", "refresh_token_cookie")
CSRF_COOKIES = ("csrf_access_token", "csrf_refresh_token")


def set_cookies(response) -> dict[str, dict]:
    """Each Set-Cookie header as {name: {"value", attribute: value or True}}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name, value = first.split("=", 1)
        cookie = {"value": value}
        for attribute in attributes:
            key, _, val = attribute.partition("=")
            cookie[key.lower()] = val or True
        cookies[name] = cookie
    return cookies


def cookie_login(client, auth, username="alice"):
    auth.register(username)
    credentials = {"username": username, "password": PASSWORD}
    response = client.post("/login?cookies=true", json=credentials)
    assert response.status_code == 200, response.json
    return response


def csrf(client, name="csrf_access_token") -> dict:
    return {"X-CSRF-TOKEN": client.get_cookie(name).value}


@pytest.fixture
def logged_in(client, auth):
    return cookie_login(client, auth)


def test_login_sets_httponly_token_cookies_and_readable_csrf_cookies(logged_in):
    cookies = set_cookies(logged_in)
    assert set(cookies) == {*TOKEN_COOKIES, *CSRF_COOKIES}
    for name, cookie in cookies.items():
        assert cookie["samesite"] == "Lax", name
        assert cookie["secure"] is True, name  # JWT_COOKIE_SECURE defaults to true
        assert ("httponly" in cookie) == (name in TOKEN_COOKIES), name
        assert int(cookie["max-age"]) == 2_592_000, name  # as long as the refresh token
    assert cookies["access_token_cookie"]["path"] == "/"
    assert cookies["refresh_token_cookie"]["path"] == "/refresh"
    # The CSRF cookies are readable on every page of the site.
    assert cookies["csrf_access_token"]["path"] == cookies["csrf_refresh_token"]["path"] == "/"


def test_login_body_carries_the_csrf_values_and_no_token(logged_in):
    cookies = set_cookies(logged_in)
    assert logged_in.json == {
        "csrf_access_token": cookies["csrf_access_token"]["value"],
        "csrf_refresh_token": cookies["csrf_refresh_token"]["value"],
    }
    access = decode(cookies["access_token_cookie"]["value"])
    refresh = decode(cookies["refresh_token_cookie"]["value"])
    assert (access["type"], access["fresh"]) == ("access", True)
    assert access["csrf"] == logged_in.json["csrf_access_token"]
    assert refresh["csrf"] == logged_in.json["csrf_refresh_token"]
    assert access["csrf"] != refresh["csrf"]


def test_login_without_cookies_is_unchanged(client, auth):
    auth.register()
    response = auth.login()
    assert set(response.json) == {"access_token", "refresh_token"}
    assert response.headers.getlist("Set-Cookie") == []
    credentials = {"username": "alice", "password": PASSWORD}
    response = client.post("/login?cookies=false&unknown=1", json=credentials)
    assert set(response.json) == {"access_token", "refresh_token"}


def test_cookie_secure_can_be_turned_off_for_local_http(client, auth, app, monkeypatch):
    app.config["JWT_COOKIE_SECURE"] = False
    cookies = set_cookies(cookie_login(client, auth))
    assert not any("secure" in cookie for cookie in cookies.values())


def test_cookie_secure_from_the_environment(monkeypatch, tmp_path):
    from app import create_app

    def secure(value):
        monkeypatch.setenv("JWT_COOKIE_SECURE", value)
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "JWT_SECRET_KEY": SECRET})
        return app.config["JWT_COOKIE_SECURE"]

    assert secure("false") is False
    assert secure("0") is False
    assert secure("true") is True
    with pytest.raises(RuntimeError, match="JWT_COOKIE_SECURE"):
        secure("maybe")


def test_reads_by_cookie_need_no_csrf(client, logged_in):
    response = client.get("/my-info")
    assert response.status_code == 200
    assert response.json["username"] == "alice"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_writes_by_cookie_without_csrf_are_refused(client, logged_in, method):
    path = {"post": "/store", "put": "/my-info/password", "delete": "/user/1"}[method]
    response = getattr(client, method)(path, json={"name": "Shop"})
    assert (response.status_code, response.json) == (403, CSRF_FAILED)


def test_wrong_csrf_value_is_refused(client, logged_in):
    for value in ("wrong", client.get_cookie("csrf_refresh_token").value):
        response = client.post("/store", json={"name": "Shop"}, headers={"X-CSRF-TOKEN": value})
        assert (response.status_code, response.json) == (403, CSRF_FAILED)
    assert client.get("/store").json == []


def test_csrf_in_a_form_field_does_not_count(client, logged_in):
    value = client.get_cookie("csrf_access_token").value
    response = client.post("/store", data={"csrf_token": value, "name": "Shop"})
    assert (response.status_code, response.json) == (403, CSRF_FAILED)


def test_write_by_cookie_with_csrf_works(client, logged_in):
    response = client.post("/store", json={"name": "Shop"}, headers=csrf(client))
    assert response.status_code == 201
    assert response.json["owner_id"] == 1
    # A fresh access token from the password login: fresh-only endpoints accept it.
    response = client.delete(f"/store/{response.json['id']}", headers=csrf(client))
    assert response.status_code == 200


def test_no_cookie_and_no_header_is_still_authorization_required(client):
    response = client.post("/store", json={"name": "Shop"})
    assert (response.status_code, response.json) == (401, MISSING)


def test_valid_header_wins_over_garbage_cookie_and_needs_no_csrf(client, auth):
    headers = auth.headers("bob")
    client.set_cookie("access_token_cookie", "garbage")
    client.set_cookie("csrf_access_token", "garbage")
    assert client.get("/my-info", headers=headers).json["username"] == "bob"
    response = client.post("/store", json={"name": "Shop"}, headers=headers)
    assert response.status_code == 201


def test_valid_header_wins_over_expired_cookie_of_another_user(client, auth, logged_in):
    alice = decode(client.get_cookie("access_token_cookie").value)
    expired = forge(alice, exp=int(time.time()) - 10)
    client.set_cookie("access_token_cookie", expired)
    assert client.get("/my-info").json == EXPIRED
    headers = auth.headers("bob")
    assert client.get("/my-info", headers=headers).json["username"] == "bob"
    response = client.post("/store", json={"name": "Bob's"}, headers=headers)
    assert response.status_code == 201
    assert response.json["owner_id"] == 2  # bob's, not alice's from the cookie


def test_refresh_by_cookie_needs_the_refresh_csrf_value(client, logged_in):
    for headers in ({}, csrf(client, "csrf_access_token"), {"X-CSRF-TOKEN": "x"}):
        response = client.post("/refresh", headers=headers)
        assert (response.status_code, response.json) == (403, CSRF_FAILED)
    old_access = client.get_cookie("access_token_cookie").value

    response = client.post("/refresh", headers=csrf(client, "csrf_refresh_token"))
    assert response.status_code == 200, response.json
    cookies = set_cookies(response)
    assert set(cookies) == {*TOKEN_COOKIES, *CSRF_COOKIES}
    assert response.json == {
        "csrf_access_token": cookies["csrf_access_token"]["value"],
        "csrf_refresh_token": cookies["csrf_refresh_token"]["value"],
    }
    access = decode(client.get_cookie("access_token_cookie").value)
    assert access["fresh"] is False
    assert client.get_cookie("access_token_cookie").value != old_access
    # The new cookies work, with the new CSRF value.
    response = client.post("/store", json={"name": "Shop"}, headers=csrf(client))
    assert response.status_code == 201


def test_refresh_by_cookie_keeps_replay_detection(client, logged_in):
    spent = client.get_cookie("refresh_token_cookie", path="/refresh").value
    spent_csrf = csrf(client, "csrf_refresh_token")
    assert client.post("/refresh", headers=spent_csrf).status_code == 200
    # Two rotations old: past the grace that the token just before the last one gets.
    assert client.post("/refresh", headers=csrf(client, "csrf_refresh_token")).status_code == 200

    client.set_cookie("refresh_token_cookie", spent, path="/refresh")
    response = client.post("/refresh", headers=spent_csrf)
    assert (response.status_code, response.json) == (401, REVOKED)
    # The whole session ended: the access cookie from the rotation is revoked too.
    assert client.get("/my-info").json == REVOKED


def test_refresh_by_header_still_answers_tokens_in_the_body(client, auth):
    refresh = auth.tokens()["refresh_token"]
    response = client.post("/refresh", headers=bearer(refresh))
    assert set(response.json) == {"access_token", "refresh_token"}
    assert response.headers.getlist("Set-Cookie") == []


def test_logout_by_cookie_ends_the_session_and_clears_the_cookies(client, logged_in):
    access = client.get_cookie("access_token_cookie").value
    refresh = client.get_cookie("refresh_token_cookie", path="/refresh").value

    assert client.post("/logout").json == CSRF_FAILED  # a write like any other
    response = client.post("/logout", headers=csrf(client))
    assert response.json == {"message": "Successfully logged out"}
    cleared = set_cookies(response)
    assert set(cleared) == {*TOKEN_COOKIES, *CSRF_COOKIES}
    assert all(cookie["value"] == "" for cookie in cleared.values())
    assert cleared["refresh_token_cookie"]["path"] == "/refresh"
    assert client.get_cookie("access_token_cookie") is None
    assert client.get_cookie("refresh_token_cookie", path="/refresh") is None

    assert client.get("/my-info", headers=bearer(access)).json == REVOKED
    assert client.post("/refresh", headers=bearer(refresh)).json == REVOKED


def test_logout_with_an_expired_access_cookie_still_ends_the_session(client, auth, app):
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=1)
    cookie_login(client, auth)
    refresh = client.get_cookie("refresh_token_cookie", path="/refresh").value
    time.sleep(2)
    assert client.get("/my-info").json == EXPIRED

    assert client.post("/logout").json == CSRF_FAILED
    assert client.post("/logout", headers={"X-CSRF-TOKEN": "wrong"}).json == CSRF_FAILED
    response = client.post("/logout", headers=csrf(client))
    assert response.json == {"message": "Successfully logged out"}
    assert client.get_cookie("access_token_cookie") is None
    assert client.post("/refresh", headers=bearer(refresh)).json == REVOKED


def test_logout_by_header_with_an_expired_token_is_still_401(client, auth, app):
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=1)
    headers = auth.headers()
    time.sleep(2)
    assert client.post("/logout", headers=headers).json == EXPIRED


def test_logout_by_cookie_of_an_ended_session_clears_the_cookies(client, logged_in):
    refresh = client.get_cookie("refresh_token_cookie", path="/refresh").value
    headers = csrf(client)
    second = client.post("/refresh", headers=bearer(refresh)).json["refresh_token"]
    assert client.post("/refresh", headers=bearer(second)).status_code == 200
    assert client.post("/refresh", headers=bearer(refresh)).json == REVOKED  # replay
    response = client.post("/logout", headers=headers)
    assert (response.status_code, response.json) == (401, REVOKED)
    assert client.get_cookie("access_token_cookie") is None


def test_logout_by_header_leaves_cookies_alone(client, auth, logged_in):
    response = client.post("/logout", headers=auth.headers("bob"))
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    assert client.get("/my-info").json["username"] == "alice"


def test_a_refresh_token_in_the_access_cookie_is_refused(client, logged_in):
    refresh = client.get_cookie("refresh_token_cookie", path="/refresh").value
    client.set_cookie("access_token_cookie", refresh)
    assert client.get("/my-info").status_code == 401


def test_token_cookie_values_never_reach_the_body(client, logged_in):
    body = logged_in.get_data(as_text=True)
    for name in TOKEN_COOKIES:
        assert set_cookies(logged_in)[name]["value"] not in body


def test_cookie_mode_is_documented_in_openapi(client):
    spec = client.get("/openapi.json").json
    login = spec["paths"]["/login"]["post"]
    assert [p["name"] for p in login["parameters"]] == ["cookies"]
    ok = login["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["oneOf"] == [
        {"$ref": "#/components/schemas/Tokens"},
        {"$ref": "#/components/schemas/CookieTokens"},
    ]
    assert "Set-Cookie" in ok["headers"]
    assert set(spec["components"]["schemas"]["CookieTokens"]["required"]) == set(CSRF_COOKIES)
    # Swagger UI keeps sending Bearer headers: no cookie scheme is offered.
    schemes = spec["components"]["securitySchemes"].values()
    assert {(s["type"], s["scheme"]) for s in schemes} == {("http", "bearer")}


def make_client(tmp_path, origins: str | None):
    from app import create_app

    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"}
    settings["JWT_SECRET_KEY"] = SECRET
    if origins is not None:
        settings["CORS_ORIGINS"] = origins
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app.test_client()


def preflight(client, origin):
    return client.options(
        "/store",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-CSRF-TOKEN, Content-Type",
        },
    )


def test_cors_wildcard_never_allows_credentials(tmp_path):
    client = make_client(tmp_path, None)
    response = client.get("/store", headers={"Origin": "https://evil.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    response = preflight(client, "https://evil.example")
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_named_origins_may_send_credentials(tmp_path):
    client = make_client(tmp_path, "https://app.example, https://admin.example")
    response = client.get("/store", headers={"Origin": "https://app.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]
    response = preflight(client, "https://admin.example")
    assert response.headers["Access-Control-Allow-Origin"] == "https://admin.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "x-csrf-token" in response.headers["Access-Control-Allow-Headers"].lower()
    # Any other origin gets nothing.
    response = client.get("/store", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_exposes_pagination_link_and_retry_after(tmp_path):
    client = make_client(tmp_path, None)
    response = client.get("/store", headers={"Origin": "https://app.example"})
    exposed = {
        h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"x-pagination", "link", "retry-after"} <= exposed


def test_parse_cookie_helper_agrees_with_werkzeug(logged_in):
    header = logged_in.headers.getlist("Set-Cookie")[0]
    name, value = next(iter(parse_cookie(header.split(";")[0]).items()))
    assert set_cookies(logged_in)[name]["value"] == value
