"""Switching a module off and on again."""
from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


def test_owner_switches_memos_off_and_on(owner_page, screenshot):
    page = owner_page
    main_menu = page.locator("#main-menu")
    expect(main_menu.get_by_role("link", name="Memos")).to_be_visible()

    page.locator("#admin-menu").get_by_role("link", name="Modules").click()
    expect(page.get_by_role("heading", name="Modules", exact=True)).to_be_visible()
    memos = page.locator("#modules-table tr[data-module=memo]")
    expect(memos).to_contain_text("Memos")
    expect(memos).to_contain_text("Short notes for testing")
    expect(memos.locator(".badge")).to_have_text("enabled")
    # The workspace itself is essential: it has no switch.
    workspace = page.locator("#modules-table tr[data-module=core]")
    expect(workspace.locator(".badge")).to_have_text(["enabled", "essential"])
    expect(workspace.get_by_role("button")).to_have_count(0)
    screenshot(page, "1-modules")

    # Off: the menu entry vanishes and the pages are gone.
    memos.get_by_role("button", name="Switch off").click()
    expect(page.get_by_role("alert")).to_have_text("Memos is switched off.")
    expect(memos.locator(".badge")).to_have_text("disabled")
    expect(memos.get_by_role("button", name="Switch on")).to_be_visible()
    # The built-in modules' entries (Contacts, My tasks) stay.
    expect(main_menu.get_by_role("link")).to_have_text(["Home", "Contacts", "My tasks"])
    screenshot(page, "2-switched-off")

    response = page.goto("/memo/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("The page does not exist, or its module is switched off.")).to_be_visible()
    expect(main_menu.get_by_role("link", name="Memos")).to_have_count(0)
    screenshot(page, "3-not-found")
    page.get_by_role("link", name="Back to the start page").click()
    expect(page.get_by_role("heading", name="Good to see you, Olga Owner")).to_be_visible()
    expect(page.locator("main .card-title")).to_have_text(["Workspace", "Contacts", "Tasks"])

    # On again: menu entry and page are back.
    page.locator("#admin-menu").get_by_role("link", name="Modules").click()
    memos.get_by_role("button", name="Switch on").click()
    expect(page.get_by_role("alert")).to_have_text("Memos is switched on.")
    expect(memos.locator(".badge")).to_have_text("enabled")
    expect(main_menu.get_by_role("link")).to_have_text(["Home", "Contacts", "My tasks", "Memos"])
    screenshot(page, "4-switched-on")

    main_menu.get_by_role("link", name="Memos").click()
    expect(page.get_by_role("heading", name="Memos", exact=True)).to_be_visible()
    expect(page.locator("#greeting")).to_have_text("Hello")
