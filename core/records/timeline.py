"""Record service: the timeline, which is also the audit trail of records.

Every event of a record (created, updated with old and new values, status changed,
deleted, converted, linked, manual history events, ...) is a ``TimelineEvent`` row.
``record_event`` writes one and tells the plugins through ``track_event``. For entity
types with ``timeline=True`` the core writes created/updated/status_changed/deleted
itself, from SQLAlchemy's flush (see ``_collect`` below), so no plugin can forget to; for
the other entity types it only tells the plugins (``_tell``), so that, say, the tasks of a
deleted record of any type lose their link.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from decimal import Decimal

from flask import (Blueprint, Response, abort, current_app, flash, has_app_context, has_request_context,
                   redirect, render_template, request, url_for)
from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from core import listing
from core.access import require
from core.db import db, utcnow
from core.i18n import parse_local_datetime
from core.records import load, record_route
from core.records.models import HistoryCategory, TimelineEvent

# No url_prefix: the record routes live under /records, the admin pages under /admin.
bp = Blueprint("records_timeline", __name__)

# The actions the core writes, with their labels for the timeline and its filter.
ACTIONS = {
    "created": _l("Created"),
    "updated": _l("Updated"),
    "status_changed": _l("Status changed"),
    "deleted": _l("Deleted"),
    "converted": _l("Converted"),
    "linked": _l("Linked"),
    "note_added": _l("Note added"),
    "file_added": _l("File added"),
    "merged": _l("Merged"),
    "manual": _l("History event"),
}

# Columns every record has whose changes say nothing (they change on every update).
IGNORED_COLUMNS = frozenset({"created_at", "updated_at"})


def json_safe(value):
    """A value as JSON can store it: Decimal and dates as strings, containers recursively."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    return str(value)


def _acting_user_id(user=None):
    if user is not None:
        return getattr(user, "id", user)
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id
    return None


def record_event(entity_type: str, record_id: int, action: str, user=None, summary: str = "",
                 changes: dict | None = None, category_id: int | None = None,
                 occurred_at: datetime | None = None) -> TimelineEvent:
    """Add an event to the timeline of a record (part of the caller's transaction) and tell
    the plugins through ``track_event``. ``changes`` maps a field to ``(old, new)``;
    ``user`` defaults to the signed-in user."""
    changes = _safe_changes(changes or {})
    now = utcnow()
    row = TimelineEvent(entity_type=entity_type, record_id=record_id, action=action,
                        user_id=_acting_user_id(user), summary=summary or "", changes=changes,
                        category_id=category_id, occurred_at=occurred_at or now, created_at=now)
    db.session.add(row)
    _tell(entity_type, record_id, action, row.user_id, changes)
    return row


def _safe_changes(changes: dict) -> dict:
    """``{field: (old, new)}`` as stored: ``{field: [old, new]}`` in JSON types."""
    return {name: [json_safe(old), json_safe(new)] for name, (old, new) in changes.items()}


def _tell(entity_type: str, record_id: int, action: str, user_id: int | None, changes: dict) -> None:
    """Tell the plugins of a record event (``track_event``) without writing it anywhere."""
    from core.declarations import RecordEvent
    from core.runtime import kontor

    kontor.hook("track_event", event=RecordEvent(
        entity_type=entity_type, record_id=record_id, action=action, user_id=user_id,
        changes={name: tuple(pair) for name, pair in changes.items()}))


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """The timeline of a deleted record stays: it is the audit trail (and it gets a
    "deleted" entry from the automatic tracking)."""


# Automatic tracking.
#
# after_flush sees what was flushed (new rows have their ids, history is still there) but
# must not change the session; so it only collects, and after_flush_postexec writes the
# events, which the same commit then flushes too.

PENDING = "kontor_timeline_pending"


def _tracked_types() -> dict:
    """``{model class: entity type name}`` of every entity type."""
    if not has_app_context() or "kontor" not in current_app.extensions:
        return {}
    kontor = current_app.extensions["kontor"]
    return {declared.model: name for name, (_module, declared) in kontor.entity_types().items()
            if declared.model is not None}


