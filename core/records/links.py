"""Record service: links between records and "create from" conversions.

A ``RecordLink`` joins two records (e.g. a deal and the offer created from it); both sides
list it on their "Dependencies" tab. A conversion (``core.Conversion``, declared through
``register_conversions``) creates one or more target records from a source record, or
attaches the source to existing ones, with a link and timeline events on both sides, in
one transaction.
"""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields
from sqlalchemy import delete, or_, select

from core import records
from core.access import filter_query, has_permission
from core.db import db
from core.forms import form_fields, translate_errors
from core.records.models import RecordLink
from core.records.timeline import record_event
from core.runtime import kontor

# No url_prefix: the routes spell out /records/... themselves, like the timeline's.
bp = Blueprint("records_links", __name__)

# The form field of a target that names an existing record to attach instead.
EXISTING = "__existing"
# How many existing records the "attach" select offers.
EXISTING_LIMIT = 200


def link(source_type: str, source_id: int, target_type: str, target_id: int, conversion: str = "",
         user=None) -> RecordLink:
    """Link two records (part of the caller's transaction)."""
    row = RecordLink(source_type=source_type, source_id=source_id, target_type=target_type, target_id=target_id,
                     conversion=conversion, created_by_id=getattr(user, "id", user))
    db.session.add(row)
    return row


def links_of(entity_type: str, record_id: int, user=None) -> list[dict]:
    """The records linked to a record, both ways: ``{"link", "direction"`` (outgoing: this
    record is the source), ``"entity_type", "label", "record_id", "title", "url"}``. Types
    of switched-off modules are left out, and with ``user`` records they may not see."""
    rows = db.session.execute(select(RecordLink).where(or_(
        (RecordLink.source_type == entity_type) & (RecordLink.source_id == record_id),
        (RecordLink.target_type == entity_type) & (RecordLink.target_id == record_id)))
        .order_by(RecordLink.created_at, RecordLink.id)).scalars().all()
    result = []
    for row in rows:
        outgoing = row.source_type == entity_type and row.source_id == record_id
        other_type, other_id = (row.target_type, row.target_id) if outgoing else (row.source_type, row.source_id)
        declared = records.entity_type(other_type)
        if declared is None:
            continue
        other = db.session.get(declared.model, other_id)
        if other is None:
            continue
        if user is not None and (declared.view_permission is None
                                 or not has_permission(user, declared.view_permission, other)):
            continue
        result.append({"link": row, "direction": "outgoing" if outgoing else "incoming",
                       "entity_type": other_type, "label": declared.label, "record_id": other_id,
                       "title": records.title(declared, other), "url": records.record_url(declared, other_id)})
    return result


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Remove the links of a deleted record; the records on the other side stay."""
    db.session.execute(delete(RecordLink).where(or_(
        (RecordLink.source_type == entity_type) & (RecordLink.source_id == record_id),
        (RecordLink.target_type == entity_type) & (RecordLink.target_id == record_id))))


# Conversions.


def conversion_named(name: str):
    """The ``Conversion`` called ``name`` of an enabled module, or ``None``."""
    return next((c for c in kontor.registered("register_conversions") if c.name == name), None)


def may_run(user, conversion, record) -> bool:
    """Whether ``user`` may run ``conversion`` on ``record``: every involved module is on,
    every target has a schema, and the user has the source's view permission (on this
    record), every target's edit permission and the conversion's own permissions."""
    source = records.entity_type(conversion.source)
    targets = [records.entity_type(name) for name in conversion.targets]
    if source is None or source.view_permission is None or any(t is None for t in targets):
        return False
    if not has_permission(user, source.view_permission, record):
        return False
    for target in targets:
        if target.schema is None or target.edit_permission is None or not has_permission(user, target.edit_permission):
            return False
    return all(has_permission(user, name) for name in conversion.permissions)


def available(user, entity_type: str, record) -> list:
    """The conversions of ``entity_type`` that ``user`` may run on ``record``."""
    return [c for c in kontor.registered("register_conversions")
            if c.source == entity_type and may_run(user, c, record)]


def prefill(conversion, source, target: str) -> dict:
    """A target's form values from the source: by the field map, else same-named fields."""
    schema = records.entity_type(target).schema()
    mapping = conversion.field_map.get(target)
    if mapping is None:
        mapping = {name: name for name in schema.fields if name not in conversion.exclude and name != "id"}
    values = {}
    for target_field, source_field in mapping.items():
        value = getattr(source, source_field, None)
        if value is not None and target_field in schema.fields:
            values[target_field] = value
    return values


def _submitted(target: str, schema) -> dict:
    values = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = f"{target}.{name}"
        if isinstance(field, fields.Boolean):
            values[name] = request.form.get(key) == "on"
        elif request.form.get(key, "").strip() != "":
            # Empty fields are left out, so optional fields get their defaults.
            values[name] = request.form[key].strip()
    return values


def _existing_choices(declared, name: str) -> list[tuple[int, str]]:
    """Up to ``EXISTING_LIMIT`` records of a target the user may change, by title."""
    model = declared.model
    order = getattr(model, declared.title_attribute, model.id)
    query = filter_query(select(model), current_user, declared.edit_permission, name).order_by(order)
    return [(row.id, records.title(declared, row))
            for row in db.session.execute(query.limit(EXISTING_LIMIT)).scalars()]


