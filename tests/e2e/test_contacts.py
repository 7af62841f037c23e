"""Contacts in the browser: a company and two persons created through the forms, the
company's page listing them, and its customer overview with the tabs of the contacts module
(profile, persons, notes, files, reminders, timeline, dependencies, map)."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_tab

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


def test_a_company_two_persons_and_the_customer_overview(owner_page, screenshot):
    page = owner_page
    page.goto("/contacts/new?kind=company")
    page.get_by_label("Company name").fill("Müller Bau GmbH")
    page.get_by_label("Street", exact=True).fill("Hauptstraße 1")
    page.get_by_label("Postcode", exact=True).fill("50667")
    page.get_by_label("City", exact=True).fill("Köln")
    page.get_by_label("Latitude").fill("50.9375")
    page.get_by_label("Longitude").fill("6.9603")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Müller Bau GmbH", level=1)).to_be_visible()

    # The first person from the company's page: its name is filled in already.
    page.get_by_role("link", name="Add person").first.click()
    expect(page.get_by_label("Company", exact=True)).to_have_value("Müller Bau GmbH")
    page.get_by_label("First name").fill("Anna")
    page.get_by_label("Last name").fill("Müller")
    page.get_by_label("Email addresses 1").fill("anna@mueller-bau.de")
    page.get_by_label("Phone numbers 1").fill("0221 1234567")
    page.get_by_role("button", name="Save and create another").click()
    expect(page.get_by_role("alert").first).to_contain_text("Anna Müller saved.")
    expect(page.get_by_role("heading", name="New person")).to_be_visible()

    # The second person: a wrong email first, then right.
    page.get_by_label("First name").fill("Bernd")
    page.get_by_label("Last name").fill("Schulz")
    page.get_by_label("Company", exact=True).fill("Müller Bau GmbH")
    page.get_by_label("Email addresses 1").fill("bernd(at)mueller-bau.de")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Enter an email address.")).to_be_visible()
    page.get_by_label("Email addresses 1").fill("bernd@mueller-bau.de")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Bernd Schulz", level=1)).to_be_visible()
    screenshot(page, "person")

    page.get_by_role("link", name="Müller Bau GmbH").click()
    persons = page.locator("#company-persons")
    expect(persons).to_contain_text("Anna Müller")
    expect(persons).to_contain_text("Bernd Schulz")

    page.get_by_role("link", name="Customer overview").click()
    expect(page.locator("#customer-name")).to_have_text("Müller Bau GmbH")
    expect(page.locator("#contact-profile")).to_contain_text("Hauptstraße 1")
    tabs = page.locator("#customer-tabs [role=tab]")
    expect(tabs).to_have_text(["Profile", "Persons", "Notes", "Files", "Reminders", "Tasks", "Timeline",
                               "Dependencies", "Map"])
    expect(open_tab(page, "Persons", exact=True)).to_contain_text("+49 221 1234567")
    notes = open_tab(page, "Notes", exact=True)
    notes.get_by_label("New note").fill("Zahlt immer pünktlich.")
    notes.get_by_role("button", name="Add note").click()
    # The note form leads to the company's page; the overview shows the note as well.
    expect(page.locator("#notes")).to_contain_text("Zahlt immer pünktlich.")
    page.get_by_role("link", name="Customer overview").click()
    expect(open_tab(page, "Notes", exact=True)).to_contain_text("Zahlt immer pünktlich.")
    map_tab = open_tab(page, "Map", exact=True)
    expect(map_tab.get_by_role("link", name="Open in OpenStreetMap")).to_have_attribute(
        "href", "https://www.openstreetmap.org/?mlat=50.937500&mlon=6.960300#map=16/50.937500/6.960300")
    screenshot(page, "customer-overview")
