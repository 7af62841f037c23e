"""Exports: a record type's rows as CSV, and "Export all data".

``csv_chunks`` is the one piece of code that turns records into CSV: chosen columns (by
default every column of the type's table), then its custom fields (one column per field,
by key) and its tags. Rows are read in chunks (``yield_per``), so a million rows never sit
in memory; every exporting view and job writes its CSV through it.

"Export all data" (``core.export_all``, owners) builds a zip with one CSV per entity type
of every enabled module in a background job; a plugin's types appear in it without any code
of the plugin's. The zip lives in the instance folder until the next export or for
``KEEP_HOURS``.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import LargeBinary, inspect, select

from core import audit, jobs
from core.access import require
from core.db import db
from core.models import JobRun
from core.records import fields as custom_fields
from core.records import tags
from core.runtime import kontor

bp = Blueprint("records_exports", __name__, url_prefix="/admin/export")

JOB = "core.export_all"
CLEANUP_JOB = "core.remove_old_exports"
PERMISSION = "core.export_all"
CHUNK_SIZE = 1000
KEEP_HOURS = 24
# Semicolons: German Excel, the spreadsheet most users open these files with, splits
# columns at semicolons (the import reads both).
DELIMITER = ";"
# The byte order mark tells Excel the file is UTF-8, so umlauts come out right.
BOM = "\ufeff"


# A record type's rows as CSV

@dataclass(frozen=True)
class Column:
    """One CSV column: its header and how to get its value from a record."""

    header: str
    value: Callable[[Any], Any]


def cell(value) -> str:
    """A value as a CSV cell: numbers and dates as they are (ISO, dot as decimal separator),
    lists and dicts as JSON, text defused against spreadsheet formulas."""
    if type(value) is str:  # most cells: the quick way first
        return custom_fields.spreadsheet_safe(value)
    if value is None or isinstance(value, bytes):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)  # a negative number stays a number
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return custom_fields.spreadsheet_safe(json.dumps(value, ensure_ascii=False, default=str))
    return custom_fields.spreadsheet_safe(str(value))


def model_columns(declared) -> list[Column]:
    """Every column of the type's table, named as in the database; not the custom values
    (they get a column per field) nor binary data (photos)."""
    columns = []
    for attribute in inspect(declared.model).column_attrs:
        column = attribute.columns[0]
        if isinstance(column.type, LargeBinary) or (declared.custom_fields and column.name == "custom"):
            continue
        columns.append(Column(column.name, attrgetter(attribute.key)))
    return columns


def header(declared, columns: list[Column], definitions: list, readable: bool = False) -> list[str]:
    """The header row: the columns', then the custom fields' keys and "tags" (or, for
    people rather than programs, the fields' labels and "Tags" in the user's language;
    the import takes either)."""
    if readable:
        extra = [definition.label for definition in definitions] + ([_("Tags")] if declared.tags else [])
    else:
        extra = [definition.key for definition in definitions] + (["tags"] if declared.tags else [])
    return [column.header for column in columns] + extra


def csv_chunks(declared, query, columns: list[Column] | None = None,
               before_chunk: Callable[[list], None] | None = None, chunk_size: int = CHUNK_SIZE,
               readable: bool = False) -> Iterator[str]:
    """The records of ``query`` (a ``select`` of the type's model, already limited to what
    the reader may see) as CSV text: the BOM and the header row first, then one piece per
    chunk of ``chunk_size`` rows. ``columns`` default to ``model_columns``; ``before_chunk``
    is called with each chunk's records first, to look up what its columns show (names of
    related rows) in one query per chunk. ``readable``: see ``header``."""
    columns = model_columns(declared) if columns is None else columns
    definitions = custom_fields.definitions(declared.name) if declared.custom_fields else []
    yield BOM + _lines([header(declared, columns, definitions, readable)])
    result = db.session.execute(query.execution_options(yield_per=chunk_size)).scalars()
    for records in result.partitions():
        if before_chunk is not None:
            before_chunk(records)
        tag_names = tags.names_by_record(declared.name, [r.id for r in records]) if declared.tags else {}
        rows = []
        for record in records:
            custom = getattr(record, "custom", None) or {}
            row = [cell(column.value(record)) for column in columns]
            row += [custom_fields.csv_cell(d, custom.get(d.key)) for d in definitions]
            if declared.tags:
                row.append(custom_fields.spreadsheet_safe(", ".join(tag_names.get(record.id, []))))
            rows.append(row)
        yield _lines(rows)


def _lines(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=DELIMITER).writerows(rows)
    return out.getvalue()


# Export all data

def folder() -> Path:
    path = Path(current_app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def exported_types() -> list:
    """The entity types of the enabled modules, by name."""
    return [declared for name, (module, declared) in sorted(kontor.entity_types().items())
            if kontor.is_enabled(module) and declared.model is not None]


def export_all() -> dict:
    """The job: write the zip, one ``<entity type>.csv`` per type; earlier exports are
    removed first. Its result names the file and the rows per type."""
    for old in folder().glob("kontor-export-*"):
        old.unlink(missing_ok=True)
    types = exported_types()
    name = f"kontor-export-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(4)}.zip"
    target = folder() / name
    partial = target.with_suffix(".part")
    counts = {}
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, declared in enumerate(types):
            jobs.progress(number, len(types), str(declared.label_plural))
            model = declared.model
            query = select(model).order_by(*inspect(model).primary_key)
            chunk_sizes: list[int] = []
            with archive.open(f"{declared.name}.csv", "w", force_zip64=True) as entry:
                for text in csv_chunks(declared, query,
                                       before_chunk=lambda records, sizes=chunk_sizes: sizes.append(len(records))):
                    entry.write(text.encode("utf-8"))
            counts[declared.name] = sum(chunk_sizes)
    os.replace(partial, target)  # never a half-written zip under the final name
    jobs.progress(len(types), len(types), "")
    return {"file": name, "rows": counts}


def remove_old_exports() -> None:
    """The periodic job: remove export files older than ``KEEP_HOURS``."""
    oldest = time.time() - KEEP_HOURS * 3600
    for path in folder().glob("kontor-export-*"):
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)


def _file_of(run: JobRun | None) -> Path | None:
    """The zip a finished run wrote, if it is still there."""
    if run is None or run.name != JOB or run.state != "done" or not isinstance(run.result, dict):
        return None
    name = os.path.basename(str(run.result.get("file", "")))
    path = folder() / name
    return path if name.startswith("kontor-export-") and path.is_file() else None


def _latest_run() -> JobRun | None:
    return db.session.execute(select(JobRun).where(JobRun.name == JOB)
                              .order_by(JobRun.created_at.desc(), JobRun.id.desc()).limit(1)).scalars().first()


@bp.get("/")
@require(PERMISSION)
def page():
    run = _latest_run()
    labels = {declared.name: declared.label_plural for declared in exported_types()}
    return render_template("core/records/export_all.html", run=run, file=_file_of(run), labels=labels,
                           keep_hours=KEEP_HOURS)


@bp.post("/")
@require(PERMISSION)
def start():
    run = jobs.enqueue(JOB, user=current_user)
    audit.record("data_exported", user=current_user, subject=_("Export of all data"), run_id=run.id)
    db.session.commit()
    flash(_("The export has started. This page shows when it is ready."), "info")
    return redirect(url_for("records_exports.page"))


@bp.get("/<int:run_id>/download")
@require(PERMISSION)
def download(run_id: int):
    run = db.session.get(JobRun, run_id)
    path = _file_of(run)
    if path is None:
        abort(404)
    audit.record("data_export_downloaded", user=current_user, subject=path.name, run_id=run.id)
    db.session.commit()
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=path.name)
