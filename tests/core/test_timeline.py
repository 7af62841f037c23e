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
