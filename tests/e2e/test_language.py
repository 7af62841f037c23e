"""German and English: the browser's language first, then the one picked in the top bar."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


def expect_language(page, code: str):
    expect(page.locator("html")).to_have_attribute("lang", code)
    switch = page.get_by_role("form", name=re.compile("Language|Sprache"))
    for button in ("DE", "EN"):
        expect(switch.get_by_role("button", name=button, exact=True)).to_have_attribute(
            "aria-pressed", "true" if button == code.upper() else "false")


def test_german_browser_switches_to_english_and_back(live_server, new_page, screenshot):
    live_server.create_owner()
    page = new_page(locale="de-DE")

    page.goto("/login")
    expect_language(page, "de")
    expect(page.get_by_role("heading", name="Melden Sie sich bei Ihrem Arbeitsbereich an")).to_be_visible()
    expect(page.get_by_label("Passwort")).to_be_visible()
    expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    screenshot(page, "1-login-de")

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect_language(page, "en")
    expect(page.get_by_role("heading", name="Sign in to your workspace")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    screenshot(page, "2-login-en")

    # Signed in, the choice holds; the top bar switches back to German and again to English.
    sign_in(page)
    expect_language(page, "en")
    expect(page.get_by_role("heading", name="Good to see you, Olga Owner")).to_be_visible()

    page.locator("nav.navbar").get_by_role("button", name="DE", exact=True).click()
    expect(page).to_have_url(live_server.url + "/")
    expect_language(page, "de")
    expect(page.get_by_role("heading", name="Schön, dass Sie da sind, Olga Owner")).to_be_visible()
    expect(page.locator("#main-menu").get_by_role("link", name="Startseite")).to_be_visible()
    expect(page.get_by_text("Verwaltung", exact=True)).to_be_visible()
    expect(page.locator("#admin-menu").get_by_role("link", name="Einstellungen", exact=True)).to_be_visible()
    screenshot(page, "3-home-de")

    page.locator("nav.navbar").get_by_role("button", name="EN", exact=True).click()
    expect_language(page, "en")
    expect(page.get_by_role("heading", name="Good to see you, Olga Owner")).to_be_visible()
    expect(page.locator("#admin-menu").get_by_role("link", name="Settings", exact=True)).to_be_visible()
    screenshot(page, "4-home-en")

    page.locator("nav.navbar").get_by_role("button", name="DE", exact=True).click()
    expect_language(page, "de")
    expect(page.get_by_role("heading", name="Schön, dass Sie da sind, Olga Owner")).to_be_visible()
    screenshot(page, "5-home-de-again")
