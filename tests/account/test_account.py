"""Email and account recovery through the API (API.md "Email and account recovery"):
who gets which mail, single-use tokens, expiry, voiding, limits, no enumeration. Mail is
read from the outbox table here; tests/test_mail_server.py sends it over real SMTP."""

import re
import time

import pytest

from db import db
from models import EmailToken, Mail
from tests.conftest import PASSWORD, bearer

FRONTEND = "https://app.example/demo"
INVALID_LINK = {"message": "The link is invalid or has expired.", "error": "invalid_link"}
NEW_PASSWORD = "a brand new password"
RESET_SENT = {"message": "If an account with a verified email matches, a reset link has been sent."}


@pytest.fixture(autouse=True)
def recovery(app):
    app.config.update(FRONTEND_URL=FRONTEND, PASSWORD_RESET_ANSWER_SECONDS=0)


def register(client, username="alice", address="alice@example.com"):
    body = {"username": username, "password": PASSWORD} | ({"email": address} if address else {})
    response = client.post("/register", json=body)
    assert response.status_code == 201, response.json
    return response


def mails(app) -> list[Mail]:
    with app.app_context():
        return list(db.session.execute(db.select(Mail).order_by(Mail.id)).scalars())


def sent(app) -> list[tuple[str, str]]:
    return [(mail.recipient, mail.kind) for mail in mails(app)]


def token(app, kind: str, recipient: str | None = None) -> str:
    """The token in the newest mail with a `kind` link (to `recipient`)."""
    for mail in reversed(mails(app)):
        found = re.search(rf"#{kind}=([A-Za-z0-9_-]+)", mail.body)
        if found and recipient in (None, mail.recipient):
            return found.group(1)
    raise AssertionError(f"no {kind} mail")


def login(client, username="alice", password=PASSWORD):
    return client.post("/login", json={"username": username, "password": password})


def headers(client, username="alice", password=PASSWORD):
    return bearer(login(client, username, password).json["access_token"])


def verified(app, client, username="alice", address="alice@example.com"):
    register(client, username, address)
    assert client.post("/verify-email", json={"token": token(app, "verify")}).status_code == 200


def my_info(client, username="alice"):
    return client.get("/my-info", headers=headers(client, username)).json


def change_email(client, address, password=PASSWORD, username="alice"):
    body = {"email": address, "current_password": password}
    return client.put("/my-info/email", json=body, headers=headers(client, username))


def reset(client, login_name):
    return client.post("/password-reset", json={"login": login_name})


def confirm(client, reset_token, new_password=None):
    body = {"token": reset_token, "new_password": new_password or NEW_PASSWORD}
    return client.post("/password-reset/confirm", json=body)


def test_existing_users_work_with_no_email(client):
    register(client, address=None)
    assert my_info(client) == {
        "id": 1,
        "username": "alice",
        "is_admin": False,
        "email": None,
        "email_verified": False,
        "email_pending": None,
        "mfa_enabled": False,
    }


def test_register_with_an_email_mails_a_link_and_verifying_it_once(app, client):
    register(client, address="Alice@Example.com")
    assert sent(app) == [("Alice@Example.com", "verify")]
    info = my_info(client)
    assert (info["email"], info["email_verified"], info["email_pending"]) == (
        "Alice@Example.com",
        False,
        None,
    )
    link = token(app, "verify")
    assert f"{FRONTEND}#verify={link}" in mails(app)[0].body
    assert client.post("/verify-email", json={"token": link}).json == {"message": "Email verified."}
    assert my_info(client)["email_verified"] is True
    again = client.post("/verify-email", json={"token": link})
    assert (again.status_code, again.json) == (400, INVALID_LINK)


def test_tokens_are_stored_only_as_keyed_hashes(app, client):
    register(client)
    link = token(app, "verify")
    with app.app_context():
        [row] = db.session.execute(db.select(EmailToken)).scalars()
    assert len(link) >= 22  # 128 bits in base64url
    assert link not in (row.digest, row.email) and len(row.digest) == 64


@pytest.mark.parametrize("bad", ["", "x" * 43, "nope"])
def test_unknown_tokens_are_invalid_links(client, bad):
    for path, body in (
        ("/verify-email", {}),
        ("/password-reset/confirm", {"new_password": "x" * 8}),
    ):
        response = client.post(path, json={"token": bad} | body)
        assert (response.status_code, response.json) == (400, INVALID_LINK)


