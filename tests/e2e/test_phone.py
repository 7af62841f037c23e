"""The workspace on a phone."""
from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


def test_phone_shows_menu_and_page_together(owner_page, screenshot):
    page = owner_page
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/admin/modules")
    # The menu sits above the page without pushing it out of sight ...
    expect(page.locator("#main-menu").get_by_role("link", name="Memos")).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Modules", exact=True)).to_be_in_viewport()
    # ... and the switch of every module can be reached.
    switch = page.locator("#modules-table tr[data-module=memo]").get_by_role("button", name="Switch off")
    switch.scroll_into_view_if_needed()  # below the other modules' rows
    expect(switch).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    screenshot(page, "modules")
