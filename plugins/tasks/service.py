"""What the task pages, the tabs, the bulk action and the hooks share: saving a task with its
reminder and notification, switching its status, "My tasks" sections and the names of linked
records."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from babel.dates import format_datetime
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core import db, kontor, records, utcnow
from core.records import notifications
from core.records import reminders
from plugins.tasks.models import ALERTS, CLOSED, OPEN, Task
from plugins.tasks.schemas import local_zone, visible_ids

ENTITY_TYPE = "task"
PRESETS = {"today": 0, "3days": 3, "week": 7}
SECTION_LIMIT = 100  # rows per section of "My tasks" (with the section's count)
CLOSED_LIMIT = 25  # the latest closed tasks shown there
RECORD_LIMIT = 200  # tasks on a record's tab


def task_types() -> list[str]:
    """The entity types (of enabled modules) whose records have tasks, by the
    ``task_entity_types`` hook."""
    return [name for name in dict.fromkeys(kontor.hook("task_entity_types")) if records.entity_type(name)]


def type_of(record) -> str | None:
    """The name of ``record``'s entity type."""
    from core.access import entity_type_of

    _module, declared = entity_type_of(record)
    return declared.name if declared is not None else None


def preset_date(preset: str, user, now: datetime | None = None) -> date | None:
    """The date a preset button stands for, in ``user``'s time zone."""
    if preset not in PRESETS:
        return None
    today = (now or utcnow()).astimezone(local_zone(user)).date()
    return today + timedelta(days=PRESETS[preset])


def _user(user_id):
    from core.auth.models import User

    return db.session.get(User, user_id) if user_id else None


def _due_text(task: Task, user) -> str:
    """The due time as ``user`` reads it (their time zone and language), for messages that
    are written now and read later."""
    return format_datetime(task.due_at, "short", tzinfo=local_zone(user), locale=user.language or "de")


# Saving


def apply(task: Task, data: dict) -> dict:
    """Set the loaded ``data`` (of ``TaskSchema``) on ``task``; the changed fields."""
    changed = {}
    for key, value in data.items():
        if key == "notify":
            continue
        if getattr(task, key) != value:
            changed[key] = value
            setattr(task, key, value)
    return changed


def save(task: Task, data: dict, actor) -> Task:
    """Create or change ``task`` from ``data``, with its reminder, and notify the responsible
    user if asked. Part of the caller's transaction."""
    new = task.id is None
    if new:
        task.created_by_id = actor.id
        task.status = OPEN
        db.session.add(task)
    changed = apply(task, data)
    db.session.flush()
    if new or changed.keys() & {"due_at", "alert", "responsible_id"}:
        sync_reminder(task, actor)
    if data.get("notify") and (new or "responsible_id" in changed):
        notify_responsible([task], actor)
    return task


def create_for_each(data: dict, record_type: str, record_ids, actor) -> list[Task]:
    """One task from ``data`` for each record; one notification for all of them."""
    tasks = []
    for record_id in record_ids:
        task = Task(record_type=record_type, record_id=record_id)
        save(task, {**data, "record_type": record_type, "record_id": record_id, "notify": False}, actor)
        tasks.append(task)
    if data.get("notify"):
        notify_responsible(tasks, actor)
    return tasks


def set_status(task: Task, status: str, actor) -> None:
    """Close or reopen ``task``; the timeline records the change (the column is ``status``)."""
    if task.status == status:
        return
    task.status = status
    task.closed_at = utcnow() if status == CLOSED else None
    sync_reminder(task, actor)


def delete(task: Task, actor) -> None:
    """Delete ``task`` with its reminder, notes and links (its timeline stays)."""
    records.delete_record(ENTITY_TYPE, task, user=actor)


def move_tasks(record_type: str, from_id: int, to_id: int) -> None:
    """Point the tasks of one record at another (merged records)."""
    db.session.execute(update(Task).where(Task.record_type == record_type, Task.record_id == from_id)
                       .values(record_id=to_id))


def unlink_tasks(record_type: str, record_id: int) -> None:
    """The tasks of a deleted record stay, about nothing in particular. Runs while the
    deletion is flushed (``track_event``), so it changes rows, not loaded objects."""
    db.session.execute(update(Task).where(Task.record_type == record_type, Task.record_id == record_id)
                       .values(record_type="", record_id=None).execution_options(synchronize_session=False))


# Reminder and notification


def sync_reminder(task: Task, actor=None) -> None:
    """Make the task's reminder match its due time, alert, responsible user and status: the
    old one goes; an open task with an alert and a due time still ahead gets a new one at
    the alert time (at once, when that has passed already). A task has no other reminders:
    its entity type does not offer the reminders tab."""
    reminders.forget(ENTITY_TYPE, task.id)
    offset = ALERTS.get(task.alert)
    responsible = _user(task.responsible_id)
    now = utcnow()
    if task.status != OPEN or offset is None or responsible is None or task.due_at <= now:
        return
    with notifications.in_language(responsible):
        message = _("Due %(due)s", due=_due_text(task, responsible))
    reminders.add(ENTITY_TYPE, task.id, responsible, max(task.due_at - offset, now), message, email=True,
                  created_by=actor)


