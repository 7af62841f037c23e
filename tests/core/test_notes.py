"""Notes on records: added, listed newest first with author, deleted by their author or an
editor, hidden from users who may not see the record, never on portal pages."""
from __future__ import annotations

from sqlalchemy import select

from core import db
from core.records.models import Note
from tests.support import memo
from tests.support.gadgets.models import Gadget
from tests.support.gadgets.testing import build, client_for


def notes(app):
    with app.app_context():
        return [(n.text, n.author_id) for n in db.session.scalars(select(Note).order_by(Note.id))]


def test_notes_are_added_listed_newest_first_and_deleted(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    added = user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "Called the supplier."})
    assert added.status_code == 302 and added.headers["Location"].startswith(f"/gadgets/{gadget_id}")
    user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "Price agreed.\nShip on Monday."})
    page = user.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
    page = page[page.index('id="notes"'):]  # the timeline tab shows the notes' text too
    assert page.index("Price agreed.<br>Ship on Monday.") < page.index("Called the supplier.")
    assert "Ulf User" in page

    # Empty and too long notes are refused.
    user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "   "})
    long = user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "x" * 10_001}, follow_redirects=True)
    assert "at most 10000 characters" in long.get_data(as_text=True)
    assert len(notes(app)) == 2

    with app.app_context():
        first_id, second_id = db.session.scalars(select(Note.id).order_by(Note.id)).all()
    # Another user with edit permission may delete it too; the author may delete own notes.
    assert user.post(f"/records/gadget/{gadget_id}/notes/{first_id}/delete").status_code == 302
    other = client_for(app, "other")
    assert other.post(f"/records/gadget/{gadget_id}/notes/{second_id}/delete").status_code == 302
    assert notes(app) == []


def test_a_reader_deletes_only_own_notes(make_app):
    app, gadget_id = build(make_app, access_mode="public_read")
    owner, user = client_for(app, "owner"), client_for(app, "user")
    owner.post(f"/records/gadget/{gadget_id}/notes", data={"text": "Owner's note"})
    # A reader may add a note (anyone who may see the record may) ...
    user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "Reader's note"})
    with app.app_context():
        owners, readers = db.session.scalars(select(Note.id).order_by(Note.id)).all()
    # ... and delete their own, not someone else's.
    assert user.post(f"/records/gadget/{gadget_id}/notes/{owners}/delete").status_code == 403
    assert user.post(f"/records/gadget/{gadget_id}/notes/{readers}/delete").status_code == 302
    assert [text for text, _author in notes(app)] == ["Owner's note"]


def test_notes_are_invisible_to_users_who_may_not_see_the_record(make_app):
    app, gadget_id = build(make_app, access_mode="private")
    owner, user = client_for(app, "owner"), client_for(app, "user")
    owner.post(f"/records/gadget/{gadget_id}/notes", data={"text": "Secret"})
    with app.app_context():
        note_id = db.session.scalar(select(Note.id))
    assert user.get(f"/gadgets/{gadget_id}").status_code == 404
    assert user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "Sneaky"}).status_code == 404
    assert user.post(f"/records/gadget/{gadget_id}/notes/{note_id}/delete").status_code == 404
    # A note id of another record is not found through this one.
    with app.app_context():
        public = Gadget(name="Open", access_mode="public_write")
        db.session.add(public)
        db.session.commit()
        public_id = public.id
    assert user.post(f"/records/gadget/{public_id}/notes/{note_id}/delete").status_code == 404
    assert notes(app)[0][0] == "Secret" and len(notes(app)) == 1


def test_deleting_the_record_deletes_its_notes(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "Gone soon"})
    assert user.post(f"/gadgets/{gadget_id}/delete").status_code == 302
    assert notes(app) == []


def test_notes_are_never_on_portal_pages(make_app):
    from tests.core.test_portal import make_account, make_customers, portal_sign_in

    app, gadget_id = build(make_app, plugins=(memo,))
    _a, _b, record_id, _rb = make_customers(app)
    make_account(app, _a)
    with app.app_context():
        db.session.add(Note(entity_type="memo_record", record_id=record_id, text="Internal: slow payer"))
        db.session.commit()
    client_for(app, "owner").post(f"/records/gadget/{gadget_id}/notes", data={"text": "Internal gadget note"})

    customer = portal_sign_in(app.test_client(), "anna@alpha.example")
    for url in ("/portal/", "/portal/memo/records", f"/portal/memo/records/{record_id}"):
        page = customer.get(url)
        assert page.status_code == 200, url
        assert "Internal" not in page.get_data(as_text=True)
    # The notes routes are staff routes: a customer gets nothing from them.
    response = customer.post(f"/records/gadget/{gadget_id}/notes", data={"text": "From the portal"})
    assert response.status_code in (302, 403, 404)
    assert "From the portal" not in [text for text, _author in notes(app)]
