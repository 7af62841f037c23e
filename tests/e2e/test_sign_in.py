"""Signing in and out."""
from __future__ import annotations

import re

import pytest

from tests.conftest import OWNER_PASSWORD
from tests.e2e.conftest import OWNER_EMAIL

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


def test_owner_signs_in_and_out(live_server, page, screenshot):
    live_server.create_owner()

    # A page of the workspace asks to sign in first.
    page.goto("/memo/")
    expect(page).to_have_url(re.compile(r"/login\?next=/memo/$"))
    expect(page.get_by_role("heading", name="Sign in to your workspace")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    expect(page.get_by_label("Email")).to_have_value("")
    expect(page.get_by_label("Email")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
    screenshot(page, "1-login")

    # A wrong password: one message that does not tell whether the account exists.
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")
    expect(page.get_by_role("heading", name="Sign in to your workspace")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(OWNER_EMAIL)
    expect(page.get_by_label("Password")).to_have_value("")
    screenshot(page, "2-wrong-password")

    # The right one opens the page that was asked for, with the whole menu.
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/memo/")
    expect(page.get_by_role("heading", name="Memos", exact=True)).to_be_visible()
    main_menu = page.locator("#main-menu")
    expect(main_menu.get_by_role("link")).to_have_text(["Home", "Contacts", "My tasks", "Memos"])
    expect(main_menu.get_by_role("link", name="Memos")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Administration", exact=True)).to_be_visible()
    expect(page.locator("#admin-menu").get_by_role("link")).to_have_text(
        ["Task categories", "Users", "Groups", "Permissions", "Portal accounts", "Contacts settings", "Web forms",
         "Modules", "Settings", "History categories", "Outbox", "Jobs", "Export all data", "Audit log"])
    screenshot(page, "3-signed-in")

    # Signing out: from the menu under the user's name.
    page.get_by_role("button", name="Olga Owner").click()
    expect(page.get_by_text(OWNER_EMAIL)).to_be_visible()
    screenshot(page, "4-user-menu")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text("You are signed out.")
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    screenshot(page, "5-signed-out")

    # The workspace is closed again.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
