"""Record service: notes. Private notes on a record (author, time, text) for staff; the
portal never shows them. Anyone who may see the record may add a note; a note is deleted
by its author or by someone with the type's edit permission."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select

from core import records
from core.records import timeline
from core.access import has_permission
from core.db import db
from core.records.models import Note

bp = Blueprint("records_notes", __name__, url_prefix="/records")

MAX_LENGTH = 10_000


def notes_of(entity_type: str, record_id: int) -> list[tuple[Note, str]]:
    """The record's notes, newest first, each with its author's name ("" once the author
    is gone)."""
    from core.auth.models import User

    query = (select(Note, User.name).outerjoin(User, User.id == Note.author_id)
             .where(Note.entity_type == entity_type, Note.record_id == record_id)
             .order_by(Note.created_at.desc(), Note.id.desc()))
    return [(note, name or "") for note, name in db.session.execute(query)]


@bp.app_context_processor
def _template_helpers():
    return {"record_notes": notes_of, "may_delete_note": may_delete}


def may_delete(note: Note, declared, record) -> bool:
    return note.author_id == current_user.id or has_permission(current_user, declared.edit_permission, record)


def back_to(declared, record_id: int):
    return redirect((records.record_url(declared, record_id) or "/") + "#record-panel")


@bp.post("/<entity_type>/<int:record_id>/notes")
@records.record_route("view")
def add(entity_type: str, record_id: int):
    declared, record = records.load(entity_type, record_id)
    if not declared.notes:
        abort(404)
    text = request.form.get("text", "").strip()
    if not text:
        flash(_("Write a note first."), "danger")
    elif len(text) > MAX_LENGTH:
        flash(_("A note may have at most %(count)s characters.", count=MAX_LENGTH), "danger")
    else:
        db.session.add(Note(entity_type=entity_type, record_id=record.id, author_id=current_user.id, text=text))
        timeline.record_event(entity_type, record.id, "note_added", user=current_user, summary=text[:200])
        db.session.commit()
        flash(_("Note added."), "success")
    return back_to(declared, record.id)


@bp.post("/<entity_type>/<int:record_id>/notes/<int:note_id>/delete")
@records.record_route("view")
def remove(entity_type: str, record_id: int, note_id: int):
    declared, record = records.load(entity_type, record_id)
    note = db.session.get(Note, note_id)
    # A note of another record is as unknown here as a missing one.
    if note is None or note.entity_type != entity_type or note.record_id != record.id:
        abort(404)
    if not may_delete(note, declared, record):
        abort(403)
    db.session.delete(note)
    db.session.commit()
    flash(_("Note deleted."), "success")
    return back_to(declared, record.id)


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Remove this service's rows of a deleted record (part of the caller's transaction)."""
    db.session.execute(delete(Note).where(Note.entity_type == entity_type, Note.record_id == record_id))
