"""``kontor demo``: task categories and a few tasks on the first records that have tasks
(the demo contacts), so "My tasks" and the "Tasks" tabs have something to show."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import db, records, utcnow
from core.auth.models import User
from plugins.tasks import service
from plugins.tasks.models import Task, TaskCategory

CATEGORIES = (("Anruf", "primary", "telephone"), ("E-Mail", "info", "envelope"),
              ("Termin", "success", "calendar-event"), ("Angebot", "warning", "briefcase"))
# title, category, due in days (negative: overdue), alert
TASKS = (("Rückruf wegen Angebot", "Anruf", -1, "1h"), ("Angebot nachfassen", "Angebot", 0, "2h"),
         ("Termin vor Ort vereinbaren", "Termin", 3, "1d"), ("Unterlagen per E-Mail senden", "E-Mail", 7, "1d"))


def load() -> None:
    if db.session.execute(select(TaskCategory.id).limit(1)).first() is not None:
        return  # demo data only goes into an empty category list
    owner = db.session.execute(select(User).where(User.role == "owner").order_by(User.id)).scalars().first()
    categories = {name: TaskCategory(name=name, colour=colour, icon=icon, position=n)
                  for n, (name, colour, icon) in enumerate(CATEGORIES, start=1)}
    db.session.add_all(categories.values())
    db.session.flush()
    linked = _first_records(len(TASKS))
    if owner is not None:
        day_end = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
        for number, (title, category, days, alert) in enumerate(TASKS):
            record_type, record_id = linked[number] if number < len(linked) else ("", None)
            service.save(Task(), {"title": title, "category_id": categories[category].id,
                                  "due_at": day_end + timedelta(days=days), "alert": alert,
                                  "responsible_id": owner.id, "record_type": record_type, "record_id": record_id,
                                  "description": ""}, owner)
    db.session.commit()


def _first_records(count: int) -> list[tuple[str, int]]:
    for name in service.task_types():
        model = records.entity_type(name).model
        ids = db.session.execute(select(model.id).order_by(model.id).limit(count)).scalars().all()
        if ids:
            return [(name, record_id) for record_id in ids]
    return []
