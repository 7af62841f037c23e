"""Two-factor login: setting it up on the account page, then signing in with a code from
the authenticator app or with a recovery code."""
from __future__ import annotations

import re
import time

import pyotp
import pytest

from core.testing import totp_code
from tests.conftest import OWNER_PASSWORD
from tests.e2e.conftest import OWNER_EMAIL, OWNER_NAME

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e

WRONG_CODE = "This code is not right. Check the time on your phone and try again."


def wrong_code(secret: str) -> str:
    """A six-digit code the server refuses: none of those valid around now (it allows 30
    seconds of clock drift either way)."""
    totp, now = pyotp.TOTP(secret), time.time()
    valid = {totp.at(now + drift) for drift in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555")
                if code not in valid)


def sign_out(page) -> None:
    page.get_by_role("button", name=OWNER_NAME).click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text("You are signed out.")


def type_password(page) -> None:
    """The first step of signing in; with two-factor login it leads to the code page."""
    page.goto("/login")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def expect_code_page(page, live_server) -> None:
    expect(page).to_have_url(live_server.url + "/login/2fa")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    expect(page.get_by_label("Code")).to_be_focused()


def expect_workspace(page, live_server) -> None:
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    expect(page.get_by_role("button", name=OWNER_NAME)).to_be_visible()


def test_owner_sets_up_two_factor_login_and_signs_in_with_a_code(live_server, owner_page, screenshot):
    page = owner_page

    # The account menu leads to the account page, and from there to two-factor login.
    page.get_by_role("button", name=OWNER_NAME).click()
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("Two-factor login is off.", exact=False)).to_be_visible()
    page.get_by_role("link", name="Manage two-factor login").click()
    expect(page).to_have_url(live_server.url + "/account/2fa")
    expect(page.get_by_role("heading", name="Two-factor login", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    expect(page.get_by_label("Code from the app")).to_be_focused()
    screenshot(page, "1-setup")

    # A wrong code does not switch it on; the key stays the same.
    page.get_by_label("Code from the app").fill(wrong_code(secret))
    page.get_by_role("button", name="Switch two-factor login on").click()
    expect(page.get_by_text(WRONG_CODE)).to_be_visible()
    expect(page.get_by_label("Code from the app")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#totp-secret")).to_have_text(secret)

    # The app's current code does; the recovery codes are shown once.
    page.get_by_label("Code from the app").fill(totp_code(secret, -1))  # the current one is for signing in
    page.get_by_role("button", name="Switch two-factor login on").click()
    expect(page.get_by_role("alert")).to_have_text("Two-factor login is on.")
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    for code in codes.all_inner_texts():
        assert re.fullmatch(r"[0-9a-f]{5}-[0-9a-f]{5}", code), code
    screenshot(page, "2-recovery-codes")
    page.get_by_role("link", name="I have kept them").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("Two-factor login is on.")).to_be_visible()

    sign_out(page)

    # The password alone no longer opens the workspace: the code page asks for more.
    type_password(page)
    expect_code_page(page, live_server)
    screenshot(page, "3-code-page")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))  # still not signed in
    type_password(page)
    expect_code_page(page, live_server)

    # A wrong code: an error beside the field, still on the code page.
    page.get_by_label("Code").fill(wrong_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/login/2fa")
    expect(page.get_by_text(WRONG_CODE)).to_be_visible()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Code")).to_have_value("")
    screenshot(page, "4-wrong-code")

    # The right one opens the workspace.
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect_workspace(page, live_server)
    screenshot(page, "5-signed-in")


def test_a_recovery_code_works_once(live_server, owner_page, screenshot):
    page = owner_page

    # Two-factor login on, through the page (the secret as the page shows it).
    page.goto("/account/2fa")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code from the app").fill(totp_code(secret, -1))  # the current one is for signing in
    page.get_by_role("button", name="Switch two-factor login on").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    first, second = page.locator("#recovery-codes li").all_inner_texts()[:2]
    sign_out(page)

    # A recovery code instead of the app's code: signed in, with a warning.
    type_password(page)
    expect_code_page(page, live_server)
    expect(page.get_by_text("Lost your phone? Enter one of your recovery codes instead.")).to_be_visible()
    page.get_by_label("Code").fill(first)
    page.get_by_role("button", name="Sign in").click()
    expect_workspace(page, live_server)
    expect(page.get_by_role("alert")).to_have_text(
        "You signed in with a recovery code; it cannot be used again. 9 codes are left.")
    screenshot(page, "1-recovery-code")
    page.goto("/account/2fa")
    expect(page.get_by_text("Two-factor login is on. 9 unused recovery codes are left.")).to_be_visible()
    sign_out(page)

    # The same code a second time is refused ...
    type_password(page)
    expect_code_page(page, live_server)
    page.get_by_label("Code").fill(first)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/login/2fa")
    expect(page.get_by_text(WRONG_CODE)).to_be_visible()
    screenshot(page, "2-used-again")

    # ... another one still works (typed the way people copy them: upper case, no dash).
    page.get_by_label("Code").fill(second.replace("-", "").upper())
    page.get_by_role("button", name="Sign in").click()
    expect_workspace(page, live_server)
    expect(page.get_by_role("alert")).to_have_text(
        "You signed in with a recovery code; it cannot be used again. 8 codes are left.")
    screenshot(page, "3-another-code")
