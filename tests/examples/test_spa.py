"""examples/spa/ in Chromium, served by `python -m http.server` on another port than the
API (gunicorn): same site, another origin, as a frontend developer runs it. Both modes
(localStorage + Authorization header, HttpOnly cookies + X-CSRF-TOKEN) register, log in,
walk the store list by `Link`, create a store, refresh on token_expired and log out; a
page on another site (localhost against 127.0.0.1) says that its cookies were dropped."""

import math
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import PASSWORD
from tests.server import ROOT, database_url, free_port, serving
from tests.web.test_browser import browser, chromium  # noqa: F401  (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - only where requirements-dev.txt is not installed
    expect = None

# The browser tests share one pytest-xdist worker: one Chromium busy at a time.
pytestmark = pytest.mark.xdist_group("browser")

SPA = ROOT / "examples" / "spa"
ACCESS_LIFETIME = 2  # seconds: the page really meets an expired access token
TOKEN_COOKIES = {"access_token_cookie", "refresh_token_cookie"}


@pytest.fixture(scope="module")
def page_port(chromium):  # noqa: F811
    """examples/spa/ as static files, the way a frontend developer serves it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=SPA,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
            break
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None, "http.server"
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def api(page_port, tmp_path_factory):
    """CORS_ORIGINS holds the page's exact origins: on 127.0.0.1 (the same site as the
    API) and on localhost (another site, to show dropped cookies)."""
    origins = f"http://127.0.0.1:{page_port},http://localhost:{page_port}"
    database = database_url(tmp_path_factory.mktemp("spa"), "spa.db")
    with serving(
        database,
        CORS_ORIGINS=origins,
        JWT_COOKIE_SECURE="false",  # plain http, as in local development
        JWT_ACCESS_TOKEN_EXPIRES=str(ACCESS_LIFETIME),
        RATELIMIT_STORAGE_URI="memory://",
    ) as server:
        yield server


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def open_spa(page, api, host: str, port: int) -> None:
    page.goto(f"http://{host}:{port}/index.html?api={api.url}")
    expect(page.locator("#origin")).to_have_text(f"http://{host}:{port}")


def register_and_log_in(page, username: str, mode: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#register")
    expect(page.locator("#message")).to_have_text("User created successfully.")
    page.check(f"#mode-{mode}")
    page.click("#login")


@pytest.mark.parametrize("mode", ["header", "cookies"])
def test_the_spa_from_another_origin(page, api, page_port, mode):
    # Stores of someone else, so that the list spans pages.
    other = api.tokens(f"owner-{mode}")["access_token"]
    for n in range(3):
        assert api.call("POST", "/store", {"name": f"{mode} shop {n}"}, token=other)[0] == 201
    seen = []
    page.on(
        "response",
        lambda r: seen.append((r.request.method, urlparse(r.url).path, r.status, r.url)),
    )
    calls = lambda: [c for c in seen if c[3].startswith(api.url) and c[0] != "OPTIONS"]  # noqa: E731
    message = page.locator("#message")
    stores = page.locator("#stores li")

    open_spa(page, api, "127.0.0.1", page_port)
    register_and_log_in(page, f"spa-{mode}", mode)
    expect(page.locator("#me")).to_have_text(f"spa-{mode}")
    expect(message).to_have_text(f"Logged in ({mode}).")

    # The whole list, walked by `Link` (readable cross-origin only because CORS exposes it).
    total = len(api.call("GET", "/store")[1])
    expect(stores).to_have_count(total)
    expect(page.locator("#pages")).to_have_text(str(math.ceil(total / 2)))
    assert any("after=" in url for method, _, _, url in calls() if method == "GET"), calls()

    jar = {c["name"]: c for c in page.context.cookies()}
    tokens = page.evaluate("[localStorage['spa.access_token'], localStorage['spa.refresh_token']]")
    if mode == "cookies":  # the tokens are out of JavaScript's reach
        assert tokens == [None, None]
        assert set(jar) >= TOKEN_COOKIES and all(jar[n]["httpOnly"] for n in TOKEN_COOKIES)
        # The CSRF values the page sends are the login body's (it cannot read the API's
        # cookies in general); they match the cookies the API set.
        kept = page.evaluate("JSON.parse(sessionStorage['spa.csrf'])")
        assert kept == {name: jar[name]["value"] for name in kept} and len(kept) == 2
    else:
        assert all(tokens) and jar == {}

    # The access token expires: the page refreshes and repeats the call.
    time.sleep(ACCESS_LIFETIME + 1)
    seen.clear()
    page.fill("#store-name", f"My {mode} shop")
    page.click("#create-store")
    expect(message).to_have_text(f'Store "My {mode} shop" created.')
    expect(stores).to_have_count(total + 1)
    posts = [(path, status) for method, path, status, _ in calls() if method == "POST"]
    # (Under load the new token may expire again during the walk: hence [:3].)
    assert posts[:3] == [("/store", 401), ("/refresh", 200), ("/store", 201)], calls()
    expect(page.locator("#log")).to_contain_text("refreshed (POST /refresh)")

    page.click("#logout")
    expect(message).to_have_text("Successfully logged out")
    expect(page.locator("#login-form")).to_be_visible()
    assert page.context.cookies() == []  # cookie mode: the API's Set-Cookie cleared them
    assert page.evaluate("localStorage.length") == 0
    # The session is over on the server too: a reload finds nobody logged in.
    page.reload()
    expect(page.locator("#login-form")).to_be_visible()


def test_cookies_dropped_across_sites_are_reported(page, api, page_port):
    """localhost and 127.0.0.1 are different sites: login answers 200, the browser drops
    the SameSite=Lax cookies, and the next call carries none. The page says so."""
    seen = []
    page.on("response", lambda r: seen.append((r.request.method, urlparse(r.url).path, r.status)))
    open_spa(page, api, "localhost", page_port)
    register_and_log_in(page, "spa-cross-site", "cookies")
    expect(page.locator("#message")).to_contain_text("the browser dropped the API's cookies")
    expect(page.locator("#message")).to_have_class("error")
    expect(page.locator("#login-form")).to_be_visible()
    assert ("POST", "/login", 200) in seen
    assert ("GET", "/my-info", 401) in seen
    assert page.context.cookies() == []


def test_an_origin_not_in_cors_origins_is_named(page, api):
    """The same files from an origin CORS_ORIGINS does not hold: the browser refuses the
    API's answer, and the page names the origin CORS_ORIGINS must hold."""
    origin = f"http://127.0.0.1:{free_port()}"  # nothing listens: Playwright answers

    def from_disk(route):
        path = urlparse(route.request.url).path.lstrip("/")
        route.fulfill(path=Path(SPA / path))

    page.context.route(f"{origin}/**", from_disk)
    page.goto(f"{origin}/index.html?api={api.url}")
    page.fill("#username", "spa-unlisted")
    page.fill("#password", PASSWORD)
    page.click("#register")
    expect(page.locator("#message")).to_contain_text(f'CORS_ORIGINS hold exactly "{origin}"')
