"""The record services on a record's page, with the ``gadgets`` test plugin: custom fields
defined by the owner and filled in on a gadget, its timeline, a conversion into a widget and
a sprocket, notes and tags."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import open_tab, serve

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server(make_app):
    """The conftest's live server (CSRF on), with the ``gadgets`` plugin as well."""
    from tests.support import gadgets, memo

    with serve(make_app(PLUGINS=[memo, gadgets], WTF_CSRF_ENABLED=True)) as server:
        yield server


def new_gadget(page, name: str) -> None:
    """Create a gadget with just a name (no custom fields defined) and open its page."""
    page.goto("/gadgets/new")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def add_field(page, label: str, type_label: str, required: bool = False, choices: str = "") -> None:
    page.get_by_role("link", name="Add field").click()
    expect(page.get_by_role("heading", name="New field")).to_be_visible()
    page.get_by_label("Label").fill(label)
    page.get_by_label("Type").select_option(label=type_label)
    if required:
        page.get_by_label("Required").check()
    if choices:
        page.get_by_label("Choices").fill(choices)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Field {label} added.")


def test_custom_fields_on_a_gadget(owner_page, screenshot):
    page = owner_page

    # The owner defines two fields for gadgets.
    page.goto("/gadgets/")
    page.get_by_role("link", name="Fields").click()
    expect(page.get_by_role("heading", name="Custom fields: Gadgets")).to_be_visible()
    expect(page.get_by_text("No custom fields yet.")).to_be_visible()
    add_field(page, "Serial number", "Text", required=True)
    add_field(page, "Colour", "Single choice", choices="Red\nGreen\nBlue")
    rows = page.locator("#field-definitions tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("serial_number")
    expect(rows.nth(0).get_by_role("cell", name="Yes", exact=True)).to_be_visible()
    expect(rows.nth(1)).to_contain_text("colour")
    expect(rows.nth(1)).to_contain_text("Single choice")
    screenshot(page, "1-fields")

    # The new gadget's form has them.
    page.goto("/gadgets/")
    page.get_by_role("link", name="New gadget").click()
    expect(page.get_by_role("heading", name="New gadget")).to_be_visible()
    serial = page.get_by_label("Serial number")
    colour = page.get_by_label("Colour")
    expect(serial).to_have_value("")
    expect(colour.locator("option")).to_have_text(["—", "Red", "Green", "Blue"])
    screenshot(page, "2-new-form")

    # Without the required one: an error beside it, nothing saved.
    page.get_by_label("Name").fill("Flux capacitor")
    colour.select_option("Green")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="New gadget")).to_be_visible()
    expect(serial).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-cf_serial_number-error")).to_have_text("Enter a value.")
    expect(page.get_by_label("Name")).to_have_value("Flux capacitor")
    expect(colour).to_have_value("Green")
    screenshot(page, "3-required-missing")

    # Filled in: the gadget's page shows both values.
    serial.fill("FC-1985")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Gadget saved.")
    expect(page.get_by_role("heading", name="Flux capacitor", level=1)).to_be_visible()
    custom = page.locator("#custom-fields")
    expect(custom.locator("dt")).to_have_text(["Serial number", "Colour"])
    expect(custom.locator("dd")).to_have_text(["FC-1985", "Green"])
    screenshot(page, "4-detail")

    # Edited.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Serial number")).to_have_value("FC-1985")
    expect(page.get_by_label("Colour")).to_have_value("Green")
    page.get_by_label("Serial number").fill("FC-1955")
    page.get_by_label("Colour").select_option("Blue")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Flux capacitor", level=1)).to_be_visible()
    expect(custom.locator("dd")).to_have_text(["FC-1955", "Blue"])

    # The timeline: created, then the update with old and new values.
    open_tab(page, "Timeline")
    events = page.locator("#timeline-events > li")
    expect(events.locator("strong")).to_have_text(["Updated", "Created"])
    expect(events).to_contain_text(["Olga Owner", "Olga Owner"])
    # One row per custom field, named by its label: old value, then "→ new value".
    update = events.and_(page.locator("[data-action=updated]"))
    for label, old, new in (("Serial number", "FC-1985", "FC-1955"), ("Colour", "Green", "Blue")):
        row = update.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label, exact=True))
        expect(row.get_by_role("cell").nth(0)).to_have_text(old)
        expect(row.get_by_role("cell").nth(1)).to_contain_text("→ ")
        expect(row.get_by_role("cell").nth(1)).to_contain_text(new)
    screenshot(page, "5-timeline")


