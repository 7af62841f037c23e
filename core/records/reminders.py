"""Record service: reminders. A reminder on a record, for a user, at a time, with a message;
the periodic job ``core.deliver_reminders`` turns due ones into notifications (and emails,
if asked), each exactly once however many workers run it."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, or_, select, update

from core.access import has_permission, record_allows
from core.db import db, utcnow
from core.i18n import parse_local_datetime
from core.records import load, record_route, record_url, title
from core.records.models import Reminder

bp = Blueprint("records_reminders", __name__, url_prefix="/records")

# How many due reminders one run looks at; the next run (a minute later) takes the rest.
BATCH = 500


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Remove this service's rows of a deleted record (part of the caller's transaction)."""
    db.session.execute(delete(Reminder).where(Reminder.entity_type == entity_type,
                                              Reminder.record_id == record_id))


def add(entity_type: str, record_id: int, user, due_at: datetime, message: str, email: bool = False,
        created_by=None) -> Reminder:
    """A reminder for ``user``; ``due_at`` is timezone-aware. The caller commits."""
    reminder = Reminder(entity_type=entity_type, record_id=record_id, user_id=user.id, due_at=due_at,
                        message=message, email=email, created_by_id=getattr(created_by, "id", None))
    db.session.add(reminder)
    return reminder


def deliver_due(now: datetime | None = None) -> int:
    """Deliver every due pending reminder once; returns how many this call delivered.

    Each reminder is claimed by a conditional UPDATE (pending -> delivered) in its own
    transaction, together with its notification. Of several workers racing for one
    reminder only the one whose UPDATE changed the row delivers it: PostgreSQL makes the
    others wait for the row lock and then re-check ``state``; SQLite lets one writer at a
    time. A worker that dies before committing leaves the reminder pending for the next run.
    """
    return deliver(due_ids(now))


def due_ids(now: datetime | None = None) -> list[int]:
    """The ids of pending reminders due at ``now``, oldest first (at most ``BATCH``)."""
    due = list(db.session.execute(select(Reminder.id).where(Reminder.state == "pending",
                                                            Reminder.due_at <= (now or utcnow()))
                                  .order_by(Reminder.due_at, Reminder.id).limit(BATCH)).scalars())
    # End the reading transaction, so each claim starts a fresh one (on SQLite a
    # transaction that read first cannot become a writer once another worker committed).
    db.session.commit()
    return due


def deliver(due: list[int]) -> int:
    """Claim and deliver each of the reminders ``due`` that is still pending; returns how
    many this call delivered (the rest another worker had)."""
    delivered = 0
    for reminder_id in due:
        claimed = db.session.execute(
            update(Reminder).where(Reminder.id == reminder_id, Reminder.state == "pending")
            .values(state="delivered", delivered_at=utcnow()).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue  # another worker has it
        _notify(db.session.get(Reminder, reminder_id))
        db.session.commit()
        delivered += 1
    return delivered


def _notify(reminder: Reminder) -> None:
    from core.auth.models import User
    from core.records import entity_type
    from core.records.notifications import in_language, notify

    user = db.session.get(User, reminder.user_id)
    declared = entity_type(reminder.entity_type)
    record = db.session.get(declared.model, reminder.record_id) if declared is not None else None
    with in_language(user):
        # Name the record only while the user may still see it.
        if record is not None and record_allows(user, record):
            text = _("Reminder for %(label)s \u201c%(title)s\u201d: %(message)s", label=str(declared.label),
                     title=title(declared, record), message=reminder.message)
            url = record_url(declared, record.id)
        else:
            text, url = _("Reminder: %(message)s", message=reminder.message), ""
        notify(user, "reminder", text, url=url, email=reminder.email, subject=_("Reminder: %(message)s",
                                                                              message=reminder.message[:100]))


# The record panel's part


def for_record(entity_type: str, record_id: int, user) -> list[Reminder]:
    """The record's reminders that ``user`` set or gets, the pending ones first."""
    return list(db.session.execute(select(Reminder).where(
        Reminder.entity_type == entity_type, Reminder.record_id == record_id,
        or_(Reminder.user_id == user.id, Reminder.created_by_id == user.id))
        .order_by(Reminder.state.desc(), Reminder.due_at)).scalars())


def recipients(declared, record) -> list:
    """Active staff users who may see ``record``: whom a reminder can be for."""
    from core.auth.models import User

    users = db.session.execute(select(User).where(User.active).order_by(User.name)).scalars()
    return [u for u in users if has_permission(u, declared.view_permission, record)]


@bp.app_context_processor
def _template_context():
    return {"record_reminders": lambda entity_type, record: for_record(entity_type, record.id, current_user),
            "reminder_recipients": recipients}


def _back(declared, record):
    return redirect((record_url(declared, record.id) or "/") + "#record-panel")


@bp.post("/<entity_type>/<int:record_id>/reminders")
@record_route("view")
def add_reminder(entity_type: str, record_id: int):
    from core.auth.models import User

    declared, record = load(entity_type, record_id)
    if not declared.reminders:
        abort(404)
    recipient = current_user
    wanted = request.form.get("user_id", type=int)
    if wanted and wanted != current_user.id:
        recipient = db.session.get(User, wanted)
        if recipient is None or not recipient.active or not has_permission(recipient, declared.view_permission,
                                                                            record):
            abort(400)
    due_at = parse_local_datetime(request.form.get("due_at", ""))
    message = request.form.get("message", "").strip()[:2000]
    if due_at is None or not message:
        flash(_("A reminder needs a date, a time and a message."), "danger")
        return _back(declared, record)
    add(entity_type, record.id, recipient, due_at, message, email=bool(request.form.get("email")),
        created_by=current_user)
    db.session.commit()
    flash(_("The reminder is set."), "success")
    return _back(declared, record)


@bp.post("/<entity_type>/<int:record_id>/reminders/delete")
@record_route("view")
def delete_reminder(entity_type: str, record_id: int):
    """Delete a reminder of the record that the user set or gets (its id in the form)."""
    declared, record = load(entity_type, record_id)
    deleted = db.session.execute(delete(Reminder).where(
        Reminder.id == request.form.get("reminder_id", type=int), Reminder.entity_type == entity_type,
        Reminder.record_id == record.id,
        or_(Reminder.user_id == current_user.id, Reminder.created_by_id == current_user.id))).rowcount
    if not deleted:
        abort(404)
    db.session.commit()
    flash(_("The reminder is deleted."), "success")
    return _back(declared, record)