def _existing(declared, name: str, record_id: int):
    """The existing record to attach, if the user may change it."""
    found = db.session.get(declared.model, record_id)
    if found is None or not has_permission(current_user, declared.edit_permission, found):
        return None
    return found


@bp.route("/records/<entity_type>/<int:record_id>/convert", methods=["GET", "POST"])
@records.record_route("view")
def convert(entity_type: str, record_id: int):
    """Without a ``conversion`` argument: the conversions this user may run on the record.
    With one: a form per target, pre-filled from the source; saving creates them all or
    nothing."""
    declared, source = records.load(entity_type, record_id)
    name = request.values.get("conversion", "")
    if not name:
        return render_template("core/records/convert.html", declared=declared, source=source,
                               source_title=records.title(declared, source), entity_type=entity_type, conversion=None,
                               conversions=available(current_user, entity_type, source))
    conversion = conversion_named(name)
    if conversion is None or conversion.source != entity_type:
        abort(404)
    if not may_run(current_user, conversion, source):
        abort(403)
    targets = {target: records.entity_type(target) for target in conversion.targets}
    values, errors, attach = {}, {}, {}
    if request.method == "POST":
        values, errors, loaded, attach = _validate(conversion, source, targets)
        if not errors:
            created = _run(conversion, entity_type, declared, source, targets, loaded, attach)
            flash(_("%(label)s: done.", label=conversion.label), "success")
            first = next(iter(created.items()))
            return redirect(records.record_url(targets[first[0]], first[1].id)
                            or records.record_url(declared, source.id) or url_for("workspace.home"))
    else:
        values = {target: prefill(conversion, source, target) for target in targets}
    forms = []
    for target, target_declared in targets.items():
        target_fields = [replace(f, name=f"{target}.{f.name}")
                         for f in form_fields(target_declared.schema(), values.get(target), errors.get(target))]
        existing = _existing_choices(target_declared, target) if conversion.attach_existing else []
        forms.append({"name": target, "declared": target_declared, "fields": target_fields, "existing": existing,
                      "attached": attach.get(target),
                      "errors": translate_errors(errors.get(target, {}).get(EXISTING, []))})
    problems = [(targets[target].label, _field_label(targets[target], field), message)
                for target, by_field in errors.items() for field, messages in by_field.items()
                for message in translate_errors(messages)]
    return render_template("core/records/convert.html", declared=declared, source=source, entity_type=entity_type,
                           source_title=records.title(declared, source), conversion=conversion, forms=forms,
                           problems=problems), (400 if errors else 200)


def _field_label(declared, field: str) -> str:
    if field == EXISTING:
        return _("Existing record")
    schema_field = declared.schema().fields.get(field)
    return str(schema_field.metadata.get("label", field)) if schema_field is not None else field


def _validate(conversion, source, targets: dict):
    """Check every target before anything is created: ``(values, errors, loaded, attach)``;
    ``errors`` is ``{target: {field: [message]}}``."""
    values, errors, loaded, attach = {}, {}, {}, {}
    for target, declared in targets.items():
        schema = declared.schema()
        values[target] = _submitted(target, schema)
        chosen = request.form.get(f"{target}.{EXISTING}", type=int) if conversion.attach_existing else None
        if chosen:
            found = _existing(declared, target, chosen)
            if found is None:
                errors[target] = {EXISTING: [_("Choose a record you may change.")]}
            else:
                attach[target] = found
            continue
        try:
            loaded[target] = schema.load(values[target])
        except ValidationError as exc:
            errors[target] = exc.messages
    if not errors and conversion.validate is not None:
        for target, by_field in (conversion.validate(source, loaded) or {}).items():
            errors.setdefault(target, {}).update(by_field)
    return values, errors, loaded, attach


def _run(conversion, entity_type: str, declared, source, targets: dict, loaded: dict, attach: dict) -> dict:
    """Create (or attach) every target, link it, write the timeline events on both sides,
    postprocess; one transaction, rolled back on any error."""
    results = {}
    try:
        for target, target_declared in targets.items():
            if target in attach:
                record = attach[target]
                action = "linked"
            else:
                record = target_declared.model(**loaded[target])
                if target_declared.record_access and getattr(record, "access_mode", None) is None:
                    record.access_mode = target_declared.default_access
                db.session.add(record)
                db.session.flush()  # its id, for the link and the events
                action = "converted"
            results[target] = record
            link(entity_type, source.id, target, record.id, conversion=conversion.name, user=current_user)
            target_title = records.title(target_declared, record)
            source_title = records.title(declared, source)
            record_event(entity_type, source.id, action, user=current_user,
                         summary=f"{conversion.label}: {target_declared.label} {target_title}")
            record_event(target, record.id, action, user=current_user,
                         summary=f"{conversion.label}: {declared.label} {source_title}")
        if conversion.postprocess is not None:
            conversion.postprocess(source, results)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return results


@bp.app_context_processor
def _template_helpers():
    return {"record_links": lambda entity_type, record_id: links_of(entity_type, record_id, current_user)}
