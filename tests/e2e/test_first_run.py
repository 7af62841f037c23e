"""A fresh instance: the owner creates their account with the one-time setup link."""
from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


def test_owner_sets_up_a_fresh_instance(live_server, page, screenshot):
    # A visitor without the link is sent to the setup page, which explains the link.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="Welcome to Kontor")).to_be_visible()
    expect(page.get_by_text("This workspace has no owner yet.")).to_be_visible()
    expect(page.get_by_text("Open the one-time setup link that the command kontor run printed")).to_be_visible()
    expect(page.locator("form input[name=password]")).to_have_count(0)
    screenshot(page, "1-without-link")

    # A wrong token explains the same, and creates nothing.
    response = page.goto("/setup?token=guessed")
    assert response.status == 403
    expect(page.get_by_text("This workspace has no owner yet.")).to_be_visible()

    # `kontor run` printed the link; its token sits in the instance folder.
    link = live_server.print_setup_link()
    token = (live_server.instance_path / "setup_token").read_text().strip()
    assert link == f"/setup?token={token}"
    page.goto(link)
    expect(page.get_by_text("Create the owner account.")).to_be_visible()
    expect(page.get_by_label("Your name")).to_be_focused()
    expect(page.get_by_label(re.compile("^Password"))).to_have_attribute("autocomplete", "new-password")
    page.get_by_label("Your name").fill("Olga Owner")
    page.get_by_label("Email").fill("olga@example.com")
    page.get_by_label(re.compile("^Password")).fill("correct horse battery")
    page.get_by_label("Repeat password").fill("correct horse staple")
    page.get_by_role("combobox", name="Language").select_option(label="English")
    screenshot(page, "2-form-filled")
    page.get_by_role("button", name="Create owner account").click()

    # The mistake is shown beside the field; what was typed is kept, the passwords are not.
    repeat = page.get_by_label("Repeat password")
    expect(repeat).to_have_attribute("aria-invalid", "true")
    expect(repeat).to_be_focused()
    expect(repeat).to_have_accessible_description(re.compile("The passwords do not match."))
    error = page.locator("#field-password_repeat-error")
    expect(error).to_have_text("The passwords do not match.")
    expect(error).to_be_visible()
    field_box, error_box = repeat.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 20, "the error is not right below the field"
    expect(page.get_by_label(re.compile("^Password"))).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Your name")).to_have_value("Olga Owner")
    expect(page.get_by_label("Email")).to_have_value("olga@example.com")
    expect(page.get_by_role("combobox", name="Language")).to_have_value("en")
    expect(repeat).to_have_value("")
    screenshot(page, "3-passwords-differ")

    page.get_by_label(re.compile("^Password")).fill("correct horse battery")
    repeat.fill("correct horse battery")
    page.get_by_role("button", name="Create owner account").click()

    # Signed in on the home page, with the menu, in the language the owner chose.
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("alert")).to_contain_text("Welcome to Kontor. Your owner account is ready.")
    expect(page.get_by_role("heading", name="Good to see you, Olga Owner")).to_be_visible()
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.get_by_role("link", name="Home")).to_be_visible()
    expect(menu.get_by_role("link", name="Memos")).to_be_visible()
    expect(menu.get_by_role("link", name="Modules")).to_be_visible()
    expect(page.get_by_role("button", name="Olga Owner")).to_be_visible()
    screenshot(page, "4-home")

    # The link was for one time only.
    assert not (live_server.instance_path / "setup_token").exists()
    page.goto(link)
    expect(page).to_have_url(live_server.url + "/")