def test_conversion_makes_parts_of_a_gadget(owner_page, screenshot):
    page = owner_page
    new_gadget(page, "Sonic screwdriver")
    gadget_url = page.url

    # "Create: Make parts" opens one form per target, pre-filled from the gadget.
    page.get_by_role("link", name="Create: Make parts").click()
    expect(page).to_have_url(re.compile(r"/records/gadget/\d+/convert\?conversion=gadgets.make_parts$"))
    expect(page.get_by_role("heading", name="Make parts", level=1)).to_be_visible()
    expect(page.get_by_text("Gadget: Sonic screwdriver")).to_be_visible()
    widget = page.locator("#target-widget")
    sprocket = page.locator("#target-sprocket")
    expect(widget.locator("legend")).to_have_text("Widget")
    expect(sprocket.locator("legend")).to_have_text("Sprocket")
    expect(widget.get_by_label("Name")).to_have_value("Sonic screwdriver")
    expect(widget.get_by_label("Size")).to_have_value("1")  # the schema's default
    expect(sprocket.get_by_label("Name")).to_have_value("Sonic screwdriver")
    expect(sprocket.get_by_label("Code")).to_have_value("")
    expect(widget.get_by_label("Attach to an existing record instead")).to_have_value("")
    screenshot(page, "1-prefilled")

    # A sprocket code in small letters: the conversion's own rule names the field; nothing is created.
    sprocket.get_by_label("Code").fill("ab")
    page.get_by_role("button", name="Create").click()
    errors = page.locator("#conversion-errors")
    expect(errors).to_contain_text("Nothing was created. Correct these fields:")
    expect(errors.get_by_role("listitem")).to_have_text(["Sprocket – Code: Use capital letters."])
    expect(sprocket.get_by_label("Code")).to_have_value("ab")
    screenshot(page, "2-small-letters")

    # Too long (the schema's rule): the same, beside the field too.
    sprocket.get_by_label("Code").fill("ABCDEFG")
    page.get_by_role("button", name="Create").click()
    expect(errors.get_by_role("listitem")).to_have_count(1)
    expect(errors.get_by_role("listitem")).to_contain_text("Sprocket – Code:")
    expect(sprocket.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    expect(sprocket.locator("#field-sprocket-code-error")).to_be_visible()
    expect(widget.get_by_label("Name")).to_have_value("Sonic screwdriver")
    screenshot(page, "3-too-long")
    page.goto(gadget_url)
    open_tab(page, "Dependencies")
    expect(page.get_by_text("No linked records.")).to_be_visible()
    expect(page.locator("#timeline-events [data-action=converted]")).to_have_count(0)

    # Corrected, with a widget name of its own: created, and the widget's page opens.
    page.get_by_role("link", name="Create: Make parts").click()
    widget.get_by_label("Name").fill("Screwdriver tip")
    sprocket.get_by_label("Code").fill("SONIC")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("Make parts: done.")
    expect(page.get_by_role("heading", name="Screwdriver tip", level=1)).to_be_visible()
    widget_url = page.url
    screenshot(page, "4-widget")

    # The widget: linked to the gadget, which it was created from, and a timeline saying so.
    open_tab(page, "Dependencies")
    links = page.locator("#record-links > li")
    expect(links).to_have_count(1)
    expect(links).to_contain_text("Gadget: Sonic screwdriver")
    expect(links).to_contain_text("this record was created from it")
    expect(links).to_be_visible()
    screenshot(page, "5-widget-dependencies")
    open_tab(page, "Timeline")
    expect(page.locator("#timeline-events [data-action=converted]")).to_contain_text(
        "Make parts: Gadget Sonic screwdriver")

    # The gadget: both parts as dependencies, done, and the conversion in its timeline.
    open_tab(page, "Dependencies")
    links.get_by_role("link", name="Sonic screwdriver").click()
    expect(page).to_have_url(gadget_url)
    expect(page.locator("#gadget-fields")).to_contain_text("done")
    open_tab(page, "Dependencies")
    expect(links).to_have_text([re.compile(r"Widget:\s*Screwdriver tip\s*created from this record"),
                                re.compile(r"Sprocket:\s*Sonic screwdriver\s*created from this record")])
    screenshot(page, "6-gadget-dependencies")
    open_tab(page, "Timeline")
    converted = page.locator("#timeline-events [data-action=converted]")
    expect(converted).to_have_count(2)
    expect(converted).to_contain_text(["Make parts: Sprocket Sonic screwdriver", "Make parts: Widget Screwdriver tip"])
    expect(page.locator("#timeline-events [data-action=status_changed]")).to_contain_text("done")
    screenshot(page, "7-gadget-timeline")

    # The sprocket's page, from the gadget's dependencies.
    open_tab(page, "Dependencies")
    links.get_by_role("link", name="Sonic screwdriver").click()
    expect(page.get_by_role("heading", name="Sonic screwdriver", level=1)).to_be_visible()
    expect(page).not_to_have_url(gadget_url)
    expect(page.locator("#timeline-events [data-action=converted]")).to_contain_text(
        "Make parts: Gadget Sonic screwdriver")
    open_tab(page, "Dependencies")
    expect(links).to_contain_text("Gadget: Sonic screwdriver")
    assert page.url != widget_url


def test_note_and_tag_on_a_gadget(owner_page, screenshot):
    page = owner_page
    new_gadget(page, "Tricorder")
    expect(page.get_by_text("No tags")).to_be_visible()

    # A note.
    open_tab(page, "Notes")
    expect(page.get_by_text("No notes yet.")).to_be_visible()
    page.get_by_label("New note").fill("Battery flat.\nOrder a new one.")
    page.get_by_role("button", name="Add note").click()
    open_tab(page, "Notes")
    notes = page.locator("#notes > li")
    expect(notes).to_have_count(1)
    expect(notes).to_contain_text("Olga Owner")
    expect(notes).to_contain_text("Battery flat.Order a new one.")
    screenshot(page, "1-note")

    # Two tags, one of them twice.
    page.get_by_text("Change tags").click()
    page.locator("#record-tags").get_by_label("Tags").fill("broken, urgent, broken")
    page.get_by_role("button", name="Save tags").click()
    expect(page.locator("#record-tags .badge")).to_have_text(["broken", "urgent"])
    expect(page.get_by_text("No tags")).to_have_count(0)
    screenshot(page, "2-tags")

    # The list filters by tag.
    page.get_by_role("link", name="Gadgets", exact=True).click()
    page.get_by_label("Tag", exact=True).select_option("urgent")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#gadgets tbody tr")).to_have_text(["Tricorder"])


def test_timeline_summary_keeps_line_breaks_within_the_csp(owner_page, screenshot):
    """The summary of a note keeps its line breaks by a class, not an inline style (which
    the Content-Security-Policy would block: new_page fails the test on any violation)."""
    page = owner_page
    new_gadget(page, "Phaser")
    open_tab(page, "Notes")
    page.get_by_label("New note").fill("Set to stun.\nAlways.")
    page.get_by_role("button", name="Add note").click()
    summary = page.locator("#timeline-events [data-action=note_added]").get_by_text("Set to stun.")
    expect(summary).to_contain_text("Set to stun.")
    screenshot(page, "1-timeline")
    # The summary keeps its line break, and the browser blocked no style to show it.
    expect(summary).to_have_css("white-space", "pre-line")
