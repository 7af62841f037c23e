"""TaskSchema is the one rule of a valid task: every field's error at once, due times in the
user's time zone, linked records only those the user may see; and the due date presets."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from marshmallow import ValidationError

from core import db
from core.auth.models import User
from plugins.tasks import service
from plugins.tasks.models import TaskCategory
from plugins.tasks.schemas import TaskSchema


def load(world, who: str, **values):
    with world.app.test_request_context(headers={"Accept-Language": "en"}):
        user = db.session.get(User, world.users[who])
        data = {"title": "Call back", "due_date": "2030-01-02", "due_time": "10:00",
                "responsible_id": str(user.id), **values}
        return TaskSchema(user=user).load(data)


def errors(world, who: str = "owner", **values) -> dict:
    with pytest.raises(ValidationError) as caught, world.app.test_request_context(
            headers={"Accept-Language": "en"}):
        load(world, who, **values)
    with world.app.test_request_context(headers={"Accept-Language": "en"}):
        return {field: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
                for field, messages in caught.value.messages.items()}


def test_every_wrong_field_is_named_at_once(world):
    with world.app.app_context():
        deactivated = User(email="gone@example.com", name="Gone", active=False)
        db.session.add(deactivated)
        db.session.commit()
        gone = deactivated.id
    assert errors(world, title="  ", due_date="31.02.2030", due_time="25:00", responsible_id=str(gone),
                  category_id="999", alert="3w") == {
        "title": ["Enter a title."],
        "due_date": ["Enter a date, e.g. 2026-03-31."],
        "due_time": ["Enter a time, e.g. 14:30."],
        "responsible_id": ["Choose a user who may see tasks."],
        "category_id": ["Choose one of the offered values."],
        "alert": ["Choose one of the offered values."],
    }


def test_required_fields_say_what_to_enter(world):
    assert errors(world, title="", due_date="", due_time="", responsible_id="") == {
        "title": ["Enter a title."], "due_date": ["Enter the due date."], "due_time": ["Enter the due time."],
        "responsible_id": ["Choose who is responsible."]}


def test_the_due_time_is_read_in_the_users_time_zone_and_stored_in_utc(world):
    # Uwe lives in New York (UTC-5 in January), Olga in Berlin (UTC+1).
    assert load(world, "user")["due_at"] == datetime(2030, 1, 2, 15, 0, tzinfo=timezone.utc)
    assert load(world, "owner")["due_at"] == datetime(2030, 1, 2, 9, 0, tzinfo=timezone.utc)
    # Summer time in Berlin: UTC+2.
    assert load(world, "owner", due_date="2030-07-01")["due_at"] == datetime(2030, 7, 1, 8, 0, tzinfo=timezone.utc)


def test_defaults_alert_a_day_before_and_link_nothing(world):
    assert load(world, "owner", alert="")["alert"] == "1d"  # the form's empty choice
    data = load(world, "owner")
    assert data["alert"] == "1d" and data["record_type"] == "" and data["record_id"] is None
    assert data["notify"] is False and data["category_id"] is None


def test_a_category_of_the_list_is_accepted(world):
    with world.app.app_context():
        category = TaskCategory(name="Anruf", colour="success", icon="telephone")
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    assert load(world, "owner", category_id=str(category_id))["category_id"] == category_id


def test_a_linked_record_must_be_one_the_user_may_see(world):
    visible = load(world, "user", record_type="contact", record_id=str(world.contacts[0]))
    assert (visible["record_type"], visible["record_id"]) == ("contact", world.contacts[0])
    hidden = "The linked record does not exist or you may not see it."
    assert errors(world, "user", record_type="contact", record_id=str(world.private_contact)) == {
        "record_id": [hidden]}
    assert errors(world, "owner", record_type="contact", record_id="999999") == {"record_id": [hidden]}
    # The owner sees the private contact.
    assert load(world, "owner", record_type="contact", record_id=str(world.private_contact))["record_id"] \
        == world.private_contact


def test_a_link_to_a_type_without_tasks_or_half_a_link_is_refused(world):
    assert errors(world, record_type="task", record_id="1") == {"record_id": ["Choose one of the offered values."]}
    assert errors(world, record_type="contact") == {"record_id": ["Choose one of the offered values."]}
    assert errors(world, record_id=str(world.contacts[0])) == {"record_id": ["Choose one of the offered values."]}


@pytest.mark.parametrize("who, now, preset, expected", [
    # 23:30 UTC on 23 November: already the 24th in Berlin, still the 23rd in New York.
    ("owner", datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc), "today", date(2026, 11, 24)),
    ("user", datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc), "today", date(2026, 11, 23)),
    ("user", datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc), "3days", date(2026, 11, 26)),
    ("owner", datetime(2026, 12, 28, 12, 0, tzinfo=timezone.utc), "week", date(2027, 1, 4)),
])
def test_presets_count_from_today_in_the_users_time_zone(world, who, now, preset, expected):
    with world.app.app_context():
        user = db.session.get(User, world.users[who])
        assert service.preset_date(preset, user, now=now) == expected
        assert service.preset_date("tomorrow", user, now=now) is None
