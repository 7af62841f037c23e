"""A task's alert is a core reminder for its responsible user: set when the task is saved,
moved when the due time, alert or responsible user change, gone when the task is closed or
deleted, and delivered by the core's reminder job as a notification and an email. "Notify"
tells the responsible user of a new task, in the workspace and by email."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from core import db, jobs, utcnow
from core.records.models import Notification, Reminder
from plugins.tasks.models import Task
from tests.plugins.tasks.helpers import add_task


def task_reminders(world, task_id: int) -> list[tuple]:
    with world.app.app_context():
        return [(r.user_id, r.due_at, r.state, r.email) for r in db.session.execute(
            select(Reminder).where(Reminder.entity_type == "task", Reminder.record_id == task_id)).scalars()]


def form(world, **values) -> dict:
    return {"title": "Prepare the meeting", "due_date": "2030-03-10", "due_time": "14:00", "alert": "1d",
            "responsible_id": str(world.users["owner"]), "step": "save", **values}


def test_saving_sets_the_reminder_and_changes_move_or_remove_it(world):
    client = world.client("owner")
    client.post("/tasks/new", data=form(world))
    with world.app.app_context():
        task_id = db.session.execute(select(Task.id)).scalar_one()
    due = datetime(2030, 3, 10, 13, 0, tzinfo=timezone.utc)  # 14:00 in Berlin
    assert task_reminders(world, task_id) == [(world.users["owner"], due - timedelta(days=1), "pending", True)]
    client.post(f"/tasks/{task_id}/edit", data=form(world, due_time="16:00", alert="30m"))
    assert task_reminders(world, task_id) == [
        (world.users["owner"], due + timedelta(hours=2) - timedelta(minutes=30), "pending", True)]
    client.post(f"/tasks/{task_id}/edit", data=form(world, due_time="16:00", alert="30m",
                                                    responsible_id=str(world.users["other"])))
    assert [r[0] for r in task_reminders(world, task_id)] == [world.users["other"]]
    client.post(f"/tasks/{task_id}/edit", data=form(world, alert="never"))
    assert task_reminders(world, task_id) == []
    client.post(f"/tasks/{task_id}/edit", data=form(world, alert="2h"))
    assert len(task_reminders(world, task_id)) == 1
    client.post(f"/tasks/{task_id}/status", data={"status": "closed"})
    assert task_reminders(world, task_id) == []
    client.post(f"/tasks/{task_id}/status", data={"status": "open"})
    assert [r[1] for r in task_reminders(world, task_id)] == [due - timedelta(hours=2)]
    client.post(f"/tasks/{task_id}/delete")
    assert task_reminders(world, task_id) == []


def test_an_edit_that_leaves_due_time_and_alert_alone_keeps_a_delivered_reminder(world):
    from core.records import reminders

    soon = (utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)  # as a form gives it
    task_id = add_task(world, "Soon", soon, alert="15m")
    with world.app.app_context():
        assert reminders.deliver_due() == 1
    world.client("owner").post(f"/tasks/{task_id}/edit", data={
        **form(world), "title": "Soon, really", **_same_due(world, task_id), "alert": "15m"})
    assert [r[2] for r in task_reminders(world, task_id)] == ["delivered"]  # nothing sent twice


def _same_due(world, task_id):
    from zoneinfo import ZoneInfo

    with world.app.app_context():
        local = db.session.get(Task, task_id).due_at.astimezone(ZoneInfo("Europe/Berlin"))
    return {"due_date": local.date().isoformat(), "due_time": local.strftime("%H:%M")}


def test_a_task_due_in_the_past_gets_no_reminder(world):
    task_id = add_task(world, "Too late", utcnow() - timedelta(hours=1))
    assert task_reminders(world, task_id) == []


def test_the_reminder_job_delivers_the_alert_by_email(mail_world):
    world, handler = mail_world
    # Due in ten minutes, alert 15 minutes before: the alert time has passed, so it is due now.
    task_id = add_task(world, "Call Anna back", utcnow() + timedelta(minutes=10), who="user", alert="15m",
                       record_type="contact", record_id=world.contacts[0])
    with world.app.app_context():
        jobs.enqueue("core.deliver_reminders")
        db.session.commit()  # the job runs now (JOBS_IMMEDIATE), the email goes out with its commit
        notification = db.session.execute(select(Notification).where(
            Notification.user_id == world.users["user"], Notification.kind == "reminder")).scalar_one()
    assert "Call Anna back" in notification.message and notification.url == f"/tasks/{task_id}"
    (sender, recipients, message), = handler.messages
    assert recipients == ["user@example.com"]
    assert "Call Anna back" in message.get_body(("plain",)).get_content()
    assert f"/tasks/{task_id}" in message.get_body(("plain",)).get_content()


def test_notify_tells_the_responsible_user_in_the_workspace_and_by_email(mail_world):
    world, handler = mail_world
    client = world.client("owner")
    client.post("/tasks/new", data=form(world, title="Check the contract", responsible_id=str(world.users["other"]),
                                        notify="on"))
    with world.app.app_context():
        task_id = db.session.execute(select(Task.id)).scalar_one()
        notification = db.session.execute(select(Notification).where(
            Notification.kind == "task_assigned")).scalar_one()
    assert notification.user_id == world.users["other"] and notification.url == f"/tasks/{task_id}"
    # Otto has no language of his own: German, the first language.
    assert notification.message.startswith("Olga Owner") and "Check the contract" in notification.message
    (sender, recipients, message), = handler.messages
    assert recipients == ["other@example.com"] and "Check the contract" in message["Subject"]
    # Without "notify" nobody is told; nor is anybody of a task they gave themselves.
    client.post("/tasks/new", data=form(world, title="Quietly", responsible_id=str(world.users["other"])))
    client.post("/tasks/new", data=form(world, title="For me", notify="on"))
    with world.app.app_context():
        assert db.session.execute(select(Notification).where(Notification.kind == "task_assigned")).all() \
            .__len__() == 1
    assert len(handler.messages) == 1


def test_giving_a_task_to_someone_else_with_notify_tells_them(world):
    task_id = add_task(world, "Hand over", utcnow() + timedelta(days=2))
    client = world.client("owner")
    client.post(f"/tasks/{task_id}/edit", data=form(world, title="Hand over", notify="on",
                                                    responsible_id=str(world.users["user"])))
    client.post(f"/tasks/{task_id}/edit", data=form(world, title="Hand over, again", notify="on",
                                                    responsible_id=str(world.users["user"])))
    with world.app.app_context():
        told = db.session.execute(select(Notification.user_id).where(Notification.kind == "task_assigned")).all()
    assert told == [(world.users["user"],)]  # once: the second edit did not change who is responsible
