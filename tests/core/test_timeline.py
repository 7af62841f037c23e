"""The timeline: automatic events with old and new values and the user, track_event,
manual history events with categories, the filter, the category admin page and the audit
CSV export."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from core import db
from core.records import timeline
from core.records.models import HistoryCategory, TimelineEvent
from tests.conftest import create_user, sign_in
from tests.support import gadgets, memo
from tests.support.gadgets.models import Gadget

PASSWORD = "timeline-secret-1"


def setup(make_app, **config):
    app = make_app(PLUGINS=[gadgets], **config)
    with app.app_context():
        owner = create_user("owner@example.com", "Olga Owner", "owner", PASSWORD, language="en")
        user = create_user("user@example.com", "Ulf User", "user", PASSWORD, language="en")
        ids = owner.id, user.id
    return app, ids


def events_of(app, entity_type, record_id):
    with app.app_context():
        rows = db.session.execute(select(TimelineEvent).where(
            TimelineEvent.entity_type == entity_type, TimelineEvent.record_id == record_id)
            .order_by(TimelineEvent.id)).scalars().all()
        return [(e.action, e.changes, e.user_id) for e in rows]


def test_created_updated_status_changed_and_deleted_are_recorded_with_values_and_user(make_app):
    app, (owner_id, user_id) = setup(make_app)
    client = sign_in(app.test_client(), "user@example.com", PASSWORD)
    response = client.post("/gadgets/new", data={"name": "Lamp", "status": "new", "price": "9.50"})
    assert response.status_code == 302
    with app.app_context():
        gadget_id = db.session.scalar(select(Gadget.id))
    client.post(f"/gadgets/{gadget_id}/edit", data={"name": "Big lamp", "status": "done", "price": "12"})
    client.post(f"/gadgets/{gadget_id}/delete")
    assert events_of(app, "gadget", gadget_id) == [
        ("created", {}, user_id),
        ("status_changed", {"status": ["new", "done"]}, user_id),
        ("updated", {"name": ["Lamp", "Big lamp"], "price": ["9.50", "12.00"]}, user_id),
        ("deleted", {}, user_id),
    ]


def test_custom_field_changes_are_one_change_per_field_named_by_its_label(make_app):
    from core.records.models import FieldDefinition

    app, _ids = setup(make_app)
    with app.app_context():
        db.session.add(FieldDefinition(entity_type="gadget", key="serial", label="Serial number", type="text"))
        gadget = Gadget(name="Lamp", access_mode="public_write", custom={"serial": "A-1", "colour": "red"})
        db.session.add(gadget)
        db.session.commit()
        gadget_id = gadget.id
        gadget = db.session.get(Gadget, gadget_id)  # loaded, as a page loads it before a change
        gadget.custom = {**gadget.custom, "serial": "A-2"}
        db.session.commit()
    assert events_of(app, "gadget", gadget_id)[-1] == ("updated", {"custom.serial": ["A-1", "A-2"]}, None)
    with app.test_request_context():
        assert timeline.field_labels("gadget")["custom.serial"] == "Serial number"
        assert timeline.field_labels("gadget")["name"] == "Name"


def test_untracked_models_write_nothing(make_app):
    app, _ids = setup(make_app)
    with app.app_context():
        db.session.add(HistoryCategory(name="Call"))
        db.session.commit()
        assert db.session.scalar(select(TimelineEvent.id)) is None


def test_track_event_tells_plugins(make_app):
    app = make_app(PLUGINS=[gadgets, memo])
    memo.CALLS.clear()
    with app.app_context():
        owner = create_user("owner@example.com", "Olga Owner", "owner", PASSWORD, language="en")
        gadget = Gadget(name="Clock", access_mode="public_write")
        db.session.add(gadget)
        db.session.commit()
        gadget.name = "Alarm clock"
        db.session.commit()
        timeline.record_event("gadget", gadget.id, "converted", user=owner, summary="by hand")
        db.session.commit()
    assert [kwargs["action"] for hook, kwargs in memo.CALLS if hook == "track_event"] == [
        "created", "updated", "converted"]


def test_plugins_hear_of_records_of_types_without_a_timeline_too(make_app):
    """A type without a timeline gets no timeline rows, but ``track_event`` still tells the
    plugins (e.g. the tasks of a deleted record lose their link)."""
    app = make_app(PLUGINS=[gadgets, memo])
    with app.app_context():
        owner = create_user("owner@example.com", "Olga Owner", "owner", PASSWORD, language="en")
        memo.CALLS.clear()
        note = memo.Memo(title="Call back", owner_id=owner.id)
        db.session.add(note)
        db.session.commit()
        note.title = "Call back today"
        db.session.commit()
        db.session.delete(note)
        db.session.commit()
        assert db.session.scalars(select(TimelineEvent).where(TimelineEvent.entity_type == "memo")).all() == []
    assert [kwargs["action"] for hook, kwargs in memo.CALLS if hook == "track_event"] == [
        "created", "updated", "deleted"]


def test_history_categories_are_managed_by_the_owner(make_app):
    app, _ids = setup(make_app)
    owner = sign_in(app.test_client(), "owner@example.com", PASSWORD)
    user = sign_in(app.test_client(), "user@example.com", PASSWORD)
    assert user.get("/admin/history-categories").status_code == 403
    for name in ("Call", "Meeting", "Letter"):
        assert owner.post("/admin/history-categories", data={"op": "add", "name": name}).status_code == 302
    owner.post("/admin/history-categories", data={"op": "add", "name": "Call"})  # taken: refused

    def names():
        with app.app_context():
            return [c.name for c in timeline.categories()]

    assert names() == ["Call", "Meeting", "Letter"]
    with app.app_context():
        ids = {c.name: c.id for c in timeline.categories()}
    owner.post("/admin/history-categories", data={"op": "rename", "id": ids["Call"], "name": "Phone call"})
    owner.post("/admin/history-categories", data={"op": "up", "id": ids["Letter"]})
    assert names() == ["Phone call", "Letter", "Meeting"]
    owner.post("/admin/history-categories", data={"op": "delete", "id": ids["Meeting"]})
    assert names() == ["Phone call", "Letter"]
    page = owner.get("/admin/history-categories").get_data(as_text=True)
    assert 'value="Phone call"' in page


def test_manual_history_events_and_the_timeline_filter(make_app):
    app, (_owner_id, user_id) = setup(make_app)
    with app.app_context():
        call = HistoryCategory(name="Call", position=0)
        meeting = HistoryCategory(name="Meeting", position=1)
        gadget = Gadget(name="Lamp", access_mode="public_write")
        db.session.add_all([call, meeting, gadget])
        db.session.commit()
        call_id, meeting_id, gadget_id = call.id, meeting.id, gadget.id
        from core.auth.models import User
        db.session.get(User, user_id).timezone = "Europe/Berlin"
        db.session.commit()
    client = sign_in(app.test_client(), "user@example.com", PASSWORD)
    url = f"/records/gadget/{gadget_id}/timeline"
    assert client.post(url, data={"category_id": call_id, "occurred_at": "2026-03-02T10:30",
                                  "summary": "Asked about the price"}).status_code == 302
    client.post(url, data={"category_id": meeting_id, "occurred_at": "2026-03-05T09:00", "summary": "Met on site"})
    client.post(url, data={"category_id": meeting_id, "summary": ""})  # no text: refused
    with app.app_context():
        manual = db.session.execute(select(TimelineEvent).where(TimelineEvent.action == "manual")
                                    .order_by(TimelineEvent.id)).scalars().all()
        assert [(e.category_id, e.summary, e.user_id) for e in manual] == [
            (call_id, "Asked about the price", user_id), (meeting_id, "Met on site", user_id)]
        # 10:30 in Berlin (CET, UTC+1) is 09:30 UTC.
        assert manual[0].occurred_at.isoformat() == "2026-03-02T09:30:00+00:00"

    page = client.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
    assert page.index("Met on site") < page.index("Asked about the price")  # newest first
    assert "Created" in page
    filtered = client.get(f"/gadgets/{gadget_id}?timeline_category={call_id}").get_data(as_text=True)
    assert "Asked about the price" in filtered and "Met on site" not in filtered
    created_only = client.get(f"/gadgets/{gadget_id}?timeline_action=created").get_data(as_text=True)
    assert 'data-action="created"' in created_only and 'data-action="manual"' not in created_only


def test_the_audit_export_is_for_the_owner(make_app):
    app, (_owner_id, user_id) = setup(make_app)
    client = sign_in(app.test_client(), "user@example.com", PASSWORD)
    client.post("/gadgets/new", data={"name": "Lamp", "status": "new", "price": "1"})
    with app.app_context():
        gadget_id = db.session.scalar(select(Gadget.id))
    client.post(f"/gadgets/{gadget_id}/edit", data={"name": "=cmd()", "status": "new", "price": "1"})
    assert client.get("/admin/audit/records.csv").status_code == 403
    owner = sign_in(app.test_client(), "owner@example.com", PASSWORD)
    response = owner.get("/admin/audit/records.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["user"], r["entity_type"], r["record_id"], r["action"]) for r in rows] == [
        ("Ulf User", "gadget", str(gadget_id), "created"), ("Ulf User", "gadget", str(gadget_id), "updated")]
    assert rows[1]["changes"] == '{"name": ["Lamp", "=cmd()"]}'
    assert rows[1]["user_id"] == str(user_id)