def _changes(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for column in state.mapper.column_attrs:
        if column.key in IGNORED_COLUMNS:
            continue
        history = state.attrs[column.key].history
        if not history.added and not history.deleted:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if column.key == "custom" and isinstance(old or {}, dict) and isinstance(new or {}, dict):
            # Custom field values: one change per field, named "custom.<key>".
            old, new = old or {}, new or {}
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    changes[f"custom.{key}"] = (old.get(key), new.get(key))
        elif old != new:
            changes[column.key] = (old, new)
    return changes


def _collect(session, flush_context) -> None:
    tracked = _tracked_types()
    if not tracked:
        return
    pending = session.info.setdefault(PENDING, [])
    for obj in session.new:
        if type(obj) in tracked:
            pending.append((tracked[type(obj)], obj.id, "created", {}))
    for obj in session.dirty:
        if type(obj) not in tracked or not session.is_modified(obj, include_collections=False):
            continue
        changes = _changes(obj)
        status = changes.pop("status", None)
        if status is not None:
            pending.append((tracked[type(obj)], obj.id, "status_changed", {"status": status}))
        if changes:
            pending.append((tracked[type(obj)], obj.id, "updated", changes))
    for obj in session.deleted:
        if type(obj) in tracked:
            # The identity key, since a deleted row's attributes may be expired already.
            pending.append((tracked[type(obj)], inspect(obj).identity[0], "deleted", {}))


def _write(session, flush_context) -> None:
    pending = session.info.pop(PENDING, [])
    if not pending:
        return
    from core.runtime import kontor

    types = kontor.entity_types()
    for entity_type, record_id, action, changes in pending:
        if types[entity_type][1].timeline:
            record_event(entity_type, record_id, action, changes=changes)
        else:
            _tell(entity_type, record_id, action, _acting_user_id(None), _safe_changes(changes))


def _discard(session, *args) -> None:
    session.info.pop(PENDING, None)


if not sa_event.contains(Session, "after_flush", _collect):
    sa_event.listen(Session, "after_flush", _collect)
    sa_event.listen(Session, "after_flush_postexec", _write)
    sa_event.listen(Session, "after_rollback", _discard)


# Reading the timeline.


def events(entity_type: str, record_id: int, category_id: int | None = None, action: str = "") -> list:
    """The record's events, newest first, optionally of one category or action."""
    query = (select(TimelineEvent).where(TimelineEvent.entity_type == entity_type,
                                         TimelineEvent.record_id == record_id)
             .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc()))
    if category_id:
        query = query.where(TimelineEvent.category_id == category_id)
    if action:
        query = query.where(TimelineEvent.action == action)
    return db.session.execute(query.limit(500)).scalars().all()


def categories() -> list[HistoryCategory]:
    return db.session.execute(select(HistoryCategory).order_by(HistoryCategory.position,
                                                               HistoryCategory.name)).scalars().all()


def _user_names(user_ids) -> dict:
    from core.auth.models import User

    ids = {i for i in user_ids if i}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


@bp.app_context_processor
def _template_helpers():
    return {"record_timeline": timeline_context}


def timeline_context(entity_type: str, record_id: int) -> dict:
    """What ``_timeline.html`` shows: the events filtered by the page's ``timeline_category``
    and ``timeline_action`` arguments, the categories, user names and action labels."""
    category_id = request.args.get("timeline_category", type=int)
    action = request.args.get("timeline_action", "")
    if action not in ACTIONS:
        action = ""
    rows = events(entity_type, record_id, category_id, action)
    all_categories = categories()
    return {"events": rows, "categories": all_categories, "category_names": {c.id: c.name for c in all_categories},
            "names": _user_names(e.user_id for e in rows), "actions": ACTIONS, "labels": field_labels(entity_type),
            "category_id": category_id, "action": action}


def field_labels(entity_type: str) -> dict[str, str]:
    """How the timeline names changed fields: the labels of the type's schema, and of its
    custom fields ("custom.<key>")."""
    from core.records import entity_type as declared_type
    from core.records import fields

    declared = declared_type(entity_type)
    labels = {}
    if declared is not None and declared.schema is not None:
        labels = {name: str(field.metadata.get("label", name)) for name, field in declared.schema().fields.items()}
    if declared is not None and declared.custom_fields:
        labels.update({f"custom.{d.key}": d.label for d in fields.definitions(entity_type)})
    return labels


