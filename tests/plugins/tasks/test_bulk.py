"""The bulk action "Create task for each": offered on contact lists, the selected ids POSTed
to the tasks module, the form shown once, one task per record saved in one transaction, and
ids the user may not see refused."""
from __future__ import annotations

from sqlalchemy import select

from core import db, kontor
from core.auth.models import User
from core.records.models import Notification, Reminder
from plugins.tasks.models import Task

FORM = {"title": "Send the Christmas card", "due_date": "2030-12-10", "due_time": "10:00", "alert": "1d",
        "step": "save"}


def tasks(world) -> list[tuple]:
    with world.app.app_context():
        return [(t.title, t.record_type, t.record_id, t.responsible_id) for t in
                db.session.execute(select(Task).order_by(Task.record_id)).scalars()]


def test_the_action_is_offered_for_contacts_only_to_who_may_create_tasks(world):
    from core.modules import set_access

    with world.app.test_request_context(headers={"Accept-Language": "en"}):
        owner = db.session.get(User, world.users["owner"])
        user = db.session.get(User, world.users["user"])
        (action,) = kontor.hook("bulk_actions", user=user, entity_type="contact")
        assert action.url == "/tasks/bulk/contact" and str(action.label) == "Create task for each"
        assert kontor.hook("bulk_actions", user=user, entity_type="task") == []
        set_access("tasks", True, [], [], [], [], user=owner)  # tasks only for chosen users: none
        kontor.refresh()
        assert kontor.hook("bulk_actions", user=user, entity_type="contact") == []


def test_one_task_for_each_of_three_selected_contacts(world):
    client = world.client("user")
    ids = [str(i) for i in world.contacts]
    page = client.post("/tasks/bulk/contact", data={"ids": ids}).get_data(as_text=True)
    assert "One task is created for each of these 3 records (Contacts):" in page
    assert all(name in page for name in ("Anna Alt", "Bert Brandt", "Cora Christ"))
    assert tasks(world) == []  # the first POST only shows the form
    response = client.post("/tasks/bulk/contact", data={**FORM, "ids": ids, "notify": "on",
                                                          "responsible_id": str(world.users["other"])})
    assert response.status_code == 302
    other = world.users["other"]
    assert tasks(world) == [("Send the Christmas card", "contact", contact, other) for contact in world.contacts]
    with world.app.app_context():
        # Otto gets one notification for the three, and one reminder per task.
        (notification,) = db.session.execute(select(Notification).where(Notification.user_id == other)).scalars()
        assert "3" in notification.message and notification.url == "/tasks/"
        assert len(db.session.execute(select(Reminder).where(Reminder.entity_type == "task")).all()) == 3
    for contact in world.contacts:
        assert "Send the Christmas card" in client.get(f"/contacts/{contact}").get_data(as_text=True)


def test_an_invalid_form_creates_no_task_at_all(world):
    client = world.client("owner")
    response = client.post("/tasks/bulk/contact", data={**FORM, "title": "", "ids": [str(i) for i in world.contacts],
                                                          "responsible_id": str(world.users["owner"])})
    assert response.status_code == 400 and "Enter a title." in response.get_data(as_text=True)
    assert tasks(world) == []


def test_ids_the_user_may_not_see_are_refused(world):
    client = world.client("user")  # not on the private contact's list
    response = client.post("/tasks/bulk/contact", data={**FORM, "responsible_id": str(world.users["user"]),
                                                          "ids": [str(world.contacts[0]), str(world.private_contact),
                                                                  "999999"]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "2 of the selected records do not exist or you may not see them. No task was created." in page
    assert "Paula Privat" not in page
    assert tasks(world) == []
    assert client.post("/tasks/bulk/contact", data={"ids": []}).status_code == 400
    assert client.post("/tasks/bulk/task", data={"ids": ["1"]}).status_code == 404


def test_a_preset_on_the_bulk_form_keeps_what_was_typed_and_saves_nothing(world):
    client = world.client("owner")
    ids = [str(i) for i in world.contacts]
    response = client.post("/tasks/bulk/contact", data={"ids": ids, "title": "Call each", "due_date": "",
                                                          "due_time": "10:00", "preset": "week"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Call each"' in page and 'value="10:00"' in page
    assert 'name="due_date" value=""' not in page and page.count('name="ids"') == 3
    assert tasks(world) == []


def test_more_records_than_one_bulk_action_takes_are_refused(world):
    response = world.client("owner").post("/tasks/bulk/contact", data={"ids": [str(i) for i in range(1, 1002)]})
    assert response.status_code == 400
    assert "Select at most 1000 records at once." in response.get_data(as_text=True)
