"""The owner sets up a team in German: invites two users, makes a group, restricts a module
to it; each user then sees exactly the modules they may use."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import db
from core.models import OutboxMessage
from tests.e2e.conftest import sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e


def invitation_link(live_server, email: str) -> str:
    """The link of the invitation email (no SMTP server here: it waits in the outbox)."""
    with live_server.app.app_context():
        messages = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc())).scalars()
        message = next(m for m in messages if m.recipients == [email])
        return re.search(r"https?://[^/\s]+(/invitation/\S+)", message.body).group(1)


def test_owner_restricts_a_module_to_a_group(live_server, new_page, screenshot):
    live_server.create_owner()
    owner = new_page(locale="de-DE")
    sign_in(owner)

    # Two users, invited by email.
    for name, email in (("Uwe Ulrich", "uwe@example.com"), ("Vera Vogel", "vera@example.com")):
        owner.locator("#admin-menu").get_by_role("link", name="Benutzer").click()
        owner.get_by_role("link", name="Benutzer einladen").click()
        owner.get_by_label("Name").fill(name)
        owner.get_by_label("E-Mail").fill(email)
        owner.get_by_role("button", name="Einladung senden").click()
        expect(owner.get_by_role("alert")).to_contain_text(f"{name} ist eingeladen")
    expect(owner.get_by_role("row").filter(has_text="vera@example.com")).to_contain_text("eingeladen")
    screenshot(owner, "1-users")

    # A group with Vera in it.
    owner.locator("#admin-menu").get_by_role("link", name="Gruppen").click()
    owner.get_by_role("link", name="Neue Gruppe").click()
    owner.get_by_label("Name").fill("Vertrieb")
    owner.get_by_label("Vera Vogel").check()
    owner.get_by_role("button", name="Speichern").click()
    expect(owner.get_by_role("alert")).to_contain_text("Die Gruppe Vertrieb ist gespeichert.")
    screenshot(owner, "2-group")

    # Memos only for the group.
    owner.locator("#admin-menu").get_by_role("link", name="Module").click()
    owner.get_by_role("row").filter(has_text="Memos").get_by_role("link", name="Zugriff").click()
    owner.get_by_label("Auf ausgewählte Benutzer und Gruppen beschränken").check()
    owner.locator("#field-access_groups").get_by_label("Vertrieb").check()
    screenshot(owner, "3-module-access")
    owner.get_by_role("button", name="Speichern").click()
    expect(owner.get_by_role("alert")).to_contain_text("Der Zugriff auf Memos ist gespeichert.")

    # Each user sets a password through the invitation and sees what they should.
    for name, email, sees_memos in (("Vera Vogel", "vera@example.com", True), ("Uwe Ulrich", "uwe@example.com", False)):
        user = new_page(locale="de-DE")
        user.goto(invitation_link(live_server, email))
        user.get_by_label("Neues Passwort").fill("Kaffeetasse-2026")
        user.get_by_label("Passwort wiederholen").fill("Kaffeetasse-2026")
        user.get_by_role("button", name="Passwort festlegen und anmelden").click()
        expect(user.get_by_role("heading", level=1)).to_contain_text(name)
        menu = user.locator("#main-menu")
        if sees_memos:
            expect(menu.get_by_role("link", name="Memos")).to_be_visible()
            menu.get_by_role("link", name="Memos").click()
            expect(user.get_by_role("heading", name="Memos", exact=True)).to_be_visible()
        else:
            expect(menu.get_by_role("link", name="Memos")).to_have_count(0)
            user.goto("/memo/")
            expect(user.get_by_role("heading", name="Sie dürfen diese Seite nicht öffnen")).to_be_visible()
        screenshot(user, f"4-{email.split('@')[0]}")

    # The audit log tells the story.
    owner.locator("#admin-menu").get_by_role("link", name="Protokoll").click()
    expect(owner.get_by_role("cell", name="Modulzugriff geändert")).to_be_visible()
    expect(owner.get_by_role("cell", name="Einladung angenommen")).to_have_count(2)
    screenshot(owner, "5-audit")
