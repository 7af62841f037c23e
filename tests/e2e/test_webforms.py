"""A web contact form in the browser: the owner builds it, a visitor (German browser, not
signed in) fills in its hosted page, first wrongly, then rightly, and the contact exists."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server(make_app):
    """Kontor with its built-in plugins only (contacts among them), CSRF on."""
    from tests.e2e.conftest import serve

    with serve(make_app(WTF_CSRF_ENABLED=True)) as server:
        yield server


def test_a_form_is_built_filled_in_and_makes_a_contact(owner_page, new_page, live_server, screenshot):
    from plugins.contacts.models import Contact

    page = owner_page
    page.goto("/")
    page.locator("#admin-menu").get_by_role("link", name="Web forms").click()
    page.get_by_role("link", name="New web form").click()
    page.locator("#webform-name").fill("Anfrage Website")
    page.get_by_label("Company name", exact=True).check()
    page.get_by_label("Your message", exact=True).check()
    page.get_by_label("Consent checkbox text").fill("Ich bin mit der Verarbeitung meiner Daten einverstanden.")
    page.get_by_label("Thank-you message").fill("Vielen Dank, wir melden uns!")
    page.get_by_label("Tags for the new contacts").fill("Website")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Anfrage Website")).to_be_visible()
    hosted = page.locator("#hosted-link").get_attribute("href")
    assert hosted.startswith(live_server.url + "/forms/")
    expect(page.locator("#snippet-code")).to_contain_text(f'action="{hosted}"')
    screenshot(page, "snippet")

    visitor = new_page(locale="de-DE")
    visitor.goto(hosted)
    expect(visitor.get_by_role("heading", name="Anfrage Website")).to_be_visible()
    form = visitor.locator("#webform")
    inputs = {name: form.locator(f"[name={name}]") for name in ("first_name", "last_name", "email", "message")}
    inputs["first_name"].fill("Erika")
    inputs["last_name"].fill("Mustermann")
    inputs["email"].fill("erika@")
    inputs["message"].fill("Bitte um Rückruf.")
    form.get_by_role("button").click()
    # Wrong: an error under the email field and under the consent box; what was typed stays.
    expect(visitor.locator("#webform-errors")).to_be_visible()
    expect(form.locator("[name=email]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("[name=consent]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("[name=last_name]")).to_have_value("Mustermann")
    screenshot(visitor, "errors")
    form.locator("[name=email]").fill("erika@example.org")
    form.locator("[name=consent]").check()
    form.get_by_role("button").click()
    expect(visitor.locator("#webform-thanks")).to_have_text("Vielen Dank, wir melden uns!")
    screenshot(visitor, "thanks")

    with live_server.app.app_context():
        contact = db.session.scalars(select(Contact)).one()
    page.goto(f"/contacts/{contact.id}")
    expect(page.get_by_role("heading", name="Erika Mustermann", level=1)).to_be_visible()
    expect(page.locator("body")).to_contain_text("erika@example.org")
    expect(page.locator("body")).to_contain_text("Bitte um Rückruf.")
    screenshot(page, "contact")
