"""The demo page's recovery flow in Chromium: a verification link, "forgot password",
the reset link from a real mail and its form. The token leaves the address bar and the
history entry at once, and the page asks browsers to send no Referer."""

import pytest

from tests.conftest import PASSWORD
from tests.server import Server, flask, server_env
from tests.smtp import SmtpServer, token_in
from tests.web.test_browser import browser, chromium, page  # noqa: F401  (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - only where requirements-dev.txt is not installed
    expect = None

NEW_PASSWORD = "a brand new password"


@pytest.fixture(scope="module")
def mailing(chromium, tmp_path_factory):  # noqa: F811
    """gunicorn with a mail thread per worker, sending to a real SMTP server here."""
    folder = tmp_path_factory.mktemp("browser-mail")
    smtp = SmtpServer(folder).start()
    env = server_env(
        f"sqlite:///{folder / 'browser.db'}",
        MAIL_URL=smtp.url,
        MAIL_WORKER="thread",
        RATELIMIT_STORAGE_URI="memory://",
        JWT_COOKIE_SECURE="false",
    )
    server = Server(env)
    server.env["FRONTEND_URL"] = server.url + "/demo"  # the port is chosen before start
    flask(server.env, "db", "upgrade")
    server.start()
    yield server, smtp
    server.stop()
    smtp.stop()


def test_the_demo_verifies_an_address_and_resets_a_password(page, mailing):  # noqa: F811
    server, smtp = mailing
    body = {"username": "forgetful", "password": PASSWORD, "email": "forgetful@example.com"}
    assert server.call("POST", "/register", body)[0] == 201
    server.call("GET", "/health")  # a request starts each worker's mail thread
    link = f"{server.url}/demo#verify={token_in(smtp.wait_for(1)[0], 'verify')}"

    response = page.goto(link)
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.locator("#message")).to_have_text("Email verified.")
    assert page.evaluate("location.hash") == ""  # gone from the address bar and history
    assert "#verify" not in page.url

    page.fill("#username", "forgetful")
    page.click("#forgot")
    expect(page.locator("#message")).to_contain_text("If an account with a verified email")
    reset_mail = smtp.wait_for(2)[1]
    page.goto(f"{server.url}/demo#reset={token_in(reset_mail, 'reset')}")
    expect(page.locator("#reset-form")).to_be_visible()
    assert page.evaluate("location.hash") == ""
    page.fill("#new-password", NEW_PASSWORD)
    page.click("#reset")
    expect(page.locator("#message")).to_contain_text("Password changed.")
    expect(page.locator("#reset-form")).to_be_hidden()
    # One step back in the history: the entry the verification link made holds no token.
    page.go_back()
    assert "#" not in page.url, page.url

    old = server.call("POST", "/login", {"username": "forgetful", "password": PASSWORD})
    new = server.call("POST", "/login", {"username": "forgetful", "password": NEW_PASSWORD})
    assert (old[0], new[0]) == (401, 200)
