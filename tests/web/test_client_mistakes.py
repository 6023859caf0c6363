"""Small things clients trip on: the Authorization scheme's case, OPTIONS, Retry-After
where it means something, and create-admin on an existing user."""

import pytest

from tests.conftest import PASSWORD, decode

WRONG = {"username": "alice", "password": "not the password"}


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(client, auth, scheme):
    token = auth.tokens()["access_token"]
    response = client.get("/my-info", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200, response.json
    assert response.json["username"] == "alice"


def test_lower_case_bearer_works_for_the_refresh_token_too(client, auth):
    refresh = auth.tokens()["refresh_token"]
    response = client.post("/refresh", headers={"Authorization": f"bearer {refresh}"})
    assert response.status_code == 200


def test_another_scheme_is_still_no_token(client, auth):
    token = auth.tokens()["access_token"]
    response = client.get("/my-info", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401
    assert response.json["error"] == "authorization_required"


def test_a_word_starting_with_bearer_is_not_the_scheme(client, auth):
    token = auth.tokens()["access_token"]
    response = client.get("/my-info", headers={"Authorization": f"bearerx {token}"})
    assert response.status_code == 401


def test_options_answers_json(client):
    response = client.options("/store")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"allow": ["GET", "HEAD", "OPTIONS", "POST"]}
    assert response.headers["Allow"]


def test_a_cors_preflight_answers_json_with_its_headers(client):
    response = client.options(
        "/item",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")


def test_options_on_an_unknown_path_is_a_json_404(client):
    response = client.options("/nowhere")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_no_retry_after_on_a_successful_login(client, auth):
    auth.register()
    response = auth.login()
    assert response.status_code == 200
    assert "Retry-After" not in response.headers


def test_no_retry_after_on_a_failed_login_or_a_plain_401(client, auth):
    auth.register()
    response = client.post("/login", json=WRONG)
    assert response.status_code == 401
    assert "Retry-After" not in response.headers
    assert "Retry-After" not in client.get("/my-info").headers


def test_no_retry_after_on_registration(client, auth):
    response = auth.register()
    assert response.status_code == 201
    assert "Retry-After" not in response.headers


def test_retry_after_still_comes_with_429_and_browsers_may_read_it(app, client, auth):
    app.config["RATELIMIT_LOGIN_FAILURES"] = "1 per minute"
    auth.register()
    client.post("/login", json=WRONG)
    response = client.post("/login", json=WRONG, headers={"Origin": "https://shop.example"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "retry-after" in exposed
    assert "link" in exposed  # a list's next page, for browser apps too


def test_create_admin_on_an_existing_user_asks_for_no_password(auth, runner):
    auth.register()
    result = runner.invoke(args=["create-admin", "alice"], input="")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert decode(auth.login().json["access_token"])["is_admin"] is True


def test_create_admin_says_an_explicit_password_is_not_used_on_an_existing_user(auth, runner):
    auth.register()
    result = runner.invoke(args=["create-admin", "alice", "--password", "another password"])
    assert result.exit_code == 0
    assert "password is unchanged" in result.output
    assert auth.login("alice", PASSWORD).status_code == 200
    assert auth.login("alice", "another password").status_code == 401


def test_token_responses_are_never_cached(client, auth):
    auth.register()
    login = auth.login()
    assert login.headers["Cache-Control"] == "no-store"
    refresh = client.post(
        "/refresh", headers={"Authorization": f"Bearer {login.json['refresh_token']}"}
    )
    assert refresh.status_code == 200
    assert refresh.headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in client.get("/store").headers
