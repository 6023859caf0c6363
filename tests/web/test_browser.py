"""Swagger UI and the /demo page in a real browser: Playwright driving Debian's chromium
against the app under gunicorn, on a database built by `flask db upgrade`.

No `playwright install`: the browser is the system's /usr/bin/chromium. Without it the
tests are skipped, except in CI (CI=true), where a missing browser is a failure.
Screenshots go to artifacts/.
"""

import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import jwt as pyjwt
import pytest

from tests.conftest import PASSWORD, SECRET, missing
from tests.server import ROOT, Server, flask, server_env

# One pytest-xdist worker runs this file: its module-scoped servers start once.
pytestmark = pytest.mark.xdist_group("browser")

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - only where requirements-dev.txt is not installed
    sync_playwright = None

ARTIFACTS = ROOT / "artifacts"
ACCESS_LIFETIME = 2  # seconds: short, so the demo page really meets an expired token
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def start_server(tmp: Path, access_lifetime: int) -> Server:
    """Always a fresh SQLite file: the browser tests need no other database."""
    env = server_env(
        f"sqlite:///{tmp / 'browser.db'}",
        JWT_ACCESS_TOKEN_EXPIRES=str(access_lifetime),
        RATELIMIT_STORAGE_URI="memory://",
        JWT_COOKIE_SECURE="false",  # plain http on 127.0.0.1, as in local development
    )
    flask(env, "db", "upgrade")
    return Server(env).start()


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None or sync_playwright is None:
        missing("chromium (apt-get install -y chromium)" if path is None else "playwright")
    return path


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory):
    """Default token lifetimes: time enough to click through Swagger UI."""
    server = start_server(tmp_path_factory.mktemp("browser"), access_lifetime=900)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def short_server(chromium, tmp_path_factory):
    """Access tokens that expire in ACCESS_LIFETIME seconds, for the refresh path."""
    server = start_server(tmp_path_factory.mktemp("browser-short"), ACCESS_LIFETIME)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser profile that may reach the app (on 127.0.0.1) and nothing else."""
    context = browser.new_context()
    context.blocked = []

    def only_local(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            context.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def authorize(page, **tokens: str) -> None:
    """Swagger UI's Authorize dialog: one form per security scheme, each with its button."""
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    for scheme, token in tokens.items():
        form = dialog.locator("form").filter(has_text=f"{scheme} (http, Bearer)")
        form.locator("input").fill(token)
        form.get_by_role("button", name="Authorize", exact=True).click()
    dialog.get_by_role("button", name="Close").first.click()


def operation(page, method: str, path: str):
    block = page.locator(f".opblock-{method}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    return block


def execute(block) -> str:
    """Execute, then the status of the response."""
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table .response .response-col_status")
    expect(status).not_to_have_text("")
    return status.inner_text()


def test_swagger_ui_from_its_examples_alone(page, server):
    """Examples, not strings generated from patterns; a slot for each token; the tokens
    survive a reload; /refresh uses the refresh token's slot."""
    tokens = server.tokens("swagger2")
    page.goto(server.url + "/swagger-ui")
    authorize(page, bearerAuth=tokens["access_token"], refreshAuth=tokens["refresh_token"])
    page.reload()

    store = operation(page, "post", "/store")
    body = store.locator("textarea.body-param__text")
    expect(body).to_have_value('{\n  "name": "Corner Shop"\n}')
    assert execute(store) == "201"

    item = operation(page, "post", "/item")
    text = item.locator("textarea.body-param__text").input_value()
    assert '"price": 15.99' in text and '"store_id": 1' in text and '"store"' not in text
    assert execute(item) == "201"  # store 1 is the one just made

    refresh = operation(page, "post", "/refresh")
    assert execute(refresh) == "200"


def test_swagger_ui_works_offline_and_sends_the_bearer_token(page, server):
    token = server.tokens("swagger")["access_token"]
    page.goto(server.url + "/swagger-ui")
    # The operations rendered, from assets the app serves itself (all else is blocked).
    my_info = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/my-info"]')
    )
    expect(my_info).to_be_visible()
    expect(page.get_by_text("/my-info", exact=True).first).to_be_visible()

    authorize(page, bearerAuth=token)

    my_info.locator(".opblock-summary").click()
    my_info.get_by_role("button", name="Try it out").click()
    my_info.get_by_role("button", name="Execute").click()
    response = my_info.locator(".live-responses-table .response")
    expect(response.locator(".response-col_status")).to_have_text("200")
    expect(response.locator(".response-col_description")).to_contain_text('"swagger"')
    screenshot(page, "swagger-ui.png")
    # The page asked nothing of any other host (CDN, validator badge)...
    assert page.context.blocked == []
    # ...and the block was live: a request elsewhere fails.
    outside = "fetch('https://example.com/').then(() => 'reached', () => 'blocked')"
    assert page.evaluate(outside) == "blocked"
    assert page.context.blocked == ["https://example.com/"]