def notify_responsible(tasks: list[Task], actor) -> None:
    """Tell the responsible user of ``tasks`` (all the same user) that they have them, in
    the workspace and by email. Nobody is told of a task they gave themselves."""
    responsible = _user(tasks[0].responsible_id)
    if responsible is None or responsible.id == actor.id:
        return
    task = tasks[0]
    with notifications.in_language(responsible):
        if len(tasks) == 1:
            message = _("%(actor)s assigned the task \u201c%(title)s\u201d to you, due %(due)s.",
                        actor=actor.name, title=task.title, due=_due_text(task, responsible))
            subject = _("New task: %(title)s", title=task.title)
            url = records.record_url(records.entity_type(ENTITY_TYPE), task.id)
        else:
            message = _("%(actor)s assigned %(count)d tasks \u201c%(title)s\u201d to you, due %(due)s.",
                        actor=actor.name, count=len(tasks), title=task.title, due=_due_text(task, responsible))
            subject = _("%(count)d new tasks: %(title)s", count=len(tasks), title=task.title)
            url = _index_url()
        notifications.notify(responsible, "task_assigned", message, url=url, email=True, subject=subject)


def _index_url() -> str:
    from flask import current_app, has_request_context

    if has_request_context():
        return url_for("tasks.index")
    with current_app.test_request_context():
        return url_for("tasks.index")


# Reading


@dataclass
class Section:
    """Part of "My tasks": its first rows and how many there are in all."""

    rows: list[Task]
    total: int


def sections(user, everyone: bool = False, now: datetime | None = None) -> dict[str, Section]:
    """"My tasks" (``user``'s, or ``everyone``'s): open ones overdue, due today (in the
    user's time zone) and later, and the latest closed ones; each with its first
    ``SECTION_LIMIT`` rows (``CLOSED_LIMIT`` closed ones) and its count."""
    now = now or utcnow()
    zone = local_zone(user)
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), tzinfo=zone)
    end_of_today = tomorrow.astimezone(timezone.utc)
    mine = [] if everyone else [Task.responsible_id == user.id]
    open_ = [*mine, Task.status == OPEN]
    conditions = {
        "overdue": ([*open_, Task.due_at < now], (Task.due_at, Task.id), SECTION_LIMIT),
        "today": ([*open_, Task.due_at >= now, Task.due_at < end_of_today], (Task.due_at, Task.id), SECTION_LIMIT),
        "upcoming": ([*open_, Task.due_at >= end_of_today], (Task.due_at, Task.id), SECTION_LIMIT),
        "closed": ([*mine, Task.status == CLOSED], (Task.closed_at.desc(), Task.id.desc()), CLOSED_LIMIT),
    }
    result = {}
    for key, (where, order, limit) in conditions.items():
        rows = list(db.session.execute(select(Task).where(*where).order_by(*order).limit(limit)).scalars())
        total = len(rows) if len(rows) < limit else db.session.scalar(select(func.count(Task.id)).where(*where))
        result[key] = Section(rows=rows, total=total)
    return result


def for_record(record_type: str, record_id: int) -> list[Task]:
    """A record's tasks: open ones by due time, then closed ones."""
    return list(db.session.execute(
        select(Task).where(Task.record_type == record_type, Task.record_id == record_id)
        .order_by(Task.status.desc(), Task.due_at, Task.id).limit(RECORD_LIMIT)).scalars())


def linked_records(tasks, user) -> dict[tuple[str, int], tuple[str, str]]:
    """``{(record_type, record_id): (title, url)}`` of the tasks' linked records that
    ``user`` may see (one query per entity type); the others are not named."""
    wanted: dict[str, set[int]] = {}
    for task in tasks:
        if task.record_type and task.record_id is not None:
            wanted.setdefault(task.record_type, set()).add(task.record_id)
    found = {}
    for record_type, ids in wanted.items():
        declared = records.entity_type(record_type)
        visible = visible_ids(user, record_type, ids)
        if declared is None or not visible:
            continue
        for record in db.session.execute(select(declared.model).where(declared.model.id.in_(visible))).scalars():
            found[(record_type, record.id)] = (records.title(declared, record),
                                               records.record_url(declared, record.id))
    return found


def user_names(tasks) -> dict[int, str]:
    from core.auth.models import User

    ids = {task.responsible_id for task in tasks if task.responsible_id}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def responsible_choices() -> list[tuple[str, str]]:
    """Active users who may see tasks: whom a task can be given to."""
    from core.access import has_permission
    from core.auth.models import User

    users = db.session.execute(select(User).where(User.active).order_by(User.name, User.id)).scalars()
    return [(str(u.id), u.name) for u in users if has_permission(u, "tasks.view")]