# Manual history events (a call, a meeting, ...).


@bp.post("/records/<entity_type>/<int:record_id>/timeline")
@record_route("view")
def add_event(entity_type: str, record_id: int):
    declared, record = load(entity_type, record_id)
    if not declared.timeline:
        abort(404)
    text = request.form.get("summary", "").strip()
    category_id = request.form.get("category_id", type=int)
    category = db.session.get(HistoryCategory, category_id) if category_id else None
    when = request.form.get("occurred_at", "").strip()
    occurred_at = parse_local_datetime(when) if when else None  # empty: now
    if not text or category is None or (when and occurred_at is None):
        flash(_("Enter a text, a category and a valid date for the history event."), "danger")
    else:
        record_event(entity_type, record.id, "manual", summary=text[:5000], category_id=category.id,
                     occurred_at=occurred_at)
        db.session.commit()
        flash(_("History event added."), "success")
    return redirect(_back(declared, record.id))


def _back(declared, record_id: int) -> str:
    from core.records import record_url

    return (record_url(declared, record_id) or url_for("workspace.home")) + "#record-panel"


# History categories (global; the owner manages them).


@bp.route("/admin/history-categories", methods=["GET", "POST"])
@require("core.admin")
def history_categories():
    if request.method == "POST":
        _change_categories()
        db.session.commit()
        return redirect(url_for("records_timeline.history_categories"))
    return render_template("core/records/history_categories.html", categories=categories())


def _change_categories() -> None:
    """One form per operation: ``op`` is add, rename, up, down or delete."""
    op = request.form.get("op", "")
    name = request.form.get("name", "").strip()[:100]
    category = db.session.get(HistoryCategory, request.form.get("id", type=int) or 0)
    if op == "add":
        if not name or db.session.scalar(select(HistoryCategory.id).where(HistoryCategory.name == name)):
            flash(_("Enter a name that is not taken yet."), "danger")
            return
        position = (db.session.scalar(select(func.max(HistoryCategory.position))) or 0) + 1
        db.session.add(HistoryCategory(name=name, position=position))
        flash(_("Category added."), "success")
    elif category is None:
        abort(404)
    elif op == "rename":
        taken = db.session.scalar(select(HistoryCategory.id).where(HistoryCategory.name == name,
                                                                   HistoryCategory.id != category.id))
        if not name or taken:
            flash(_("Enter a name that is not taken yet."), "danger")
            return
        category.name = name
        flash(_("Category renamed."), "success")
    elif op in ("up", "down"):
        listing.move(categories(), category, op)
    elif op == "delete":
        # Events of the category stay; their category_id becomes NULL (ondelete SET NULL),
        # which SQLite only does with foreign keys on, so clear it here too.
        db.session.execute(TimelineEvent.__table__.update().where(TimelineEvent.category_id == category.id)
                           .values(category_id=None))
        db.session.delete(category)
        flash(_("Category deleted."), "success")
    else:
        abort(400)


# The audit export.


@bp.get("/admin/audit/records.csv")
@require("core.audit")
def audit_csv():
    """Every timeline event as CSV: who, when, entity type, record, action, changes."""
    import json

    rows = db.session.execute(select(TimelineEvent).order_by(TimelineEvent.occurred_at, TimelineEvent.id)).scalars()
    names = {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["occurred_at", "user_id", "user", "entity_type", "record_id", "action", "summary", "changes"])
    for row in rows:
        if row.user_id and row.user_id not in names:
            names.update(_user_names([row.user_id]))
        writer.writerow([row.occurred_at.isoformat(), row.user_id or "", names.get(row.user_id, ""),
                         row.entity_type, row.record_id, row.action, _csv_text(row.summary),
                         json.dumps(row.changes or {}, ensure_ascii=False, sort_keys=True)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=record-audit.csv"})


def _csv_text(value: str) -> str:
    # A cell starting with = + - @ is a formula in spreadsheets; a leading quote defuses it.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
