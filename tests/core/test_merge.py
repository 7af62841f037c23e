"""Merging two records: the survivor gets the picked values and everything the record
services held of the other record; plugins move their own references through
``merge_records``; the merge is on the timeline and in the audit log, all in one commit."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import access, db, records, utcnow
from core.auth.models import User
from core.models import AuditEntry, RecordMember
from core.records import links, tags
from core.records.merge import merge
from core.records.models import Note, Reminder, RecordLink, TimelineEvent
from tests.support import memo
from tests.support.gadgets.models import Gadget, Widget
from tests.support.gadgets.testing import build


def test_merge_moves_everything_to_the_survivor(make_app):
    app, lamp_id = build(make_app, plugins=[memo])
    memo.MERGES.clear()
    with app.test_request_context():
        users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
        lamp = db.session.get(Gadget, lamp_id)
        light = Gadget(name="Light", access_mode="public_write", custom={})
        widget = Widget(name="Switch")
        db.session.add_all([light, widget])
        db.session.flush()
        db.session.add_all([Note(entity_type="gadget", record_id=light.id, text="Old note", author_id=users["user"].id),
                            Reminder(entity_type="gadget", record_id=light.id, user_id=users["user"].id,
                                     message="Call back", due_at=utcnow() + timedelta(days=1))])
        tags.set_tags("gadget", lamp.id, ["red"])
        tags.set_tags("gadget", light.id, ["red", "blue"])
        access.set_members("gadget", lamp, [users["user"].id])
        access.set_members("gadget", light, [users["user"].id, users["other"].id])
        links.link("gadget", light.id, "widget", widget.id)
        links.link("gadget", lamp.id, "gadget", light.id)
        db.session.commit()
        light_id = light.id

        merge("gadget", lamp, light, {"name": "Lamp (merged)"}, user=users["owner"])
        db.session.commit()

        assert db.session.get(Gadget, light_id) is None
        assert db.session.get(Gadget, lamp_id).name == "Lamp (merged)"
        assert [n.text for n in db.session.scalars(select(Note).where(Note.record_id == lamp_id))] == ["Old note"]
        assert db.session.scalars(select(Reminder.record_id)).all() == [lamp_id]
        assert sorted(tags.names_by_record("gadget", [lamp_id])[lamp_id]) == ["blue", "red"]
        assert sorted(access.members("gadget", lamp_id)) == sorted([users["user"].id, users["other"].id])
        assert db.session.scalars(select(RecordMember).where(RecordMember.record_id == light_id,
                                                            RecordMember.entity_type == "gadget")).all() == []
        # The link to the widget moved; the link between the two merged records is gone.
        assert [(l.source_id, l.target_type) for l in db.session.scalars(select(RecordLink))] == [(lamp_id, "widget")]
        merged_event = db.session.scalars(select(TimelineEvent).where(
            TimelineEvent.record_id == lamp_id, TimelineEvent.action == "merged")).one()
        assert merged_event.summary == f"Light (#{light_id})"
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.event == "records_merged")).one()
        assert entry.user_id == users["owner"].id and entry.details["merged"] == light_id
    assert memo.MERGES == [("gadget", lamp_id, light_id)]


def test_a_merge_of_a_record_with_itself_is_refused(make_app):
    app, lamp_id = build(make_app)
    with app.app_context():
        lamp = db.session.get(Gadget, lamp_id)
        with pytest.raises(ValueError):
            merge("gadget", lamp, lamp)
        assert records.entity_type("gadget") is not None