def test_demo_page_is_not_part_of_the_api_spec(server):
    status, spec = server.call("GET", "/openapi.json")
    assert status == 200
    assert "/demo" not in spec["paths"]
    with urllib.request.urlopen(server.url + "/demo", timeout=10) as response:  # noqa: S310
        assert response.headers["Content-Type"].startswith("text/html")


def test_demo_page_session(page, short_server):
    server = short_server
    # Someone else's store, which "my stores" must leave out.
    other = server.tokens("bob")["access_token"]
    assert server.call("POST", "/store", {"name": "Bob's Shop"}, token=other)[0] == 201

    calls = []  # (method, path, status) of every API response the page saw
    page.on(
        "response",
        lambda r: calls.append((r.request.method, urlparse(r.url).path, r.status)),
    )
    message = page.locator("#message")

    page.goto(server.url + "/demo")
    page.fill("#username", "carol")
    page.fill("#password", PASSWORD)
    page.click("#register")
    expect(message).to_have_text("User created successfully.")
    # The API's own error messages reach the user.
    page.click("#register")
    expect(message).to_have_text("A user with that username already exists.")
    expect(message).to_have_class("error")

    page.click("#login")
    expect(page.locator("#me")).to_contain_text("carol")
    page.fill("#store-name", "Carol's Corner")
    page.click("#create-store")
    stores = page.locator("#stores li")
    expect(stores).to_have_count(1)
    expect(stores.first).to_contain_text("Carol's Corner")
    first_access = page.evaluate("localStorage.getItem('stores.access_token')")

    # Let the access token expire: the next call gets 401 token_expired, the page
    # refreshes and retries it, and the user sees only the result.
    time.sleep(ACCESS_LIFETIME + 1)
    calls.clear()
    page.fill("#store-name", "Carol's Annex")
    page.click("#create-store")
    expect(stores).to_have_count(2)
    expect(stores.nth(1)).to_contain_text("Carol's Annex")
    expect(message).to_have_text('Store "Carol\'s Annex" created.')
    posts = [(path, status) for method, path, status in calls if method == "POST"]
    assert posts[:3] == [("/store", 401), ("/refresh", 200), ("/store", 201)], calls
    access, refresh = page.evaluate(
        "[localStorage.getItem('stores.access_token'),"
        " localStorage.getItem('stores.refresh_token')]"
    )
    assert access != first_access
    expect(page.locator("#log")).to_contain_text("refreshed the tokens")
    screenshot(page, "demo.png")

    page.click("#logout")
    expect(message).to_have_text("Successfully logged out")
    expect(page.locator("#login-form")).to_be_visible()
    assert page.evaluate("localStorage.length") == 0

    # The tokens the page held are dead. The refresh token says so directly.
    assert server.call("POST", "/refresh", token=refresh)[1]["error"] == "token_revoked"
    # The access token lives 2 s and expiry is checked before revocation, so it may
    # already answer token_expired; the same claims with a later expiry show that
    # its session is revoked too.
    status, body = server.call("GET", "/my-info", token=access)
    assert status == 401 and body["error"] in ("token_revoked", "token_expired"), body
    claims = pyjwt.decode(
        access, SECRET, algorithms=["HS256"], audience="stores-api", options={"verify_exp": False}
    )
    unexpired = pyjwt.encode({**claims, "exp": int(time.time()) + 60}, SECRET, "HS256")
    status, body = server.call("GET", "/my-info", token=unexpired)
    assert (status, body["error"]) == (401, "token_revoked")
    screenshot(page, "demo-logged-out.png")


