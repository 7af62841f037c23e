"""Tasks in the browser: a task created from "My tasks" with a due date preset, closed from
the list and then found under "Closed"; and one task for each of three contacts selected on
the contacts list."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_tab, serve

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e

NAMES = (("Anna", "Alt"), ("Bert", "Brandt"), ("Cora", "Christ"), ("Dora", "Dorn"))


@pytest.fixture
def live_server(make_app):
    """Kontor with its built-in plugins (contacts and tasks), CSRF on, and four contacts."""
    from core import db
    from plugins.contacts.models import Contact

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.session.add_all([Contact(kind="person", first_name=first, last_name=last, name=f"{first} {last}",
                                    access_mode="public_write") for first, last in NAMES])
        db.session.commit()
    with serve(app) as server:
        yield server


def section(page, key: str):
    return page.locator(f"#section-{key}")


def test_create_a_task_close_it_in_the_list_and_find_it_under_closed(owner_page, screenshot):
    page = owner_page
    page.get_by_role("link", name="My tasks").click()
    expect(page.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    expect(section(page, "upcoming")).to_contain_text("Nothing is due later.")
    page.get_by_role("link", name="New task").click()

    page.get_by_label("Title").fill("Prepare the offer for Anna")
    page.get_by_role("button", name="In 3 days").click()  # fills the due date, keeps the title
    expect(page.get_by_label("Title")).to_have_value("Prepare the offer for Anna")
    expect(page.get_by_label("Due date")).not_to_have_value("")
    # Link the task to a contact: find it by name, pick it.
    page.get_by_label("Find a record to link").fill("Anna")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("Contact: Anna Alt").check()
    page.get_by_label("Alert").select_option(label="2 hours before")
    page.get_by_label("Description").fill("Prices of the new catalogue.")
    screenshot(page, "form")
    page.locator("#task-save").click()

    # Back on "My tasks", where the form was opened.
    expect(page.get_by_role("alert")).to_contain_text("The task “Prepare the offer for Anna” is saved.")
    upcoming = section(page, "upcoming")
    expect(upcoming.locator("tbody tr")).to_have_count(1)
    expect(upcoming).to_contain_text("Prepare the offer for Anna")
    expect(upcoming).to_contain_text("Anna Alt")
    screenshot(page, "open")
    upcoming.get_by_role("link", name="Prepare the offer for Anna", exact=True).click()
    expect(page.locator("#task-fields")).to_contain_text("2 hours before")
    expect(page.locator("#task-fields")).to_contain_text("Prices of the new catalogue.")
    page.go_back()
    upcoming.get_by_role("button", name="Close the task “Prepare the offer for Anna”").click()

    expect(page.get_by_role("alert")).to_contain_text("The task “Prepare the offer for Anna” is closed.")
    expect(section(page, "upcoming")).to_contain_text("Nothing is due later.")
    closed = section(page, "closed")
    expect(closed.locator("tbody tr")).to_have_count(1)
    expect(closed).to_contain_text("Prepare the offer for Anna")
    expect(closed.get_by_role("button", name="Reopen the task “Prepare the offer for Anna”")).to_be_visible()
    screenshot(page, "closed")


def test_create_a_task_for_three_selected_contacts(owner_page, screenshot):
    page = owner_page
    page.get_by_role("link", name="Contacts", exact=True).click()
    for name in ("Anna Alt", "Bert Brandt", "Dora Dorn"):
        page.get_by_label(f"Select {name}").check()
    page.get_by_role("button", name="Create task for each").click()

    expect(page.get_by_role("heading", name="New task for each selected record")).to_be_visible()
    records = page.locator("#bulk-records")
    for name in ("Anna Alt", "Bert Brandt", "Dora Dorn"):
        expect(records).to_contain_text(name)
    expect(records).not_to_contain_text("Cora Christ")
    page.get_by_label("Title").fill("Send the Christmas card")
    page.get_by_role("button", name="In a week").click()
    screenshot(page, "form")
    page.locator("#task-save").click()

    expect(page.get_by_role("alert")).to_contain_text("3 tasks “Send the Christmas card” are created.")
    page.get_by_role("link", name="My tasks").click()
    rows = section(page, "upcoming").locator("tbody tr")
    expect(rows).to_have_count(3)
    for name in ("Anna Alt", "Bert Brandt", "Dora Dorn"):
        expect(section(page, "upcoming").locator("tr", has_text=name)).to_contain_text("Send the Christmas card")
    screenshot(page, "three-tasks")

    # Each contact shows its task in its "Tasks" tab.
    page.get_by_role("link", name="Bert Brandt").click()
    open_tab(page, "Tasks")
    expect(page.locator("#record-tasks")).to_contain_text("Send the Christmas card")
