"""The contacts list in the browser: paging through it, filtering by tag, selecting rows
(one by one and "all on this page") to add a tag, and deleting a contact from its row menu
after confirming."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import serve

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server(make_app):
    """Kontor with its built-in plugins (contacts among them), CSRF on, 10 rows a page and
    23 contacts: "Kontakt 01" to "Kontakt 23", every third one tagged VIP."""
    from core import db, settings
    from core.records import tags
    from plugins.contacts.models import Contact

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        settings.set_value("core.page_size", 10)
        for number in range(1, 24):
            contact = Contact(kind="person", name=f"Kontakt {number:02d}", first_name="Kontakt",
                              last_name=f"{number:02d}", email=f"kontakt{number}@example.com",
                              access_mode="public_write")
            db.session.add(contact)
            db.session.flush()
            if number % 3 == 0:
                tags.set_tags("contact", contact.id, ["VIP"])
        db.session.commit()
    with serve(app) as server:
        yield server


def rows(page):
    return page.locator("#contacts tbody tr")


def test_page_filter_tag_and_delete(owner_page, screenshot):
    page = owner_page
    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    expect(rows(page)).to_have_count(10)
    expect(rows(page).first).to_contain_text("Kontakt 01")
    screenshot(page, "first-page")

    # Page through: 10, 10, 3, every contact once, in name order.
    seen = []
    for expected in (10, 10, 3):
        expect(rows(page)).to_have_count(expected)
        seen += [text.split("\n")[0].strip() for text in page.locator("#contacts tbody td:nth-child(2) a").all_inner_texts()]
        if expected == 10:
            page.get_by_role("link", name="Next page").click()
    assert seen == [f"Kontakt {n:02d}" for n in range(1, 24)]
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    page.get_by_role("link", name="First page").click()
    expect(rows(page).first).to_contain_text("Kontakt 01")

    # Filter by tag.
    page.get_by_label("Tag", exact=True).select_option("VIP")
    page.get_by_role("button", name="Filter").click()
    expect(rows(page)).to_have_count(7)
    expect(rows(page).first).to_contain_text("Kontakt 03")
    screenshot(page, "filtered")

    # Select two rows and add a tag; their VIP tag stays.
    page.get_by_label("Select Kontakt 03").check()
    page.get_by_label("Select Kontakt 06").check()
    page.get_by_label("Tag to add").fill("Messe 2026")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("alert")).to_contain_text("Tag Messe 2026 added to 2 contacts.")
    expect(rows(page)).to_have_count(7)  # back on the filtered list
    expect(page.locator("#contacts tbody tr", has_text="Kontakt 03")).to_contain_text("Messe 2026")
    expect(page.locator("#contacts tbody tr", has_text="Kontakt 03")).to_contain_text("VIP")
    expect(page.locator("#contacts tbody tr", has_text="Kontakt 09")).not_to_contain_text("Messe 2026")

    # "Select all on this page" ticks every row; then add a tag to all seven.
    page.get_by_label("Select all contacts on this page").check()
    for box in page.locator("#contacts tbody input[name=ids]").all():
        expect(box).to_be_checked()
    page.get_by_label("Tag to add").fill("Alle")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("alert")).to_contain_text("Tag Alle added to 7 contacts.")
    screenshot(page, "tagged")

    # Delete one from its row menu: the browser asks first; saying no keeps it.
    page.goto("/contacts/")
    page.get_by_role("button", name="Actions for Kontakt 02").click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    row_menu_delete = page.locator("#contacts tbody tr", has_text="Kontakt 02").get_by_role("button", name="Delete")
    row_menu_delete.click()
    expect(rows(page).nth(1)).to_contain_text("Kontakt 02")
    page.get_by_role("button", name="Actions for Kontakt 02").click()
    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row_menu_delete.click()
    expect(page.get_by_role("alert")).to_contain_text("Kontakt 02 deleted.")
    assert messages == ["Delete Kontakt 02? This cannot be undone."]
    expect(page.locator("#contacts tbody tr", has_text="Kontakt 02")).to_have_count(0)
    expect(rows(page).nth(1)).to_contain_text("Kontakt 03")
    screenshot(page, "deleted")
