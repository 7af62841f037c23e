"""Record service: CSV import for any entity type with a schema.

The file's header row names the columns: a field of the type's schema (by name or label),
a custom field (by key or label) or "tags". Every row is checked first; if any is wrong,
nothing is imported and the page lists what to correct ("Row 3, Price: ..."). Otherwise
all records are created in one transaction.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from core import access, records
from core.db import db
from core.forms import translate_errors
from core.records import fields as custom_fields
from core.records import tags

bp = Blueprint("records_imports", __name__, url_prefix="/records")

MAX_MB = 20
MAX_BYTES = MAX_MB * 1024 * 1024
MAX_ERRORS = 50
FORMULA_STARTS = ("=", "+", "-", "@")


class ImportProblem(Exception):
    """The file cannot be imported; the message says why."""


def _import_type(entity_type: str):
    declared = records.load_type(entity_type, "edit")
    if declared.schema is None:
        abort(404)
    return declared


def columns(declared) -> dict[str, tuple[str, str, str]]:
    """The column names the type takes, lower case: ``{name: (kind, key, label)}`` with
    kind "schema", "custom" or "tags". Names and keys win over labels."""
    schema_fields = [(name, field) for name, field in declared.schema().fields.items() if not field.dump_only]
    definitions = custom_fields.definitions(declared.name) if declared.custom_fields else []
    by_name, by_label = {}, {}
    for name, field in schema_fields:
        label = str(field.metadata.get("label", name))
        by_name.setdefault(name.lower(), ("schema", name, label))
        by_label.setdefault(label.lower(), ("schema", name, label))
    for definition in definitions:
        by_name.setdefault(definition.key.lower(), ("custom", definition.key, definition.label))
        by_label.setdefault(definition.label.lower(), ("custom", definition.key, definition.label))
    if declared.tags:
        by_name.setdefault("tags", ("tags", "tags", _("Tags")))
        by_label.setdefault(_("Tags").lower(), ("tags", "tags", _("Tags")))
    return {**by_label, **by_name}


def read_rows(upload) -> list[list[str]]:
    """The rows of an uploaded CSV file (UTF-8, with or without BOM; ";" or "," between
    cells), header first. Raises ``ImportProblem``."""
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportProblem(_("The file is larger than the limit of %(limit)s MB.", limit=MAX_MB))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblem(_("The file is not UTF-8 text. Save it as CSV (UTF-8) and try again.")) from None
    if not text.strip():
        raise ImportProblem(_("The file is empty."))
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportProblem(_("The file is not valid CSV: %(reason)s", reason=str(exc))) from None


def _cell(text: str) -> str:
    """A cell as typed: without the apostrophe our export puts before = + - @."""
    text = text.strip()
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def check_rows(declared, rows: list[list[str]]):
    """``(loaded, errors)``: per row ``(data, custom values, tag names)``, and the messages
    of the wrong rows ("Row 3, Price: ..."). Raises ``ImportProblem`` for a wrong header."""
    known = columns(declared)
    header = [name.strip() for name in rows[0]]
    unknown = [name for name in header if name and name.lower() not in known]
    if unknown:
        raise ImportProblem(_("Unknown columns: %(names)s. Nothing was imported.", names=", ".join(unknown)))
    targets = [known[name.lower()] if name else None for name in header]
    seen = [target for target in targets if target is not None]
    twice = sorted({target[2] for target in seen if seen.count(target) > 1})
    if twice:
        raise ImportProblem(_("These fields have more than one column: %(names)s. Nothing was imported.",
                              names=", ".join(twice)))
    labels = {(kind, key): label for kind, key, label in known.values()}
    present = {key for kind, key, _label in seen if kind == "custom"}
    defaults = {key: value for key, value in custom_fields.defaults(declared.name).items() if key not in present} \
        if declared.custom_fields else {}
    loaded, errors = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            errors.append(_("Row %(row)d: it has more cells than the header row.", row=number))
            continue
        data, custom, tag_text = {}, dict(defaults), ""
        for target, cell in zip(targets, row):
            value = _cell(cell)
            if target is None or value == "":
                continue
            kind, key, _label = target
            if kind == "schema":
                data[key] = value
            elif kind == "custom":
                custom[key] = value
            else:
                tag_text = value
        problems = {}
        try:
            data = declared.schema().load(data)
        except ValidationError as exc:
            problems.update({("schema", key): messages for key, messages in exc.messages.items()})
        if declared.custom_fields:
            try:
                custom = custom_fields.load_values(declared.name, custom)
            except ValidationError as exc:
                problems.update({("custom", key): messages for key, messages in exc.messages.items()})
        else:
            custom = {}
        try:
            names = tags.parse_names(tag_text) if declared.tags else []
        except ValidationError as exc:
            problems[("tags", "tags")] = exc.messages
        for where, messages in problems.items():
            label = labels.get(where)
            for message in translate_errors(messages):
                if label:
                    errors.append(_("Row %(row)d, %(field)s: %(message)s", row=number, field=label, message=message))
                else:  # a rule of the whole row
                    errors.append(_("Row %(row)d: %(message)s", row=number, message=message))
        if not problems:
            loaded.append((data, custom, names))
    if not loaded and not errors:
        raise ImportProblem(_("The file holds no records below its header row."))
    return loaded, errors


def create_records(declared, loaded) -> None:
    """Add the checked rows as new records (the caller commits)."""
    model = declared.model
    for data, custom, names in loaded:
        record = model(**data)
        if declared.custom_fields:
            custom_fields.store(record, custom)
        if hasattr(model, "access_mode"):
            record.access_mode = declared.default_access
        db.session.add(record)
        db.session.flush()  # the new record's id, for its tags and members
        if declared.tags:
            tags.set_tags(declared.name, record.id, names)
        if hasattr(model, "access_mode") and declared.default_access in (access.PRIVATE, access.RESTRICTED):
            access.set_members(declared.name, record, [current_user.id], actor=current_user)


@bp.route("/<entity_type>/import", methods=["GET", "POST"])
@records.record_route("edit")
def import_csv(entity_type: str):
    declared = _import_type(entity_type)
    after = access.local_path(request.values.get("next")) or "/"
    errors, more = [], 0
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ImportProblem(_("Choose a CSV file."))
            rows = read_rows(upload)
            loaded, errors = check_rows(declared, rows)
            if not errors:
                create_records(declared, loaded)
                db.session.commit()
                flash(ngettext("%(num)d record imported.", "%(num)d records imported.", len(loaded)), "success")
                return redirect(after)
        except ImportProblem as exc:
            errors = [str(exc)]
        except SQLAlchemyError:
            db.session.rollback()
            errors = [_("The database refused a record. Nothing was imported.")]
        more = max(0, len(errors) - MAX_ERRORS)
        errors = errors[:MAX_ERRORS]
    accepted = sorted(dict.fromkeys(columns(declared).values()),
                      key=lambda item: ("schema", "custom", "tags").index(item[0]))
    page = render_template("core/records/import.html", declared=declared, entity_type=entity_type, errors=errors,
                           more=more, after=after, accepted=accepted, limit=MAX_MB)
    return page, (400 if errors else 200)


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """An import keeps nothing of a record beyond the record itself."""
