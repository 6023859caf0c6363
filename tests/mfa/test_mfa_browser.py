"""The demo page's two-factor login in Chromium (tests/web/test_browser.py's fixtures): turn it
on from the QR code, log in with a code, then with a recovery code, turn it off, in both
token modes. The QR code is read back: the image the page shows is the SVG of the very
otpauth URI the API gave, shown through a data: URI (never as markup)."""

import time
from urllib.parse import unquote

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.qr import says
from tests.web import test_browser
from tests.web.test_browser import browser, chromium, page, server  # noqa: F401  (fixtures)

DATA_SVG = "data:image/svg+xml;charset=utf-8,"


def code(secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(int(time.time()) + 30 * steps)


def log_in_with(tab, username: str, mode: str, second: str) -> None:
    tab.fill("#username", username)
    tab.fill("#password", PASSWORD)
    tab.check(f"#mode-{mode}")
    tab.click("#login")
    expect(tab.locator("#mfa-form")).to_be_visible()
    tab.fill("#mfa-code", second)
    tab.click("#mfa-submit")
    expect(tab.locator("#me")).to_contain_text(username)


@pytest.mark.parametrize("mode", ["header", "cookies"])
def test_demo_two_factor_on_login_recovery_and_off(page, server, mode):  # noqa: F811
    username = f"mfa-{mode}"
    test_browser.demo_login(page, server, username, mode)
    expect(page.locator("#mfa-state")).to_have_text("off")
    page.click("#mfa-start")
    qr = page.locator("#mfa-qr")
    expect(qr).to_be_visible()
    secret = page.locator("#mfa-secret").inner_text()
    uri = page.locator("#mfa-uri").inner_text()
    assert pyotp.parse_uri(uri).secret == secret
    src = qr.get_attribute("src")
    assert src.startswith(DATA_SVG)
    svg = unquote(src.removeprefix(DATA_SVG))
    assert says(svg, uri) and not says(svg, uri.replace(secret, "A" * 32))
    page.wait_for_function("document.getElementById('mfa-qr').naturalWidth > 0")  # it draws
    assert page.locator("#mfa svg").count() == 0  # an image, not markup in the page
    page.fill("#mfa-confirm-code", code(secret))
    page.click("#mfa-confirm")
    expect(page.locator("#mfa-state")).to_have_text("on")
    expect(page.locator("#mfa-recovery li")).to_have_count(10)
    recovery = page.locator("#mfa-recovery li").all_inner_texts()
    test_browser.screenshot(page, f"demo-mfa-{mode}.png")

    page.click("#logout")
    log_in_with(page, username, mode, code(secret, +1))  # the confirm spent this step
    expect(page.locator("#sessions li.current")).to_contain_text("with a second factor")
    page.click("#logout")
    log_in_with(page, username, mode, recovery[0])

    page.fill("#mfa-disable-code", recovery[1])
    page.fill("#mfa-password", PASSWORD)
    page.click("#mfa-disable")
    expect(page.locator("#message")).to_have_text("Two-factor login turned off.")
    expect(page.locator("#mfa-state")).to_have_text("off")
    page.click("#logout")
    test_browser.demo_login(
        page, server, username, mode, register=False
    )  # the password alone again