def test_a_verified_address_is_taken_its_owner_gets_a_notice_not_a_link(app, client):
    verified(app, client, "alice", "alice@example.com")
    before = len(mails(app))
    register(client, "mallory", "ALICE@example.com")  # answers as usual
    assert sent(app)[before:] == [("alice@example.com", "address_taken")]
    assert "#verify=" not in mails(app)[-1].body
    change = change_email(client, "alice@EXAMPLE.com", username="mallory")
    assert change.status_code == 202
    assert sent(app)[-1] == ("alice@example.com", "address_taken")


def test_verifying_an_address_another_account_verified_meanwhile_is_invalid(app, client):
    register(client, "bob", "shared@example.com")
    bobs = token(app, "verify")
    verified(app, client, "alice", "Shared@example.com")
    response = client.post("/verify-email", json={"token": bobs})
    assert (response.status_code, response.json) == (400, INVALID_LINK)
    assert my_info(client, "bob")["email_verified"] is False


def test_changing_email_keeps_the_verified_one_until_the_new_one_is_verified(app, client):
    verified(app, client)
    response = change_email(client, "new@example.com")
    assert response.status_code == 202
    assert response.json == {"message": "Check your inbox to verify the new address."}
    info = my_info(client)
    assert (info["email"], info["email_verified"], info["email_pending"]) == (
        "alice@example.com",
        True,
        "new@example.com",
    )
    assert sent(app)[-2:] == [("new@example.com", "verify"), ("alice@example.com", "email_changed")]
    # The recovery address is still the old one until the new one is verified.
    reset(client, "alice")
    assert sent(app)[-1] == ("alice@example.com", "reset")
    assert client.post("/verify-email", json={"token": token(app, "verify")}).status_code == 200
    info = my_info(client)
    assert (info["email"], info["email_pending"]) == ("new@example.com", None)


def test_email_change_needs_a_fresh_token_and_the_current_password(app, client, auth):
    register(client)
    wrong = change_email(client, "new@example.com", password="not the password")
    assert (wrong.status_code, wrong.json) == (401, {"message": "Invalid credentials."})
    stale = client.put(
        "/my-info/email",
        json={"email": "x@example.com", "current_password": PASSWORD},
        headers=auth.non_fresh_headers(),
    )
    assert stale.status_code == 401
    assert my_info(client)["email"] == "alice@example.com"


def test_removing_the_email_tells_the_old_address_and_voids_its_links(app, client):
    verified(app, client)
    reset(client, "alice")
    old = token(app, "reset")
    assert change_email(client, None).status_code == 202
    assert sent(app)[-1] == ("alice@example.com", "email_changed")
    assert my_info(client)["email"] is None
    assert confirm(client, old).json == INVALID_LINK


def test_a_new_address_voids_pending_verifications(app, client):
    register(client, address="one@example.com")
    first = token(app, "verify")
    change_email(client, "two@example.com")
    assert client.post("/verify-email", json={"token": first}).json == INVALID_LINK
    assert client.post("/verify-email", json={"token": token(app, "verify")}).status_code == 200
    assert my_info(client)["email"] == "two@example.com"


def test_reset_sets_the_password_ends_every_session_and_tells_the_user(app, client):
    verified(app, client)
    session = headers(client)
    assert reset(client, "alice@EXAMPLE.com").json == RESET_SENT
    assert sent(app)[-1] == ("alice@example.com", "reset")
    response = confirm(client, token(app, "reset"))
    assert response.json == {"message": "Password changed."}
    assert client.get("/my-info", headers=session).status_code == 401
    assert login(client).status_code == 401
    assert login(client, password="a brand new password").status_code == 200
    assert sent(app)[-1] == ("alice@example.com", "password_reset")
    assert confirm(client, token(app, "reset")).json == INVALID_LINK  # single use


def test_reset_mails_only_verified_addresses_stored_on_accounts(app, client):
    register(client, "alice", "alice@example.com")  # never verified
    before = len(mails(app))
    for login_name in ("alice", "alice@example.com", "nobody", "nobody@example.com"):
        response = reset(client, login_name)
        assert (response.status_code, response.json) == (202, RESET_SENT)
    assert len(mails(app)) == before