TOKEN_COOKIES = {"access_token_cookie", "refresh_token_cookie"}
CSRF_COOKIES = {"csrf_access_token", "csrf_refresh_token"}


def api_calls(page) -> list:
    """(method, path, status) of every API response the page sees from now on."""
    calls = []
    page.on("response", lambda r: calls.append((r.request.method, urlparse(r.url).path, r.status)))
    return calls


def demo_login(page, server, username, mode, register=True):
    page.goto(server.url + "/demo")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    if register:
        page.click("#register")
        expect(page.locator("#message")).to_have_text("User created successfully.")
    page.check(f"#mode-{mode}")
    page.click("#login")
    expect(page.locator("#me")).to_contain_text(username)


def store_names(server) -> list[str]:
    status, stores = server.call("GET", "/store")
    assert status == 200
    return [store["name"] for store in stores]


def test_demo_cookie_mode_keeps_tokens_out_of_javascript(page, short_server):
    server = short_server
    calls = api_calls(page)
    demo_login(page, server, "dora", "cookies")
    expect(page.locator("#mode")).to_have_text("HttpOnly cookies + X-CSRF-TOKEN")
    login = [c for c in calls if c[:2] == ("POST", "/login")]
    assert login == [("POST", "/login", 200)]

    # The page's scripts see the CSRF values, never a token.
    visible = {c.split("=", 1)[0] for c in page.evaluate("document.cookie").split("; ")}
    assert visible == CSRF_COOKIES
    jar = {c["name"]: c for c in page.context.cookies()}
    assert set(jar) == TOKEN_COOKIES | CSRF_COOKIES
    assert all(jar[name]["httpOnly"] for name in TOKEN_COOKIES)
    assert not any(jar[name]["httpOnly"] for name in CSRF_COOKIES)
    assert all(c["sameSite"] == "Lax" for c in jar.values())
    assert jar["refresh_token_cookie"]["path"] == "/refresh"
    assert page.evaluate("localStorage.getItem('stores.access_token')") is None

    page.fill("#store-name", "Dora's Deli")
    page.click("#create-store")
    expect(page.locator("#stores li")).to_have_count(1)
    first_csrf = page.evaluate("document.cookie")

    # The access cookie's token expires: the page refreshes by cookie and retries.
    time.sleep(ACCESS_LIFETIME + 1)
    calls.clear()
    page.fill("#store-name", "Dora's Diner")
    page.click("#create-store")
    expect(page.locator("#stores li")).to_have_count(2)
    posts = [(path, status) for method, path, status in calls if method == "POST"]
    assert posts[:3] == [("/store", 401), ("/refresh", 200), ("/store", 201)], calls
    assert page.evaluate("document.cookie") != first_csrf  # new CSRF values came with it
    screenshot(page, "demo-cookies.png")

    page.click("#logout")
    expect(page.locator("#message")).to_have_text("Successfully logged out")
    expect(page.locator("#login-form")).to_be_visible()
    assert page.context.cookies() == []  # the server cleared every cookie
    assert page.evaluate("document.cookie") == ""


def evil_page(action: str) -> str:
    """A page that posts a form to the API as soon as it loads: what a CSRF attack is.
    text/plain lets a form send a body that looks like JSON."""
    return (
        f'<form method="post" action="{action}" enctype="text/plain">'
        '<input name=\'{"name": "Evil Store", "x": "\' value=\'"}\'></form>'
        "<script>document.forms[0].submit()</script>"
    )


