"""Reminders: set on a record, delivered once as a notification (and email) by the
periodic job, even with two workers racing and after a restart."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core import db
from core.models import OutboxMessage
from core.records import reminders
from core.records.models import Notification, Reminder
from core.runtime import kontor
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in
from tests.support import gadgets
from tests.support.gadgets.models import Gadget


def setup(make_app):
    app = make_app(PLUGINS=[gadgets])
    with app.app_context():
        owner = create_user()
        user = create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD,
                           timezone="Europe/Berlin")
        shared = Gadget(name="Shared gadget", access_mode="public_write")
        private = Gadget(name="Owner's private gadget", access_mode="private")
        db.session.add_all([shared, private])
        db.session.commit()
        ids = {"owner": owner.id, "user": user.id, "shared": shared.id, "private": private.id}
    return app, ids


def add_due(count: int, user_id: int, record_id: int, email: bool = False) -> None:
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.add_all([Reminder(entity_type="gadget", record_id=record_id, user_id=user_id, due_at=past,
                                 message=f"call back {n}", email=email) for n in range(count)])
    db.session.commit()


def test_the_delivery_job_is_periodic(make_app):
    app, _ids = setup(make_app)
    with app.app_context():
        assert "core.deliver_reminders" in kontor.jobs


def test_a_due_reminder_becomes_a_notification_and_an_email_once(make_app):
    app, ids = setup(make_app)
    with app.app_context():
        add_due(1, ids["user"], ids["shared"], email=True)
        later = Reminder(entity_type="gadget", record_id=ids["shared"], user_id=ids["user"], message="later",
                         due_at=datetime.now(timezone.utc) + timedelta(hours=1))
        db.session.add(later)
        db.session.commit()
        assert reminders.deliver_due() == 1
        assert reminders.deliver_due() == 0  # a restarted worker finds nothing left
        notification = db.session.execute(select(Notification)).scalar_one()
        assert notification.user_id == ids["user"] and notification.kind == "reminder"
        assert "call back 0" in notification.message and "Shared gadget" in notification.message
        assert notification.url == f"/gadgets/{ids['shared']}"  # the job links the record's page too
        outbox = db.session.execute(select(OutboxMessage)).scalar_one()
        assert outbox.recipients == ["user@example.com"] and "call back 0" in outbox.body
        assert db.session.get(Reminder, later.id).state == "pending"


def test_a_reminder_on_a_record_no_longer_visible_does_not_reveal_it(make_app):
    app, ids = setup(make_app)
    with app.app_context():
        add_due(1, ids["user"], ids["private"])
        reminders.deliver_due()
        notification = db.session.execute(select(Notification)).scalar_one()
        assert "private gadget" not in notification.message and notification.url == ""


def test_two_workers_deliver_each_reminder_exactly_once(make_app):
    # Two applications on one database are two workers with their own connections.
    workers = [make_app(PLUGINS=[gadgets]), make_app(PLUGINS=[gadgets])]
    with workers[0].app_context():
        user = create_user(email="user@example.com", role="user", password=USER_PASSWORD)
        gadget = Gadget(name="Busy gadget", access_mode="public_write")
        db.session.add(gadget)
        db.session.commit()
        add_due(40, user.id, gadget.id, email=True)
    start = threading.Barrier(len(workers))
    counts, errors = [], []

    def work(app):
        try:
            with app.app_context():
                start.wait(timeout=10)
                counts.append(reminders.deliver_due())
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(app,)) for app in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sum(counts) == 40, counts
    with workers[1].app_context():
        assert reminders.deliver_due() == 0  # after a restart: nothing twice
        assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 40
        assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == 40
        messages = db.session.execute(select(Notification.message)).scalars().all()
        assert len(set(messages)) == 40
        assert db.session.execute(select(func.count(Reminder.id)).where(Reminder.state == "pending")).scalar_one() == 0


def test_a_worker_that_read_the_due_list_late_delivers_nothing_twice(make_app):
    # Worker A reads the due reminders, worker B delivers them all, then A goes on: the
    # claim finds them delivered, so A sends nothing.
    workers = [make_app(PLUGINS=[gadgets]), make_app(PLUGINS=[gadgets])]
    with workers[0].app_context():
        user = create_user(email="user@example.com", role="user", password=USER_PASSWORD)
        gadget = Gadget(name="Busy gadget", access_mode="public_write")
        db.session.add(gadget)
        db.session.commit()
        add_due(3, user.id, gadget.id)
        seen_by_a = reminders.due_ids()
        assert len(seen_by_a) == 3
        with workers[1].app_context():
            assert reminders.deliver_due() == 3
        assert reminders.deliver(seen_by_a) == 0
        assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 3


def test_set_a_reminder_in_my_time_zone_and_delete_it(make_app):
    app, ids = setup(make_app)
    client = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    url = f"/records/gadget/{ids['shared']}/reminders"
    response = client.post(url, data={"due_at": "2026-12-01T09:30", "message": "Ring Anna", "email": "1"})
    assert response.status_code == 302
    with app.app_context():
        reminder = db.session.execute(select(Reminder)).scalar_one()
        # Berlin is UTC+1 in December.
        assert reminder.due_at == datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)
        assert reminder.user_id == ids["user"] and reminder.email and reminder.created_by_id == ids["user"]
        reminder_id = reminder.id
    page = client.get(f"/gadgets/{ids['shared']}").get_data(as_text=True)
    assert "Ring Anna" in page and 'id="reminder-due"' in page
    assert client.post(url + "/delete", data={"reminder_id": reminder_id}).status_code == 302
    with app.app_context():
        assert db.session.execute(select(func.count(Reminder.id))).scalar_one() == 0


def test_reminders_for_others_only_if_they_may_see_the_record(make_app):
    app, ids = setup(make_app)
    owner = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    data = {"due_at": "2026-12-01T09:30", "message": "Look at this", "user_id": ids["user"]}
    assert owner.post(f"/records/gadget/{ids['private']}/reminders", data=data).status_code == 400
    assert owner.post(f"/records/gadget/{ids['shared']}/reminders", data=data).status_code == 302
    user = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    # The user cannot reach the private record's reminders at all.
    assert user.post(f"/records/gadget/{ids['private']}/reminders", data=data).status_code == 404
    with app.app_context():
        reminder_id = db.session.execute(select(Reminder.id)).scalar_one()
        other = create_user(email="other@example.com", role="user", password=USER_PASSWORD)
        assert other.id
    stranger = sign_in(app.test_client(), "other@example.com", USER_PASSWORD)
    response = stranger.post(f"/records/gadget/{ids['shared']}/reminders/delete", data={"reminder_id": reminder_id})
    assert response.status_code == 404  # neither set by nor for them


def test_deleting_the_record_deletes_its_reminders(make_app):
    app, ids = setup(make_app)
    with app.app_context():
        add_due(2, ids["user"], ids["shared"])
    owner = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    assert owner.post(f"/gadgets/{ids['shared']}/delete").status_code == 302
    with app.app_context():
        assert db.session.execute(select(func.count(Reminder.id))).scalar_one() == 0
