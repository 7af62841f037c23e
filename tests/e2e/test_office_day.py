"""The contacts issue's "done when", as a German office worker lives it: import last year's
Outlook export, clean two duplicates by merging, open a customer overview, give three
customers a follow-up task, and tick one off. All of it in German, in Chromium."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_tab, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e

HEADER = ('"Anrede","Vorname","Nachname","Firma","Straße geschäftlich","Ort geschäftlich",'
          '"Postleitzahl geschäftlich","Telefon geschäftlich","Mobiltelefon","E-Mail-Adresse"')
ROWS = (
    '"Frau","Anna","Müller","Müller Bau GmbH","Hauptstraße 1","Köln","50667","0221 1234567","","anna@mueller-bau.de"',
    '"Herr","Bernd","Schulz","Müller Bau GmbH","Hauptstraße 1","Köln","50667","0221 1234568","","bernd@mueller-bau.de"',
    '"Herr","Jörg","Weber","Schreinerei Weber","Lindenallee 3","München","80331","089 765432","","joerg@weber-holz.de"',
    '"Herr","Joerg","Weber","Schreinerei Weber","","","","","0171 2345678","j.weber@example.org"',
    '"Frau","Svenja","Köhler","Agentur Sonnenschein","Am Markt 7","Hamburg","20095","040 9876543","","svenja@sonnenschein.de"',
    '"Frau","Svenja","Koehler","Agentur Sonnenschein","","","","","0160 1122334","koehler@example.org"',
    '"","","","Hofladen Brandt","Dorfstraße 2","Lübeck","23552","0451 12345","","info@hofladen-brandt.de"',
)


@pytest.fixture
def live_server(make_app):
    """Kontor with its built-in plugins only, CSRF on."""
    from tests.e2e.conftest import serve

    with serve(make_app(WTF_CSRF_ENABLED=True)) as server:
        yield server


def outlook_export() -> bytes:
    """A German Outlook export: Windows-1252, quoted, comma separated, CRLF."""
    return ("\r\n".join((HEADER, *ROWS)) + "\r\n").encode("cp1252")


def merge(page, keep: str, duplicate: str, search: str) -> None:
    page.goto("/contacts/")
    page.get_by_role("link", name=keep, exact=True).click()
    page.get_by_role("link", name="Duplikat zusammenführen").click()
    page.get_by_placeholder("Name oder E-Mail").fill(search)
    page.get_by_role("button", name="Suchen").click()
    page.locator("#merge-candidates li", has_text=duplicate).get_by_role(
        "link", name="Vergleichen und zusammenführen").click()
    page.get_by_role("button", name="Zusammenführen").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"{duplicate} wurde mit {keep} zusammengeführt.")


def test_a_day_at_the_office(live_server, new_page, screenshot):
    live_server.create_owner()
    page = new_page("de-DE")
    sign_in(page)

    # Last year's Outlook export comes in.
    page.get_by_role("link", name="Kontakte", exact=True).click()
    page.get_by_role("link", name="CSV importieren").first.click()
    page.locator("#import-file").set_input_files(
        files=[{"name": "outlook-2025.csv", "mimeType": "text/csv", "buffer": outlook_export()}])
    page.locator("#upload-button").click()
    expect(page.get_by_label("Vorname", exact=True)).to_have_value("first_name")
    expect(page.get_by_label("E-Mail-Adresse", exact=True)).to_have_value("email:work")
    page.locator("#start-import").click()
    expect(page.get_by_role("heading", name="Import von outlook-2025.csv")).to_be_visible()
    expect(page.locator("#count-created")).to_have_text("7")  # six persons and the farm shop
    expect(page.locator("#count-companies")).to_have_text("3")  # the persons' companies
    expect(page.locator("#count-errors")).to_have_text("0")
    screenshot(page, "imported")

    # Two duplicates, cleaned by merging.
    merge(page, "Jörg Weber", "Joerg Weber", "Weber")
    merge(page, "Svenja Köhler", "Svenja Koehler", "Svenja")
    expect(page.locator("#contact-profile")).to_contain_text("koehler@example.org")  # both addresses stay
    page.goto("/contacts/")
    expect(page.get_by_role("link", name="Joerg Weber", exact=True)).to_have_count(0)

    # The customer overview of one company.
    page.get_by_role("link", name="Müller Bau GmbH", exact=True).click()
    page.get_by_role("link", name="Kundenübersicht").click()
    expect(page.locator("#customer-name")).to_have_text("Müller Bau GmbH")
    open_tab(page, "Personen", exact=True)
    expect(page.locator("#company-persons")).to_contain_text("Anna Müller")
    expect(page.locator("#company-persons")).to_contain_text("Bernd Schulz")
    expect(page.get_by_role("tab", name="Aufgaben")).to_be_visible()
    screenshot(page, "overview")

    # A follow-up task for three customers.
    page.get_by_role("link", name="Kontakte", exact=True).click()
    for name in ("Müller Bau GmbH", "Schreinerei Weber", "Agentur Sonnenschein"):
        page.get_by_label(f"{name} auswählen").check()
    page.get_by_role("button", name="Aufgabe für jeden anlegen").click()
    page.get_by_label("Titel").fill("Nachfassen wegen Angebot")
    page.get_by_role("button", name="In einer Woche").click()
    page.locator("#task-save").click()
    expect(page.get_by_role("alert").first).to_contain_text("3 Aufgaben „Nachfassen wegen Angebot“ sind angelegt.")

    # One is done already.
    page.get_by_role("link", name="Meine Aufgaben").click()
    upcoming = page.locator("#section-upcoming")
    expect(upcoming.locator("tbody tr")).to_have_count(3)
    row = upcoming.locator("tr", has_text="Schreinerei Weber")
    row.get_by_role("button", name="Die Aufgabe „Nachfassen wegen Angebot“ schließen").click()
    expect(page.get_by_role("alert").first).to_contain_text("Die Aufgabe „Nachfassen wegen Angebot“ ist erledigt.")
    expect(page.locator("#section-upcoming tbody tr")).to_have_count(2)
    expect(page.locator("#section-closed")).to_contain_text("Schreinerei Weber")
    screenshot(page, "ticked-off")
