"""The contacts CSV import in the browser: upload a Windows-1252 Outlook-style file, check the
suggested columns, start, watch the progress bar of the background job reach 100 %, read the
result and the report, and find the imported contacts in the contacts list."""
from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e

ROWS = 3000


@pytest.fixture
def live_server(make_app, monkeypatch):
    """Kontor with its built-in plugins, CSRF on, and jobs going through a real queue and
    consumer, so the import runs in the background while the page polls its progress."""
    from core import jobs
    from plugins.contacts import imports
    from tests.e2e.conftest import serve

    monkeypatch.setattr(imports, "BATCH", 100)  # many small steps for the progress bar
    app = make_app(WTF_CSRF_ENABLED=True, JOBS_IMMEDIATE=False)
    consumer = jobs.consumer(app.extensions["kontor"].queue, workers=1, embedded=True)
    consumer.start()
    try:
        with serve(app) as server:
            yield server
    finally:
        consumer.stop(graceful=True)


def outlook_file() -> bytes:
    lines = ["Vorname;Nachname;Firma;E-Mail-Adresse;Telefon geschäftlich;Ort geschäftlich"]
    for number in range(ROWS):
        lines.append(f"Jürgen{number};Müller;Bäckerei Süß GmbH;j{number}@baeckerei-suess.de;0221 {100000 + number};Köln")
    lines.append("Änne;;;kaputt;;")  # one bad row: no last name, no email address
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_import_a_csv_file_and_watch_it_run(owner_page, screenshot):
    page = owner_page
    page.goto("/contacts/import/")
    page.locator("#import-file").set_input_files(
        files=[{"name": "outlook.csv", "mimeType": "text/csv", "buffer": outlook_file()}])
    page.get_by_role("button", name="Upload and choose the columns").click()

    expect(page.get_by_role("heading", name="Choose the columns")).to_be_visible()
    expect(page.get_by_text("encoding cp1252")).to_be_visible()
    expect(page.get_by_label("Vorname")).to_have_value("first_name")
    expect(page.get_by_label("Nachname")).to_have_value("last_name")
    expect(page.get_by_label("Firma")).to_have_value("company")
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value("email:work")
    expect(page.get_by_label("Telefon geschäftlich")).to_have_value("phone:work")
    expect(page.get_by_label("Ort geschäftlich")).to_have_value("billing_city")
    expect(page.locator("#mapping-table")).to_contain_text("Jürgen0")  # the preview
    screenshot(page, "mapping")
    page.get_by_role("button", name="Start the import").click()

    progress = page.locator("#import-progress .progress-bar")
    expect(progress).to_be_visible()
    expect(progress).to_have_text("100 %", timeout=60_000)
    expect(page.locator("#import-progress [data-job-field=state]")).to_have_text("done")
    screenshot(page, "progress-done")

    page.get_by_role("link", name="Show the result").click()
    expect(page.locator("#count-created")).to_have_text(str(ROWS))
    expect(page.locator("#count-companies")).to_have_text("1")
    expect(page.locator("#count-errors")).to_have_text("1")
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text(str(ROWS + 2))
    expect(problems).to_contain_text("Enter a value.")
    expect(problems).to_contain_text("Enter an email address.")
    screenshot(page, "result")

    page.goto("/contacts/import/")
    expect(page.locator("#past-imports")).to_contain_text("outlook.csv")
    expect(page.locator("#past-imports")).to_contain_text("Done")

    page.goto("/contacts/?q=Jürgen1234")
    expect(page.get_by_text("Jürgen1234 Müller")).to_be_visible()
