"""Record services any entity type opts into by its ``EntityType`` declaration: custom
fields, tags, notes, files, the timeline (history and audit trail), links and "create from"
conversions, reminders and notifications, and the global search.

Each service is a module of this package; the record page shows them through the
``records.panel`` macro (``core/templates/core/records/macros.html``).
"""
from __future__ import annotations

from flask import current_app, has_request_context, url_for

from core.access import get_record_or_404
from core.records import models  # noqa: F401 (the tables, for migrations)
from core.runtime import kontor


def entity_type(name: str):
    """The ``EntityType`` called ``name`` of an enabled module, or ``None``."""
    module, declared = kontor.entity_types().get(name, (None, None))
    return declared if declared is not None and kontor.is_enabled(module) else None


def module_of_type(name: str) -> str | None:
    return kontor.entity_types().get(name, (None, None))[0]


def title(declared, record) -> str:
    """What names ``record``: its ``title_attribute``, else a ``title`` or ``name``, else its id."""
    return str(getattr(record, declared.title_attribute, None) or getattr(record, "title", None)
               or getattr(record, "name", None) or f"#{record.id}")


def record_url(declared, record_id: int) -> str:
    """The path of the record's page ("" without a ``detail_endpoint``), in a request or
    not (a job's notification links to it too)."""
    if not declared.detail_endpoint:
        return ""
    if has_request_context():
        return url_for(declared.detail_endpoint, record_id=record_id)
    with current_app.test_request_context():
        return url_for(declared.detail_endpoint, record_id=record_id)


def load(entity_type_name: str, record_id: int, change: bool = False):
    """``(EntityType, record)`` for a record service route: 404 for an unknown type, a
    switched-off module or a record the user may not see; 403 without the type's view
    permission (or edit permission, with ``change``)."""
    from flask import abort

    declared = entity_type(entity_type_name)
    if declared is None or declared.view_permission is None:
        abort(404)
    permission = declared.edit_permission if change else declared.view_permission
    return declared, get_record_or_404(entity_type_name, record_id, permission or declared.view_permission)


def load_type(entity_type_name: str, level: str = "view"):
    """The ``EntityType`` for a view of a whole type: 404 for an unknown type or a
    switched-off module, 403 without its view, edit or admin permission (``level``)."""
    from flask import abort
    from flask_login import current_user

    from core.access import has_permission

    declared = entity_type(entity_type_name)
    permission = getattr(declared, f"{level}_permission", None) if declared is not None else None
    if permission is None:
        abort(404)
    if not has_permission(current_user, permission):
        abort(403)
    return declared


SERVICES = ("fields", "tags", "notes", "files", "timeline", "links", "reminders", "search", "imports", "customers")


def blueprints() -> list:
    """Every record service's blueprint (registered by the core's own plugin)."""
    import importlib

    return [importlib.import_module(f"core.records.{name}").bp for name in SERVICES]


def delete_record(entity_type_name: str, record, keep_files: bool = False, user=None) -> None:
    """Delete ``record`` and what the record services hold of it: notes, tags, links (the
    linked records stay), reminders, its listed users; its files are deleted too unless ``keep_files``. Its
    timeline keeps a "deleted" entry. The caller commits."""
    import importlib

    from core.db import db

    from sqlalchemy import delete

    from core.models import RecordMember

    for name in SERVICES:
        importlib.import_module(f"core.records.{name}").forget(entity_type_name, record.id, keep_files=keep_files)
    # Its listed users go too: a later record with the same id must not inherit them.
    db.session.execute(delete(RecordMember).where(RecordMember.entity_type == entity_type_name,
                                                  RecordMember.record_id == record.id))
    db.session.delete(record)


def record_route(level: str = "view"):
    """Declare a record service view at ``/records/<entity_type>/<int:record_id>/...``: it
    needs the entity type's view permission (``"view"``) or edit permission (``"edit"``) on
    that record, which the view checks with ``load``. Also for views of a whole type at
    ``/records/<entity_type>/...`` (``"view"``, ``"edit"`` or ``"admin"``: the type's
    admin permission, checked with ``load_type``). The access matrix requests such routes
    for every entity type, and a record of every access mode."""
    from core.access import USE_WORKSPACE

    def decorate(view):
        view.kontor_permission = USE_WORKSPACE
        view.kontor_record_level = level
        return view

    return decorate
