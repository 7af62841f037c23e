"""The settings page."""
from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


def test_owner_changes_rows_per_page(owner_page, screenshot):
    page = owner_page
    page.locator("#admin-menu").get_by_role("link", name="Settings", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/settings/core$"))
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Workspace")).to_be_visible()
    # Every module with settings has its page; the current one is marked.
    expect(page.get_by_role("link", name="Workspace")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Memos")).to_have_count(2)  # main menu and settings pages
    rows = page.get_by_label("Rows per page in lists")
    expect(rows).to_have_value("25")
    expect(page.get_by_label("Company name")).to_have_value("Kontor")
    expect(page.get_by_text("Shown in the top bar and in the browser tab.")).to_be_visible()
    screenshot(page, "1-settings")

    # Too small: the error is shown beside the field, nothing is saved.
    rows.fill("1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    expect(rows).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{rows.get_attribute('id')}-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"\b5\b.*\b200\b"))  # the allowed range
    expect(rows).to_have_accessible_description(re.compile(r"\b5\b.*\b200\b"))
    expect(page.get_by_label("Company name")).not_to_have_attribute("aria-invalid", "true")
    expect(rows).to_have_value("1")  # what was typed stays, to be corrected
    screenshot(page, "2-invalid")

    page.goto("/admin/settings/core")
    expect(page.get_by_label("Rows per page in lists")).to_have_value("25")

    # A valid number is saved.
    rows.fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Settings saved.")
    expect(rows).to_have_value("10")
    expect(rows).not_to_have_attribute("aria-invalid", "true")
    screenshot(page, "3-saved")
    page.goto("/admin/settings/core")
    expect(page.get_by_label("Rows per page in lists")).to_have_value("10")