def test_a_login_naming_two_accounts_mails_each_its_own_address(app, client):
    verified(app, client, "alice", "alice@example.com")
    # bob's username is alice's address.
    verified(app, client, "bob@example.com", "bob@example.org")
    before = len(mails(app))
    reset(client, "ALICE@example.com")
    reset(client, "alice@example.com")
    assert sorted(sent(app)[before:]) == [
        ("alice@example.com", "reset"),
        ("alice@example.com", "reset"),
    ]
    reset(client, "bob@example.com")
    assert sent(app)[-1] == ("bob@example.org", "reset")


def test_a_host_header_never_reaches_a_mail(app, client):
    verified(app, client)
    client.post("/password-reset", json={"login": "alice"}, headers={"Host": "evil.example"})
    body = mails(app)[-1].body
    assert "evil.example" not in body
    assert f"{FRONTEND}#reset=" in body


def test_a_link_template_names_token_and_kind(app, client):
    app.config["FRONTEND_URL"] = "https://app.example/{kind}?t={token}"
    register(client)
    body = mails(app)[-1].body
    link = re.search(r"https://app\.example/verify\?t=([A-Za-z0-9_-]+)", body)
    assert link and link.group(1) in body.split("(POST /verify-email):", 1)[1]


@pytest.mark.parametrize(
    "event",
    ["new request", "password change", "completed reset", "email change"],
)
def test_events_void_earlier_reset_links(app, client, event):
    verified(app, client)
    reset(client, "alice")
    first = token(app, "reset")
    if event == "new request":
        reset(client, "alice")
    elif event == "password change":
        body = {"current_password": PASSWORD, "new_password": "another password"}
        client.put("/my-info/password", json=body, headers=headers(client))
        assert sent(app)[-1] == ("alice@example.com", "password_changed")
    elif event == "completed reset":
        reset(client, "alice")
        assert confirm(client, token(app, "reset")).status_code == 200
    else:
        change_email(client, "elsewhere@example.com")
    assert confirm(client, first).json == INVALID_LINK


def test_tokens_expire(app, client, monkeypatch):
    verified(app, client)
    reset(client, "alice")
    later = int(time.time()) + app.config["PASSWORD_RESET_EXPIRES"] + 1
    monkeypatch.setattr("account.tokens.unix_now", lambda: later)
    assert confirm(client, token(app, "reset")).json == INVALID_LINK


def test_reset_requests_are_limited_per_client_with_429(app, client):
    app.config["RATELIMIT_PASSWORD_RESET"] = "2 per hour"
    assert [reset(client, f"user{n}").status_code for n in range(3)] == [202, 202, 429]


def test_reset_requests_past_the_account_limit_answer_202_and_send_nothing(app, client):
    verified(app, client)
    app.config["RATELIMIT_PASSWORD_RESET"] = "2 per hour"
    before = len(mails(app))
    # Different clients, one account.
    for n in range(4):
        response = client.post(
            "/password-reset", json={"login": "alice"}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        assert (response.status_code, response.json) == (202, RESET_SENT)
    assert len(mails(app)) - before == 2


def test_mails_to_one_recipient_are_throttled(app, client):
    verified(app, client)
    app.config["RATELIMIT_PASSWORD_RESET"] = "100 per hour"
    for n in range(15):
        client.post(
            "/password-reset", json={"login": "alice"}, environ_base={"REMOTE_ADDR": f"10.1.0.{n}"}
        )
    assert sum(1 for recipient, _ in sent(app) if recipient == "alice@example.com") == 10


@pytest.mark.parametrize(
    "body",
    [
        {"login": ""},
        {"login": "x" * 255},
        {"login": "a\x00b"},
        {},
    ],
)
def test_reset_request_bodies_are_checked(client, body):
    assert client.post("/password-reset", json=body).status_code == 422


@pytest.mark.parametrize("address", ["not an address", "a@b@c", "x" * 250 + "@example.com", 5])
def test_bad_addresses_are_422(client, address):
    body = {"username": "alice", "password": PASSWORD, "email": address}
    assert client.post("/register", json=body).status_code == 422


def test_deleting_a_user_deletes_their_tokens(app, client):
    verified(app, client)
    reset(client, "alice")
    link = token(app, "reset")
    user_headers = headers(client)
    assert client.delete("/user/1", headers=user_headers).status_code == 200
    assert confirm(client, link).json == INVALID_LINK