@pytest.mark.parametrize(
    ("origin", "refusals"),
    [
        # Another site: SameSite=Lax keeps the cookies home, so the API sees no token.
        ("http://attacker.test", {"authorization_required", "csrf_failed"}),
        # Same site, another port (SameSite treats it as the same site): the cookies
        # ride along, and only the missing CSRF header stops the request.
        ("http://127.0.0.1:9", {"csrf_failed"}),
    ],
)
def test_cross_site_form_post_is_refused(page, server, origin, refusals):
    username = "eve-target-" + urlparse(origin).hostname.replace(".", "-")
    demo_login(page, server, username, "cookies")
    page.context.route(
        f"{origin}/**",
        lambda route: route.fulfill(
            body=evil_page(server.url + "/store"), content_type="text/html"
        ),
    )
    with page.expect_response(server.url + "/store") as posted:
        page.goto(origin + "/evil")
    response = posted.value
    assert response.request.method == "POST"
    assert response.json()["error"] in refusals, response.json()
    assert response.status in (401, 403)
    assert "Evil Store" not in store_names(server)
    # The user's own page still works: the attack ended nothing.
    page.goto(server.url + "/demo")
    expect(page.locator("#me")).to_contain_text(username)


@pytest.mark.parametrize("mode", ["header", "cookies"])
def test_two_tabs_refreshing_at_once_both_stay_logged_in(page, short_server, mode):
    """Needs the server's refresh grace (JWT_REFRESH_GRACE_SECONDS) as a backstop: a tab
    may see the other's new tokens a moment late and present the spent refresh token."""
    server = short_server
    username = f"tabs-{mode}"
    demo_login(page, server, username, mode)
    other = page.context.new_page()
    other.set_default_timeout(15_000)
    other.goto(server.url + "/demo")
    expect(other.locator("#me")).to_contain_text(username)
    tabs = (page, other)
    calls = [api_calls(tab) for tab in tabs]

    for _ in range(3):
        time.sleep(ACCESS_LIFETIME + 1)  # both tabs hold an expired access token
        for tab in tabs:
            tab.locator("#me").evaluate("me => { me.textContent = ''; }")
        for tab in tabs:  # reload both at once, neither waiting for the other
            tab.evaluate("setTimeout(() => location.reload(), 0)")
        for tab in tabs:
            expect(tab.locator("#me")).to_contain_text(username)
            expect(tab.locator("#session")).to_be_visible()
    refreshes = [status for tab in calls for _, path, status in tab if path == "/refresh"]
    assert refreshes and set(refreshes) == {200}, calls
    # Still one live session, usable from both tabs.
    for tab in tabs:
        tab.click("#reload")
        expect(tab.locator("#message")).to_have_text("Reloaded.")
    screenshot(other, f"demo-two-tabs-{mode}.png")


def test_demo_sessions_list_ends_other_sessions(browser, server):
    """Two devices (browser profiles) of one user: the first ends the second's session."""
    username = "frank"
    devices = []
    for n in range(3):
        context = browser.new_context(user_agent=f"Device {n}")
        page = context.new_page()
        page.set_default_timeout(15_000)
        demo_login(page, server, username, "cookies" if n else "header", register=n == 0)
        devices.append(page)
    laptop, phone, tablet = devices
    token = server.call("POST", "/login", {"username": username, "password": PASSWORD})[1]
    status, _ = server.call("GET", "/my-info/sessions", token=token["access_token"])
    assert status == 200
    try:
        laptop.click("#reload")
        sessions = laptop.locator("#sessions li")
        expect(sessions).to_have_count(4)
        expect(laptop.locator("#sessions li.current")).to_contain_text("Device 0")
        # End the phone's session: its page learns it at its next call.
        sessions.filter(has_text="Device 1").get_by_role("button", name="End").click()
        expect(laptop.locator("#message")).to_have_text("Session ended.")
        expect(sessions).to_have_count(3)
        phone.click("#reload")
        expect(phone.locator("#login-form")).to_be_visible()
        expect(phone.locator("#message")).to_contain_text("session has ended")
        # End all the others: the tablet and the login above.
        laptop.click("#end-others")
        expect(laptop.locator("#message")).to_have_text("Other sessions ended. (2)")
        expect(sessions).to_have_count(1)
        tablet.click("#reload")
        expect(tablet.locator("#login-form")).to_be_visible()
        laptop.click("#reload")
        expect(laptop.locator("#me")).to_contain_text(username)
        screenshot(laptop, "demo-sessions.png")
    finally:
        for page in devices:
            page.context.close()
