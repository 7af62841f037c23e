"""The task pages as users see them: the form (presets, record search, errors), "My tasks"
with its sections, status switched in the list, edit, delete with confirmation, the "Tasks"
tab of a contact and of the customer overview, categories, and record visibility."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core import db, modules, records, utcnow
from core.records.models import TimelineEvent
from plugins.tasks import service
from plugins.tasks.models import CLOSED, OPEN, Task, TaskCategory
from tests.plugins.tasks.helpers import add_task, section, titles


def count_tasks(world) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count(Task.id)))


def form(world, **values) -> dict:
    data = {"title": "Send the offer", "due_date": "2030-05-06", "due_time": "09:30", "alert": "1d",
            "responsible_id": str(world.users["owner"]), "description": "With the new prices.", "step": "save"}
    data.update(values)
    return data


def test_a_task_from_the_form_is_saved_and_shown_on_its_page(world):
    client = world.client("owner")
    page = client.get("/tasks/new").get_data(as_text=True)
    assert 'name="title"' in page and 'value="18:00"' in page  # a sensible due time is offered
    assert f'<option value="{world.users["owner"]}" selected>Olga Owner</option>' in page  # responsible: me
    assert '<option value="1d" selected>1 day before</option>' in page
    response = client.post("/tasks/new", data=form(world, record=f"contact:{world.contacts[0]}"))
    assert response.status_code == 302
    with world.app.app_context():
        task = db.session.execute(select(Task)).scalar_one()
        assert (task.title, task.record_type, task.record_id, task.status) == (
            "Send the offer", "contact", world.contacts[0], OPEN)
        assert task.due_at == datetime(2030, 5, 6, 7, 30, tzinfo=timezone.utc)  # 09:30 in Berlin (summer)
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Send the offer" in detail and "Anna Alt" in detail
    assert "5/6/30, 9:30" in detail  # shown in Olga's time zone, in English


def test_errors_are_shown_per_field_and_nothing_is_saved(world):
    client = world.client("owner")
    response = client.post("/tasks/new", data=form(world, title="", due_date="someday", responsible_id="999"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="field-title-error"' in page and "Enter a title." in page
    assert 'id="field-due_date-error"' in page and "Enter a date, e.g. 2026-03-31." in page
    assert "Choose a user who may see tasks." in page
    assert 'value="With the new prices."' in page or "With the new prices." in page  # input kept
    assert count_tasks(world) == 0


def test_a_preset_fills_the_due_date_and_saves_nothing(world):
    client = world.client("user")  # in New York
    response = client.post("/tasks/new", data=form(world, preset="3days", due_date="", step=""))
    assert response.status_code == 200
    today = utcnow().astimezone(ZoneInfo("America/New_York")).date()
    assert f'value="{(today + timedelta(days=3)).isoformat()}"' in response.get_data(as_text=True)
    assert count_tasks(world) == 0


def test_find_offers_matching_records_the_user_may_see(world):
    client = world.client("user")
    page = client.post("/tasks/new", data=form(world, record_query="a", find="1", step="")).get_data(as_text=True)
    assert f'value="contact:{world.contacts[0]}"' in page and "Contact: Anna Alt" in page
    assert "Paula Privat" not in page  # private, and Uwe is not on its list
    assert count_tasks(world) == 0


def test_new_task_from_a_record_is_pre_linked_and_returns_there(world):
    client = world.client("owner")
    contact = world.contacts[1]
    page = client.get(f"/tasks/new?record_type=contact&record_id={contact}&next=/contacts/{contact}") \
        .get_data(as_text=True)
    assert f'value="contact:{contact}" checked' in page and "Bert Brandt" in page
    response = client.post(f"/tasks/new?record_type=contact&record_id={contact}",
                           data=form(world, record=f"contact:{contact}", next=f"/contacts/{contact}"))
    assert response.headers["Location"] == f"/contacts/{contact}"
    # "next" only leads to this site.
    response = client.post("/tasks/new", data=form(world, next="//evil.example/"))
    assert response.headers["Location"].startswith("/tasks/")


def test_my_tasks_sorts_into_overdue_today_upcoming_and_closed(world):
    now = utcnow()
    add_task(world, "Overdue call", now - timedelta(hours=2))
    add_task(world, "Later visit", now + timedelta(days=3))
    closed = add_task(world, "Done already", now + timedelta(days=1))
    add_task(world, "Uwe's own", now + timedelta(days=1), who="user")
    client = world.client("owner")
    client.post(f"/tasks/{closed}/status", data={"status": CLOSED})
    page = client.get("/tasks/").get_data(as_text=True)
    assert titles(section(page, "overdue")) == ["Overdue call"]
    assert titles(section(page, "upcoming")) == ["Later visit"]
    assert titles(section(page, "closed")) == ["Done already"]
    assert "Uwe&#39;s own" not in page and "Uwe's own" not in page  # only mine
    everyone = client.get("/tasks/?scope=all").get_data(as_text=True)
    assert "Uwe&#39;s own" in everyone


def test_a_long_section_shows_its_first_rows_and_its_count(world, monkeypatch):
    monkeypatch.setattr(service, "SECTION_LIMIT", 2)
    for days in (3, 1, 2):
        add_task(world, f"In {days} days", utcnow() + timedelta(days=days))
    upcoming = section(world.client("owner").get("/tasks/").get_data(as_text=True), "upcoming")
    assert titles(upcoming) == ["In 1 days", "In 2 days"]
    assert '<span class="badge rounded-pill text-bg-secondary">3</span>' in upcoming
    assert "The first 2 of 3 are shown." in upcoming


def test_today_means_today_in_the_users_time_zone(world):
    from core.auth.models import User

    # 22:30 UTC on 23 November: 17:30 in New York, 23:30 in Berlin.
    now = datetime(2026, 11, 23, 22, 30, tzinfo=timezone.utc)
    for title, due in (("overdue", datetime(2026, 11, 23, 20, 0)), ("at 22:00 New York", datetime(2026, 11, 24, 3, 0)),
                       ("tomorrow", datetime(2026, 11, 24, 6, 0))):
        add_task(world, title, due.replace(tzinfo=timezone.utc), who="user")
    with world.app.test_request_context():
        user = db.session.get(User, world.users["user"])
        in_new_york = service.sections(user, now=now)
        user.timezone = "Europe/Berlin"
        in_berlin = service.sections(user, now=now)
    assert [t.title for t in in_new_york["overdue"].rows] == ["overdue"]
    assert [t.title for t in in_new_york["today"].rows] == ["at 22:00 New York"]
    assert [t.title for t in in_new_york["upcoming"].rows] == ["tomorrow"]
    assert [t.title for t in in_berlin["today"].rows] == []
    assert [t.title for t in in_berlin["upcoming"].rows] == ["at 22:00 New York", "tomorrow"]


def test_closing_and_reopening_from_the_list_is_recorded(world):
    task_id = add_task(world, "Ring Anna", utcnow() + timedelta(days=2))
    client = world.client("owner")
    response = client.post(f"/tasks/{task_id}/status", data={"status": CLOSED, "next": "/tasks/"})
    assert response.headers["Location"] == "/tasks/"
    page = client.get("/tasks/").get_data(as_text=True)
    assert "The task “Ring Anna” is closed." in page
    assert titles(section(page, "closed")) == ["Ring Anna"] and titles(section(page, "upcoming")) == []
    assert 'aria-label="Reopen the task “Ring Anna”"' in section(page, "closed")
    client.post(f"/tasks/{task_id}/status", data={"status": OPEN})
    with world.app.app_context():
        task = db.session.get(Task, task_id)
        assert task.status == OPEN and task.closed_at is None
        changes = [e.changes["status"] for e in db.session.execute(
            select(TimelineEvent).where(TimelineEvent.entity_type == "task", TimelineEvent.record_id == task_id,
                                        TimelineEvent.action == "status_changed")
            .order_by(TimelineEvent.id)).scalars()]
    assert changes == [["open", "closed"], ["closed", "open"]]
    assert client.post(f"/tasks/{task_id}/status", data={"status": "maybe"}).status_code == 400


def test_edit_changes_the_task(world):
    task_id = add_task(world, "Draft", utcnow() + timedelta(days=2))
    client = world.client("owner")
    page = client.get(f"/tasks/{task_id}/edit").get_data(as_text=True)
    assert 'value="Draft"' in page
    response = client.post(f"/tasks/{task_id}/edit", data=form(world, title="Final", alert="2h"))
    assert response.status_code == 302
    with world.app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.title, task.alert) == ("Final", "2h")
    timeline = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    timeline = timeline[timeline.index('id="record-part-timeline"'):]
    assert "Draft" in timeline and "Final" in timeline  # the change, with old and new value


def test_delete_asks_first_then_deletes(world):
    task_id = add_task(world, "Obsolete", utcnow() + timedelta(days=2))
    client = world.client("owner")
    question = client.get(f"/tasks/{task_id}/delete").get_data(as_text=True)
    assert "Delete the task “Obsolete”? This cannot be undone." in question
    assert count_tasks(world) == 1  # asking deletes nothing
    response = client.post(f"/tasks/{task_id}/delete", data={"next": "/tasks/"})
    assert response.headers["Location"] == "/tasks/"
    assert count_tasks(world) == 0
    assert "The task “Obsolete” is deleted." in client.get("/tasks/").get_data(as_text=True)
    assert client.get(f"/tasks/{task_id}").status_code == 404


def test_a_contact_page_has_a_tasks_tab_with_a_pre_linked_new_task(world):
    contact = world.contacts[0]
    add_task(world, "Visit Anna", utcnow() + timedelta(days=1), record_type="contact", record_id=contact)
    add_task(world, "Visit Bert", utcnow() + timedelta(days=1), record_type="contact", record_id=world.contacts[1])
    page = world.client("user").get(f"/contacts/{contact}").get_data(as_text=True)
    assert 'id="record-tab-tasks"' in page
    tab = page[page.index('id="record-tasks"'):]
    assert titles(tab) == ["Visit Anna"]
    assert f"/tasks/new?record_type=contact&amp;record_id={contact}" in tab


def test_the_customer_overview_has_the_tasks_tab(world):
    contact = world.contacts[2]
    add_task(world, "Quarterly review", utcnow() + timedelta(days=5), record_type="contact", record_id=contact)
    page = world.client("owner").get(f"/records/contact/{contact}/overview").get_data(as_text=True)
    assert "Quarterly review" in page and "record-tasks" in page


def test_a_linked_record_the_user_may_not_see_is_not_named(world):
    add_task(world, "Secret visit", utcnow() + timedelta(days=1), who="user", record_type="contact",
             record_id=world.private_contact)
    owner_page = world.client("owner").get("/tasks/?scope=all").get_data(as_text=True)
    assert "Paula Privat" in owner_page
    user_page = world.client("user").get("/tasks/").get_data(as_text=True)
    assert "Secret visit" in user_page and "Paula Privat" not in user_page and "not available" in user_page
    with world.app.app_context():
        task_id = db.session.execute(select(Task.id)).scalar_one()
    detail = world.client("user").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Paula Privat" not in detail and f"/contacts/{world.private_contact}" not in detail


def test_merging_contacts_moves_their_tasks(world):
    from core.auth.models import User
    from core.records import merge
    from plugins.contacts.models import Contact

    survivor, merged = world.contacts[0], world.contacts[1]
    task_id = add_task(world, "Call Bert", utcnow() + timedelta(days=1), record_type="contact", record_id=merged)
    with world.app.test_request_context():
        merge.merge("contact", db.session.get(Contact, survivor), db.session.get(Contact, merged),
                    user=db.session.get(User, world.users["owner"]))
        db.session.commit()
        assert db.session.get(Task, task_id).record_id == survivor
    assert "Call Bert" in world.client("owner").get(f"/contacts/{survivor}").get_data(as_text=True)


def test_a_deleted_contacts_tasks_stay_unlinked(world):
    from core.auth.models import User
    from plugins.contacts.models import Contact

    task_id = add_task(world, "Call Cora", utcnow() + timedelta(days=1), record_type="contact",
                       record_id=world.contacts[2])
    with world.app.test_request_context():
        records.delete_record("contact", db.session.get(Contact, world.contacts[2]),
                              user=db.session.get(User, world.users["owner"]))
        db.session.commit()
    with world.app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.title, task.record_type, task.record_id) == ("Call Cora", "", None)
        assert db.session.get(Contact, world.contacts[2]) is None


def test_categories_are_managed_by_admins_and_shown_on_tasks(world):
    owner = world.client("owner")
    assert world.client("user").get("/tasks/categories").status_code == 403
    owner.post("/tasks/categories", data={"op": "add", "name": "Anruf", "colour": "success", "icon": "telephone"})
    refused = owner.post("/tasks/categories", data={"op": "add", "name": "Anruf", "colour": "success"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Enter a name of at most 100 characters that no other category has." in refused
    with world.app.app_context():
        category = db.session.execute(select(TaskCategory)).scalar_one()
        category_id = category.id
    task_id = add_task(world, "Ring", utcnow() + timedelta(days=1), category_id=category_id)
    assert '<span class="badge text-bg-success">' in owner.get("/tasks/").get_data(as_text=True)
    owner.post("/tasks/categories", data={"op": "delete", "id": category_id})
    with world.app.app_context():
        assert db.session.get(Task, task_id).category_id is None  # the task stays


def test_a_switched_off_module_answers_404(world):
    with world.app.app_context():
        modules.set_enabled("tasks", False)
    client = world.client("owner")
    assert client.get("/tasks/").status_code == 404
    assert 'id="record-tab-tasks"' not in client.get(f"/contacts/{world.contacts[0]}").get_data(as_text=True)


def test_a_task_on_a_record_the_user_may_not_see_stays_theirs_to_change(world):
    task_id = add_task(world, "Secret visit", utcnow() + timedelta(days=1), who="user", record_type="contact",
                       record_id=world.private_contact)
    client = world.client("user")
    page = client.get(f"/tasks/{task_id}/edit").get_data(as_text=True)
    assert "Paula Privat" not in page and "A record that is not available" in page
    response = client.post(f"/tasks/{task_id}/edit", data=form(world, title="Visit, moved", responsible_id=str(
        world.users["user"]), record=f"contact:{world.private_contact}"))
    assert response.status_code == 302
    with world.app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.title, task.record_id) == ("Visit, moved", world.private_contact)
    # Linking another task to that contact is still refused.
    refused = client.post("/tasks/new", data=form(world, record=f"contact:{world.private_contact}"))
    assert refused.status_code == 400
    assert "The linked record does not exist or you may not see it." in refused.get_data(as_text=True)


def test_the_global_search_finds_tasks_for_who_may_see_them(world):
    task_id = add_task(world, "Quarterly tax return", utcnow() + timedelta(days=3))
    page = world.client("user").get("/search?q=tax return").get_data(as_text=True)
    assert "Quarterly tax return" in page and f'href="/tasks/{task_id}"' in page
    with world.app.app_context():
        modules.set_enabled("tasks", False)
    assert "Quarterly tax return" not in world.client("user").get("/search?q=tax return").get_data(as_text=True)


class _Inputs(HTMLParser):
    """The form controls of a page (without hidden ones and buttons) and the ids labels name."""

    def __init__(self):
        super().__init__()
        self.inputs, self.labelled = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.inputs.append(attrs)


def test_every_input_of_the_task_pages_has_a_label(world):
    task_id = add_task(world, "Labelled", utcnow() + timedelta(days=1), record_type="contact",
                       record_id=world.contacts[0])
    client = world.client("owner")
    client.post("/tasks/categories", data={"op": "add", "name": "Anruf", "colour": "success", "icon": ""})
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/tasks/", "/tasks/new", f"/tasks/{task_id}", f"/tasks/{task_id}/edit", "/tasks/categories")]
    pages.append(client.post("/tasks/bulk/contact", data={"ids": [str(world.contacts[0])]}).get_data(as_text=True))
    pages.append(client.post("/tasks/new", data=form(world, record_query="Alt", find="1", step="")).get_data(
        as_text=True))
    for page in pages:
        parser = _Inputs()
        parser.feed(page)
        assert parser.inputs
        unlabelled = [i for i in parser.inputs if i.get("id") not in parser.labelled and not i.get("aria-label")]
        assert unlabelled == [], unlabelled


def test_categories_are_renamed_recoloured_and_reordered(world):
    owner = world.client("owner")
    for name in ("Anruf", "Besuch"):
        owner.post("/tasks/categories", data={"op": "add", "name": name, "colour": "secondary", "icon": ""})
    with world.app.app_context():
        ids = {c.name: c.id for c in db.session.execute(select(TaskCategory)).scalars()}
    owner.post("/tasks/categories", data={"op": "change", "id": ids["Besuch"], "name": "Termin vor Ort",
                                          "colour": "danger", "icon": "calendar-event"})
    owner.post("/tasks/categories", data={"op": "up", "id": ids["Besuch"]})
    page = owner.get("/tasks/categories").get_data(as_text=True)
    assert page.index('data-category="Termin vor Ort"') < page.index('data-category="Anruf"')
    assert '<span class="badge text-bg-danger">' in page
    refused = owner.post("/tasks/categories", data={"op": "change", "id": ids["Anruf"], "name": "Anruf",
                                                    "colour": "pink"}, follow_redirects=True)
    assert "Choose one of the offered colours and icons." in refused.get_data(as_text=True)
    assert owner.post("/tasks/categories", data={"op": "rename", "id": ids["Anruf"]}).status_code == 400
