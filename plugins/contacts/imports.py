"""Contacts: CSV import (Outlook, Google Contacts, any spreadsheet), as a background job.

How a user goes through it
    1. Upload a CSV file (at most ``MAX_MB``). The encoding is found by one rule: a UTF-16
       or UTF-8 byte order mark says it; else the file is read as strict UTF-8, and if that
       fails as Windows-1252 (what Excel and Outlook write on German Windows), and if that
       fails too as ISO-8859-1. A file with NUL bytes is binary and refused. The delimiter
       is the one of ``;``, ``,`` and tab that occurs most often in the header line.
    2. Map the columns. Suggestions come from German and English headers, Outlook's and
       Google Contacts' export headers included (``SUGGESTIONS``); custom fields by label
       or key; "tags". Choose what a row that matches an existing contact does (skip,
       update, create anyway) and whether this is a dry run.
    3. The import runs as the job ``contacts.import``; its page shows a progress bar, then
       the counts, a per-row error report as CSV (row number, column, reason, in the
       user's language) and the buttons to resume, revert, or run a dry run for real.

Rows
    A row with a company name and no person name is a company; a person with a company name
    belongs to that company: an existing company of that name (any case) is used, else the
    import creates it once and reuses it for later rows. Every good row is imported; every
    bad row is reported and skipped.

Google Contacts
    An email or phone column "... - Value" whose type column ("... - Type", or "... - Label"
    in newer exports) is in the file takes each row's kind from that type ("* Mobile",
    "Work Fax", "Privat"; the mapped kind where the type names none we know), and a cell
    with several values (" ::: ") gives several entries (``fastpath.Layout.items``). Labels
    and group memberships become tags, without Google's "myContacts".

Duplicates
    A row matches an existing contact the user may change by its first email address, or
    else by its name (plus, for a person, its company). "skip" leaves the contact alone,
    "update" fills the contact's fields with the row's non-empty cells (emails, phones,
    websites and tags are added, not replaced; the values before are kept in
    ``ImportChange``), "create" creates a new contact anyway. Each match is in the report
    as a warning. A row that repeats an earlier row of the same file is treated the same way
    against the contact that row made (with "update" it is skipped: the earlier row won).

Resume
    Rows are written in batches of ``BATCH`` rows; each batch is committed together with
    ``ContactImport.rows_done``. If the job fails, or its process was killed (the import is
    still "running" but no batch was committed for ``STALE_AFTER``), "Resume" starts it
    again after the last committed row, so no row is imported twice.

Revert
    Deletes the contacts the import created (through ``records.delete_record``, so their
    tags, notes, files and links go too), and restores the contacts it updated to their
    values before (fields, custom fields and tags, from ``ImportChange``). A contact the
    import created that was edited since, or a company that other contacts now belong to,
    is kept; the import page says how many were kept and why.

Record access
    Imported contacts get the contact type's default access, and the importing user is
    their manager (``core_record_member`` rows written in bulk, without the notification
    ``access.set_members`` sends: the user knows of their own import).

Speed (target: 50,000 rows/s on SQLite and PostgreSQL; ``benchmarks/import_contacts.py``)
    * One pass over the file; only the mapped columns of each row are kept.
    * Validation: ``fastpath.RowPath`` runs checks derived from ``ContactSchema`` column by
      column over a batch and builds each contact as a list of column values (no dict per
      row); only the rows it cannot decide go through ``ContactSchema.load`` (which then
      says what is wrong). Custom fields of text types and tags get the same kind of fast
      check; other custom field types go through ``core.records.fields.load_values``.
      ``tests/plugins/contacts/test_fastpath.py`` proves with hypothesis that the fast path
      accepts only what the schema accepts, with the same values.
    * Two CPUs: from ``PARALLEL_FROM_ROWS`` rows on, the checks of the next batches run in
      forked worker processes (``Plan.prepare``: no database, no translation) while the job
      writes the current one. The writing is the bottleneck (below), so this gains ~10 %.
    * Writing: ids taken up front (the sequence on PostgreSQL; after the largest id under
      the write lock on SQLite), then one COPY (PostgreSQL) or ``executemany`` (SQLite) per
      batch through the session's own DBAPI connection for contacts, managers and tag
      links; SQLAlchemy's per-row parameter handling cost more than the database's work.
      Duplicates and companies are found in dictionaries built once per run.
    * The search index stays complete at every commit. SQLite: its FTS5 insert trigger
      costs one index update per row (6,200 rows/s for the bare insert of 100,000 contacts
      on this 2-CPU machine); inside each batch's transaction the trigger is dropped, the
      rows inserted and indexed with one ``INSERT ... SELECT``, and the trigger recreated
      (17,500 rows/s; ``search_index_in_bulk``). A larger page cache per batch keeps the
      table's nine indexes in memory. PostgreSQL: the trigram GIN index halves COPY's speed
      (20,500 rows/s without it, 11,900 with it, for the bare insert) and is kept as it is.
    * Measured (``python benchmarks/import_contacts.py``, 100,000 rows, machine shared with
      other work): 6,000-9,700 rows/s on SQLite and 4,800-6,300 on PostgreSQL for the whole import,
      against a floor of 17,500 / 11,900 rows/s for inserting the same contacts alone into
      this table with its indexes. The 50,000 rows/s target is not reached: the contacts
      table's indexes (nine B-trees plus the search index) bound it below that.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import operator
import os
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from contextlib import contextmanager

from babel import Locale
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, fields
from sqlalchemy import JSON, TypeDecorator, delete, func, select, update

from core import Job, access, audit, db, has_permission, records, require
from core import jobs as job_queue
from core.forms import translate_errors
from core.records import fields as custom_fields
from core.records import tags as tag_service
from core.records.imports import MAX_BYTES, MAX_MB, ImportProblem, _cell
from core.records.models import Tag, TagLink
from plugins.contacts.fastpath import (COMPANY_NAME, FIRST_NAME, LAST_NAME, SEPARATOR, Layout, RowPath, as_row,
                                      json_texts, row_fields, string_test, tag_parser)
from plugins.contacts.models import COMPANY, PERSON, Contact, ContactImport, ImportChange, ImportRowError
from plugins.contacts.schemas import ContactSchema, EMAIL_KINDS, PHONE_KINDS

bp = Blueprint("contacts_import", __name__, url_prefix="/contacts/import", template_folder="templates")

BATCH = 10_000
STALE_AFTER = timedelta(minutes=10)
PREVIEW_ROWS = 5
IMPORT_JOB, REVERT_JOB = "contacts.import", "contacts.import_revert"
DUPLICATE_CHOICES = {"skip": _l("Skip the row"), "update": _l("Update the existing contact"),
                     "create": _l("Create a new contact anyway")}
STATUS_LABELS = {"uploaded": _l("Waiting for the column mapping"), "queued": _l("Waiting to start"),
                 "running": _l("Running"), "done": _l("Done"), "failed": _l("Interrupted"),
                 "reverting": _l("Being reverted"), "reverted": _l("Reverted")}

# Where a column can go, in the order of the mapping page's choices. List targets
# ("email:work") may take several columns; every other target one.
PLAIN_TARGETS = ("billing_street", "billing_postcode", "billing_city", "billing_country", "shipping_street",
                 "shipping_postcode", "shipping_city", "shipping_country", "description", "currency")
COUNTRY_TARGETS = ("billing_country", "shipping_country")
TAGS = "tags"


def _targets() -> list[tuple[str, str]]:
    """``[(target, label)]`` for the mapping page."""
    fields = ContactSchema().fields
    kind_labels = {"work": _("work"), "home": _("private"), "other": _("other"), "mobile": _("mobile"),
                   "fax": _("fax")}
    choices = [(FIRST_NAME, _("First name")), (LAST_NAME, _("Last name")), (COMPANY_NAME, _("Company"))]
    choices += [(f"email:{kind}", _("Email (%(kind)s)", kind=kind_labels[kind])) for kind in EMAIL_KINDS]
    choices += [(f"phone:{kind}", _("Phone (%(kind)s)", kind=kind_labels[kind])) for kind in PHONE_KINDS]
    choices.append(("website", _("Website")))
    choices += [(name, str(fields[name].metadata["label"])) for name in PLAIN_TARGETS]
    choices += [(f"cf_{d.key}", d.label) for d in custom_fields.definitions("contact")]
    choices.append((TAGS, _("Tags")))
    return choices


def _key(header: str) -> str:
    """A header as the suggestions know it: lower case, words split by single spaces."""
    return " ".join(re.sub(r"[_\-:./]+", " ", header.lower()).split())


# Header (as ``_key`` makes it) -> target. German and English words, Outlook's German and
# English export headers, Google Contacts' export headers (old and new).
SUGGESTIONS = {
    **dict.fromkeys(["vorname", "first name", "firstname", "given name", "forename"], FIRST_NAME),
    **dict.fromkeys(["nachname", "last name", "lastname", "family name", "surname", "familienname"],
                    LAST_NAME),
    **dict.fromkeys(["firma", "unternehmen", "firmenname", "company", "company name", "organization",
                     "organisation", "organization 1 name", "organization name"], COMPANY_NAME),
    **dict.fromkeys(["e mail", "email", "e mail adresse", "emailadresse", "email adresse", "e mail address",
                     "email address", "e mail 1 value", "mail", "e mail geschäftlich"], "email:work"),
    **dict.fromkeys(["e mail 2 adresse", "e mail 2 address", "e mail 2 value", "e mail privat"], "email:home"),
    **dict.fromkeys(["e mail 3 adresse", "e mail 3 address", "e mail 3 value"], "email:other"),
    **dict.fromkeys(["telefon", "tel", "telefonnummer", "phone", "phone number", "telephone",
                     "telefon geschäftlich", "business phone", "phone 1 value", "telefon firma"], "phone:work"),
    **dict.fromkeys(["mobil", "mobiltelefon", "handy", "mobile", "mobile phone", "cell", "cell phone",
                     "phone 2 value"], "phone:mobile"),
    **dict.fromkeys(["telefon privat", "home phone", "phone 3 value"], "phone:home"),
    **dict.fromkeys(["fax", "telefax", "fax geschäftlich", "business fax"], "phone:fax"),
    **dict.fromkeys(["webseite", "website", "homepage", "internet", "web page", "webpage", "url",
                     "website 1 value", "web site"], "website"),
    **dict.fromkeys(["straße", "strasse", "street", "address", "adresse", "anschrift", "straße geschäftlich",
                     "business street", "address 1 street", "street address"], "billing_street"),
    **dict.fromkeys(["plz", "postleitzahl", "postcode", "postal code", "zip", "zip code",
                     "postleitzahl geschäftlich", "business postal code", "address 1 postal code"],
                    "billing_postcode"),
    **dict.fromkeys(["ort", "stadt", "city", "town", "ort geschäftlich", "business city", "address 1 city"],
                    "billing_city"),
    **dict.fromkeys(["land", "country", "land region geschäftlich", "business country region",
                     "address 1 country", "country region"], "billing_country"),
    **dict.fromkeys(["straße privat", "home street", "lieferadresse", "shipping street"], "shipping_street"),
    **dict.fromkeys(["postleitzahl privat", "home postal code", "shipping postcode"], "shipping_postcode"),
    **dict.fromkeys(["ort privat", "home city", "shipping city"], "shipping_city"),
    **dict.fromkeys(["land region privat", "home country region", "shipping country"], "shipping_country"),
    **dict.fromkeys(["notizen", "notiz", "bemerkung", "bemerkungen", "beschreibung", "notes", "note",
                     "description", "comment", "kommentar"], "description"),
    **dict.fromkeys(["währung", "currency"], "currency"),
    **dict.fromkeys(["tags", "tag", "schlagwörter", "schlagworte", "kategorien", "categories", "labels",
                     "group membership"], TAGS),
}


def _type_column(header: list[str], index: int) -> int | None:
    """The column that holds the type of value column ``index`` ("Phone 1 - Type" or, in
    newer Google exports, "Phone 1 - Label" for "Phone 1 - Value"), if the file has one."""
    match = re.fullmatch(r"(.*\S)\s*-\s*value", header[index].strip(), re.IGNORECASE)
    if match is None:
        return None
    wanted = {_key(f"{match.group(1)} - type"), _key(f"{match.group(1)} - label")}
    return next((other for other, name in enumerate(header) if _key(name) in wanted), None)


def _google_labels(text: str) -> str:
    """Google Contacts' labels ("* myContacts ::: Kunde ::: * starred") as tags ("Kunde,
    starred"): split at " ::: ", the "*" of its own labels dropped, and "myContacts" (every
    contact has it) left out."""
    names = [name.strip().lstrip("*").strip() for name in text.split(SEPARATOR)]
    return ", ".join(name for name in names if name and name.lower() != "mycontacts")


# Google's further numbered pairs ("Phone 4 - Value"); their type column gives the kind.
NUMBERED = {"e mail": "email:other", "phone": "phone:other"}
NUMBERED_HEADER = re.compile(r"(e mail|phone) [0-9]+ value")


def suggest(headers: list[str], targets: dict[str, str], custom_keys: dict[str, str]) -> list[str]:
    """The suggested target of every column ("" for none); a single-column target is
    suggested for its first column only."""
    taken, result = set(), []
    for header in headers:
        key = _key(header)
        numbered = NUMBERED_HEADER.fullmatch(key)
        target = SUGGESTIONS.get(key) or custom_keys.get(key, "") or (NUMBERED[numbered.group(1)] if numbered else "")
        if target and target in taken and ":" not in target and target != "website":
            target = ""
        if target and target not in targets:
            target = ""
        taken.add(target)
        result.append(target)
    return result


# Reading the file

def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` by the rule in the module docstring. Raises ``ImportProblem``."""
    if not data.strip():
        raise ImportProblem(_("The file is empty."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportProblem(_("The file cannot be read as text. Save it as CSV (UTF-8) and try again.")) \
                from None
    if b"\x00" in data[:65536]:
        raise ImportProblem(_("The file is not a CSV file but binary data (for example an Excel workbook). "
                              "Save it as CSV and try again."))
    for encoding in ("utf-8-sig", "cp1252", "iso-8859-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportProblem(_("The file cannot be read as text. Save it as CSV (UTF-8) and try again."))


def find_delimiter(text: str) -> str:
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ","))
    return best


def _reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _file_text(record: ContactImport) -> str:
    return Path(record.path).read_bytes().decode(record.encoding)


def _uploads() -> Path:
    folder = Path(current_app.instance_path) / "contact-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_upload(upload) -> tuple[bytes, str, str, list[list[str]]]:
    """``(data, encoding, delimiter, rows)`` of an uploaded file. Raises ``ImportProblem``."""
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportProblem(_("The file is larger than the limit of %(limit)s MB.", limit=MAX_MB))
    text, encoding = decode(data)
    delimiter = find_delimiter(text)
    try:
        rows = [row for row in _reader(text, delimiter) if any(row)]  # as the job counts them
    except csv.Error as exc:
        raise ImportProblem(_("The file is not valid CSV: %(reason)s", reason=str(exc))) from None
    if not rows:
        raise ImportProblem(_("The file is empty."))
    if len(rows) < 2:
        raise ImportProblem(_("The file holds no records below its header row."))
    return data, encoding, delimiter, rows


# Countries: "Deutschland", "Germany", "de" -> "DE" (the schema wants the code).

def _country_codes() -> dict[str, str]:
    names = {}
    for language in ("en", "de"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names[name.lower()] = code
    return names


class _Countries:
    codes: dict[str, str] | None = None

    @classmethod
    def code(cls, value: str) -> str:
        if len(value) == 2:
            return value.upper()
        if cls.codes is None:
            cls.codes = _country_codes()
        return cls.codes.get(value.lower(), value)


# The plan of one import

class Plan:
    """What an import needs to turn a file's rows into contacts: which cells to keep, the
    layout of the schema's input, the checks, the labels for the report."""

    def __init__(self, header: list[str], mapping: dict[str, str], type_ids=None, temperature_ids=None):
        self.header = header
        used = sorted((int(index), target) for index, target in mapping.items()
                      if target and int(index) < len(header))
        self.columns = [index for index, _target in used]   # file column of each kept cell
        # The type column of an email or phone column (Google Contacts), kept after them.
        type_cells = {}  # kept cell of a value -> kept cell of its type
        for position, (index, target) in enumerate(used):
            type_index = _type_column(header, index) if target.startswith(("email:", "phone:")) else None
            if type_index is not None:
                if type_index not in self.columns:
                    self.columns.append(type_index)
                type_cells[position] = self.columns.index(type_index)
        self.width = len(header)
        self.keep = operator.itemgetter(*self.columns) if len(self.columns) > 1 else None
        layout = Layout(kind_cells=type_cells)
        self.custom: list[tuple[str, int]] = []
        self.tags_cell = None
        self.countries = []
        for position, (_index, target) in enumerate(used):
            if target == FIRST_NAME:
                layout.first = position
            elif target == LAST_NAME:
                layout.last = position
            elif target == COMPANY_NAME:
                layout.company = position
            elif target.startswith("email:"):
                layout.emails.append((target[6:], position))
            elif target.startswith("phone:"):
                layout.phones.append((target[6:], position))
            elif target == "website":
                layout.websites.append(("website", position))
            elif target.startswith("cf_"):
                self.custom.append((target[3:], position))
            elif target == TAGS:
                self.tags_cell = position
            else:
                layout.strings.append((target, position))
                if target in COUNTRY_TARGETS:
                    self.countries.append(position)
        self.layout = layout
        self.schema = ContactSchema(type_ids=type_ids, temperature_ids=temperature_ids)
        self.row_path = RowPath(self.schema, layout)
        self.company_path = RowPath(self.schema, Layout(company=0))  # a person's company, by name
        self.tail: list = []  # the last values of every row (import, access, times), set by the run
        self.parse_tags = tag_parser()
        self.definitions = {d.key: d for d in custom_fields.definitions("contact")}
        self.custom = [(key, position) for key, position in self.custom if key in self.definitions]
        self.custom_fields = custom_fields.schema_fields("contact")
        self.custom_tests = {}
        for key, field in self.custom_fields.items():
            if type(field) is fields.String:
                self.custom_tests[key] = string_test(field.validators)
        mapped = {key for key, _position in self.custom}
        self.custom_defaults = {key: d.default for key, d in self.definitions.items()
                                if key not in mapped and d.default not in (None, "", [])}
        self.required_unmapped = [key for key, d in self.definitions.items() if d.required and key not in mapped
                                  and key not in self.custom_defaults]
        labels = dict(enumerate(header[index] for index in self.columns))
        self.cell_labels = labels   # kept cell -> the file's header of that column
        schema_fields = self.schema.fields
        self.field_labels = {name: str(field.metadata.get("label", name)) for name, field in schema_fields.items()}

    def kept(self, row: list[str]):
        """The cells of the mapped columns of a file row."""
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        if self.keep is not None:
            return self.keep(row)
        return [row[index] for index in self.columns]

    def cells(self, row: list[str]) -> list[str]:
        """The kept cells of a file row, cleaned as the generic import cleans them."""
        return self.clean(self.kept(row))

    def clean(self, kept) -> list[str]:
        cells = [cell.strip() for cell in kept]
        for position, cell in enumerate(cells):
            if cell[:1] == "'":
                cells[position] = _cell(cell)
        for position in self.countries:
            if cells[position]:
                cells[position] = _Countries.code(cells[position])
        tags = self.tags_cell
        if tags is not None and ("*" in cells[tags] or SEPARATOR in cells[tags]):
            cells[tags] = _google_labels(cells[tags])
        return cells

    def full_row(self, values: list) -> list:
        """A row for the INSERT (``COLUMNS``): no id yet, no custom values, the import's tail."""
        return [None, *values, "{}", *self.tail]

    def prepare(self, batch: list[tuple[int, list | None]]) -> list[tuple]:
        """Everything about a batch that needs no database and no translation, so that it
        can run in a worker process: per row ``(number, cells, row, custom_done, names,
        company_name)``. ``row`` is ``None`` where the schema must decide (``cells`` then
        come along), ``custom_done`` false and ``names`` ``None`` likewise; a row with too
        many cells has neither cells nor row."""
        numbers = [number for number, kept in batch]
        cells_list = [self.clean(kept) if kept is not None else None for number, kept in batch]
        good = [cells for cells in cells_list if cells is not None]
        loaded = iter(self.row_path.rows(good))
        layout, tags_cell = self.layout, self.tags_cell
        result = []
        for number, cells in zip(numbers, cells_list):
            if cells is None:
                result.append((number, None, None, True, [], ""))
                continue
            values = next(loaded)
            row = self.full_row(values) if values is not None else None
            custom = self.custom_fast(cells) if self.custom or self.custom_defaults or self.required_unmapped else {}
            if custom and row is not None:
                row[CUSTOM] = json_texts(custom)
            names = []
            if tags_cell is not None and cells[tags_cell]:
                names = self.parse_tags(cells[tags_cell])
            decided = row is not None and custom is not None and names is not None
            company_name = layout.company_name(cells)
            result.append((number, None if decided else cells, row, custom is not None, names, company_name))
        return result

    # Custom fields and tags

    def custom_fast(self, cells) -> dict | None:
        """The custom values to store, or ``None``: load them through the field types."""
        values = {}
        for key, position in self.custom:
            value = cells[position]
            if not value:
                if self.definitions[key].required:
                    return None
                continue
            test = self.custom_tests.get(key)
            if test is None or not test(value):
                return None
            values[key] = value
        if self.custom_defaults:
            for key, value in self.custom_defaults.items():
                test = self.custom_tests.get(key)
                if test is None or not isinstance(value, str) or not test(value):
                    return None
                values[key] = value
        if self.required_unmapped:
            return None
        return values

    def custom_slow(self, cells) -> dict:
        """The custom values through ``load_values``; raises ``ValidationError`` by key."""
        source = dict(self.custom_defaults)
        source.update({key: cells[position] for key, position in self.custom})
        loaded = custom_fields.load_values("contact", source)
        return {key: value for key, value in loaded.items() if value not in (None, [])}

    def custom_label(self, key: str) -> str:
        for mapped_key, position in self.custom:
            if mapped_key == key:
                return self.cell_labels[position]
        definition = self.definitions.get(key)
        return definition.label if definition else key

    def schema_error_column(self, cells, field: str, position: int | None = None) -> str:
        """The file's header of the column an error of ``field`` is about (else the field's label)."""
        layout = self.layout
        if field in ("emails", "phones", "websites") and position is not None:
            index = layout.list_column(field, cells, position)
            if index is not None:
                return self.cell_labels[index]
        for name, index in (("first_name", layout.first), ("last_name", layout.last), ("name", layout.company)):
            if field == name and index is not None:
                return self.cell_labels[index]
        for name, index in layout.strings:
            if field == name:
                return self.cell_labels[index]
        if field == "name":
            return _("Company")
        return self.field_labels.get(field, "") if field != "_schema" else ""

    def schema_errors(self, cells, messages: dict) -> list[tuple[str, str]]:
        """``[(column, message)]`` of a schema ``ValidationError``'s messages."""
        result = []
        for field, value in messages.items():
            if isinstance(value, dict):  # a list field: {position: {"value": [...]}}
                for position, item in value.items():
                    column = self.schema_error_column(cells, field, int(position)) if str(position).isdigit() \
                        else self.schema_error_column(cells, field)
                    for message in translate_errors(item):
                        result.append((column, message))
            else:
                for message in translate_errors(value):
                    result.append((self.schema_error_column(cells, field), message))
        return result


# Duplicates and companies

def _name_key(kind: str, name: str, company_id) -> tuple:
    return (kind, name.lower(), company_id if kind == PERSON else None)


class Index:
    """The contacts a row may match, by email and by name (+ company), and the companies by
    name: dictionaries built once per import run from the contacts the user may change."""

    def __init__(self, user, dry_run: bool):
        self.by_email: dict[str, int] = {}
        self.by_name: dict[tuple, int] = {}
        self.companies: dict[str, int] = {}
        query = select(Contact.id, Contact.kind, Contact.name, Contact.email, Contact.company_id)
        query = access.filter_query(query, user, "contacts.edit", "contact").order_by(Contact.id)
        for contact_id, kind, name, email, company_id in db.session.execute(query):
            self.add(contact_id, kind, name, email, company_id)
        self.fake_id = 0  # dry run: ids for the contacts it would create
        self.dry_run = dry_run
        self.rows: dict[int, int] = {}  # contact id made by this run -> its row number

    def add(self, contact_id, kind, name, email, company_id) -> None:
        if email:
            self.by_email.setdefault(email, contact_id)
        self.by_name.setdefault(_name_key(kind, name, company_id), (contact_id, bool(email)))
        if kind == COMPANY:
            self.companies.setdefault(name.lower(), contact_id)

    def match(self, kind: str, name: str, email: str, company_id):
        """The contact a row matches: the same email; else the same name (and company)
        where the row or that contact has no email (two emails that differ are two people)."""
        if email and email in self.by_email:
            return self.by_email[email]
        found = self.by_name.get(_name_key(kind, name, company_id))
        if found is None or (email and found[1]):
            return None
        return found[0]


# The job

def _stamp():
    return datetime.now(timezone.utc)


# A contact row: the values of the INSERT, in this order (no dict per row; see RowPath).
ROW_FIELDS = row_fields(ContactSchema())
COLUMNS = ("id", *ROW_FIELDS, "custom", "import_id", "access_mode", "created_at", "updated_at", "photo_type")
_AT = {name: position for position, name in enumerate(COLUMNS)}
ID, KIND, NAME, EMAIL, COMPANY_ID, CUSTOM = (_AT[name] for name in ("id", "kind", "name", "email", "company_id",
                                                                    "custom"))
JSON_COLUMNS = {"emails", "phones", "websites", "custom"}


def row_dict(row: list) -> dict:
    """A row as ``ContactSchema`` gives it (for updating an existing contact)."""
    return {name: json.loads(row[position]) if name in JSON_COLUMNS else row[position]
            for name, position in _AT.items() if name in ROW_FIELDS or name == "custom"}


class _Batch:
    """What one batch writes."""

    def __init__(self):
        self.companies: list[list] = []     # new companies (persons' companies and company rows)
        self.persons: list[list] = []
        self.tags: dict[int, list[str]] = {}  # id(row) -> tag names
        self.updates: list[tuple[int, dict, dict, list[str], int]] = []
        self.errors: list[dict] = []
        self.created = self.updated = self.skipped = self.failed = self.company_count = 0


# Several processes: the checks of the next batches run in other processes while this one
# writes. Forked, so the plan is inherited, not sent; only cells and rows travel.
PARALLEL_FROM_ROWS = 20_000
IMPORT_CACHE_KB = 256 * 1024
_WORKER_PLAN = None
_FORK_LOCK = threading.Lock()


def _prepare_in_worker(batch):
    return _WORKER_PLAN.prepare(batch)


def _workers() -> int:
    return max(1, min(3, (os.cpu_count() or 1) - 1)) if (os.cpu_count() or 1) > 1 else 0


class ImportRun:
    """One run of an import job over the rows after ``rows_done``."""

    def __init__(self, record: ContactImport, user):
        self.record, self.user = record, user
        declared = records.entity_type("contact")
        text = _file_text(record)
        self.reader = _reader(text, record.delimiter)
        header = next(self.reader)
        while not any(header):
            header = next(self.reader)
        self.header = [cell.strip() for cell in header]
        self.plan = Plan(self.header, record.mapping)
        dialect = db.session.get_bind().dialect
        now = _stamp()
        if dialect.name == "sqlite":  # the stored text of the time, as the column's type writes it
            now = Contact.__table__.c.created_at.type._cached_bind_processor(dialect)(now)
        self.plan.tail = [record.id, declared.default_access, now, now, ""]
        self.index = Index(user, record.dry_run)
        self.tag_ids: dict[str, int] = {}
        self.pending_companies: dict[str, list] = {}
        self.meta: dict[int, tuple] = {}  # id(row) -> (row number, its pending name key)
        self.row_number = 1  # the header's line; rows are numbered as a spreadsheet shows them
        # Translated once per run (the job runs in the language of the user who started it).
        self.messages = {"repeats": _("The row repeats row %(row)d."),
                         "matches": _("The row matches an existing contact."),
                         "skipped": _("It was skipped."), "updated": _("The contact was updated."),
                         "created": _("A new contact was created anyway."),
                         "wide": _("The row has more cells than the header row.")}

    # Rows to batches

    def batches(self):
        """``[(row number, kept cells or None)]`` per batch, for the rows after ``rows_done``;
        ``None`` for a row with more cells than the header."""
        skip, batch = self.record.rows_done, []
        seen = 0
        plan = self.plan
        width = plan.width
        for row in self.reader:
            self.row_number += 1
            if not any(row):
                continue
            if seen < skip:
                seen += 1
                continue
            seen += 1
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                batch.append((self.row_number, None))
            else:
                batch.append((self.row_number, plan.kept(row)))
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def error(self, batch: _Batch, row: int, column: str, message: str, kind: str = "error") -> None:
        batch.errors.append({"import_id": self.record.id, "row": row, "column": column[:200],
                             "message": message[:500], "kind": kind})

    # Rows to contacts

    def check(self, prepared) -> _Batch:
        """Finish what ``Plan.prepare`` could not decide (the schema, in the user's language),
        then find companies and duplicates, in row order."""
        batch = _Batch()
        plan, layout = self.plan, self.plan.layout
        duplicates = self.record.duplicates
        for number, cells, row, custom_done, names, company_name in prepared:
            if cells is None and row is None:
                self.error(batch, number, "", self.messages["wide"])
                batch.failed += 1
                continue
            problems = []
            if row is None:
                try:
                    data = plan.schema.load(layout.raw(cells))
                except ValidationError as exc:
                    problems += plan.schema_errors(cells, exc.messages)
                else:
                    row = plan.full_row(as_row(ROW_FIELDS, data))
            if not custom_done:
                try:
                    custom = plan.custom_slow(cells)
                except ValidationError as exc:
                    for key, messages in exc.messages.items():
                        for message in translate_errors(messages):
                            problems.append((plan.custom_label(key), message))
                else:
                    if row is not None:
                        row[CUSTOM] = json.dumps(custom)
            if names is None:
                try:
                    names = tag_service.parse_names(cells[plan.tags_cell])
                except ValidationError as exc:
                    for message in translate_errors(exc.messages):
                        problems.append((plan.cell_labels[plan.tags_cell], message))
            company_id = None
            if company_name and not problems:
                company_id = self.company_for(batch, company_name, number, problems)
            if problems:
                for column, message in problems:
                    self.error(batch, number, column, message)
                batch.failed += 1
                continue
            if row[KIND] == PERSON:
                row[COMPANY_ID] = company_id
            self.place(batch, number, row, names, duplicates)
        return batch

    def company_for(self, batch: _Batch, name: str, number: int, problems: list):
        """The id of the company called ``name`` (or the row of the one this batch
        creates); the company is created on first use."""
        key = name.lower()
        found = self.index.companies.get(key)
        if found is not None:
            return found
        pending = self.pending_companies.get(key)
        if pending is not None:
            return pending
        plan = self.plan
        values = plan.company_path.rows([[name]])[0]
        if values is None:
            try:
                values = as_row(ROW_FIELDS, plan.schema.load({"kind": COMPANY, "name": name}))
            except ValidationError as exc:
                column = plan.cell_labels[plan.layout.company] if plan.layout.company is not None else _("Company")
                for message in translate_errors(exc.messages):
                    problems.append((column, message))
                return None
        row = plan.full_row(values)
        self.meta[id(row)] = (number, None)
        batch.companies.append(row)
        batch.company_count += 1
        self.pending_companies[key] = row
        return row

    def place(self, batch: _Batch, number: int, row: list, names: list[str], duplicates: str) -> None:
        company_ref = row[COMPANY_ID]
        company_key = ("pending", id(company_ref)) if isinstance(company_ref, list) else company_ref
        match = self.index.match(row[KIND], row[NAME], row[EMAIL], company_key)
        if match is not None:
            earlier = self.index.rows.get(match)
            messages = self.messages
            if earlier is not None:
                message = messages["repeats"] % {"row": earlier}
            else:
                message = messages["matches"]
            if duplicates == "skip" or (duplicates == "update" and earlier is not None):
                self.error(batch, number, "", f"{message} {messages['skipped']}", kind="duplicate")
                batch.skipped += 1
                return
            if duplicates == "update":
                self.error(batch, number, "", f"{message} {messages['updated']}", kind="duplicate")
                data = row_dict(row)
                batch.updates.append((match, data, data.pop("custom"), names, number))
                batch.updated += 1
                return
            self.error(batch, number, "", f"{message} {messages['created']}", kind="duplicate")
        if names:
            batch.tags[id(row)] = names
        kind, email = row[KIND], row[EMAIL]
        (batch.companies if kind == COMPANY else batch.persons).append(row)
        batch.created += 1
        pending = ("pending", id(row))
        name_key = _name_key(kind, row[NAME], company_key)
        self.meta[id(row)] = (number, name_key)
        index = self.index
        if email:
            index.by_email.setdefault(email, pending)
        index.by_name.setdefault(name_key, (pending, bool(email)))
        if kind == COMPANY:
            self.pending_companies.setdefault(row[NAME].lower(), row)
        index.rows[pending] = number

    # Writing

    def write(self, batch: _Batch, rows_read: int) -> None:
        record = self.record
        created = batch.companies + batch.persons
        connection = db.session.connection()
        cache_size = None
        if connection.dialect.name == "sqlite":
            # A page cache that holds the table's indexes while the batch is written
            # (SQLite's default is 2 MB): emails and names arrive in no order, so every
            # insert touches pages all over each index. Back to the default before the
            # commit, so the pooled connection does not keep the memory.
            cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
            connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}")
        if not record.dry_run:
            self.insert(batch.companies)
            for row in batch.persons:
                if isinstance(row[COMPANY_ID], list):
                    row[COMPANY_ID] = row[COMPANY_ID][ID]
            self.insert(batch.persons)
            self.link_tags([(row[ID], batch.tags[id(row)]) for row in created if id(row) in batch.tags])
            if created:  # the importing user manages them (no notification: it is their own import)
                user_id = self.user.id
                bulk_rows(_member_table().name, ("entity_type", "record_id", "user_id"),
                          [("contact", row[ID], user_id) for row in created])
            self.apply_updates(batch.updates)
        else:
            for row in created:
                self.index.fake_id -= 1
                row[ID] = self.index.fake_id
            for row in batch.persons:
                if isinstance(row[COMPANY_ID], list):
                    row[COMPANY_ID] = row[COMPANY_ID][ID]
        for row in created:
            self.settle(row)
        if batch.errors:
            bulk_insert(ImportRowError.__table__, batch.errors)
        record.rows_done += rows_read
        record.created_count += batch.created
        record.company_count += batch.company_count
        record.updated_count += batch.updated
        record.skipped_count += batch.skipped
        record.error_count += batch.failed
        self.pending_companies.clear()
        if cache_size is not None:
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
        write_batch_commit()

    def settle(self, row: list) -> None:
        """A pending contact now has its id: the duplicate index points to it."""
        new_id = row[ID]
        pending = ("pending", id(row))
        index = self.index
        email = row[EMAIL]
        if email and index.by_email.get(email) == pending:
            index.by_email[email] = new_id
        number, pending_key = self.meta.pop(id(row))
        if pending_key is not None and index.by_name.get(pending_key, (None,))[0] == pending:
            del index.by_name[pending_key]
        index.by_name.setdefault(_name_key(row[KIND], row[NAME], row[COMPANY_ID]), (new_id, bool(email)))
        if row[KIND] == COMPANY:
            index.companies.setdefault(row[NAME].lower(), new_id)
        index.rows.pop(pending, None)
        index.rows[new_id] = number

    def insert(self, rows: list[list]) -> None:
        """Insert contacts with ids taken beforehand (no RETURNING, which SQLAlchemy runs
        row by row on SQLite when the order of the ids must be kept), in bulk."""
        if not rows:
            return
        ids = allocate_ids(len(rows), self.record.id)
        for row, new_id in zip(rows, ids):
            row[ID] = new_id
        with search_index_in_bulk(Contact.__table__.name, ids):
            bulk_rows(Contact.__table__.name, COLUMNS, rows)
    def tag_id(self, name: str) -> int:
        key = name.lower()
        if key not in self.tag_ids:
            tag = tag_service._find("contact", name)
            if tag is None:
                tag = Tag(entity_type="contact", name=name)
                db.session.add(tag)
                db.session.flush()
            self.tag_ids[key] = tag.id
        return self.tag_ids[key]

    def link_tags(self, tagged: list[tuple[int, list[str]]]) -> None:
        links = {(self.tag_id(name), record_id) for record_id, names in tagged for name in names}
        if links:
            bulk_insert(TagLink.__table__, [{"tag_id": tag_id, "record_id": record_id}
                                            for tag_id, record_id in sorted(links)])

    def apply_updates(self, updates) -> None:
        """Fill existing contacts with the rows' values; keep what they were in ImportChange."""
        if not updates:
            return
        contacts = {contact.id: contact for contact in db.session.execute(
            select(Contact).where(Contact.id.in_([update[0] for update in updates]))).scalars()}
        for contact_id, data, custom, names, number in updates:
            contact = contacts.get(contact_id)
            if contact is None:
                continue
            cells_present = {key for key, value in data.items() if value not in ("", None, [])}
            before, changed = {}, {}
            for key in ("first_name", "last_name", *PLAIN_TARGETS):
                if key in cells_present and getattr(contact, key) != data[key]:
                    changed[key] = data[key]
            company_id = data.get("company_id")
            if isinstance(company_id, list):  # a company this batch created
                company_id = company_id[ID]
            if data["kind"] == PERSON and company_id and contact.company_id != company_id:
                changed["company_id"] = company_id
            for key in ("emails", "phones", "websites"):
                present = {item["value"] for item in getattr(contact, key) or []}
                added = [item for item in data[key] if item["value"] not in present]
                if added:
                    changed[key] = list(getattr(contact, key) or []) + added
            new_custom = {**(contact.custom or {}), **custom}
            if new_custom != (contact.custom or {}):
                changed["custom"] = new_custom
            old_tags = [tag.name for tag in tag_service.tags_of("contact", contact.id)]
            new_tags = old_tags + [name for name in names if name.lower() not in {t.lower() for t in old_tags}]
            if not changed and new_tags == old_tags:
                continue
            for key in changed:
                before[key] = getattr(contact, key)
            for key in ("name", "email", "phone"):
                before[key] = getattr(contact, key)
            before["tags"] = old_tags
            for key, value in changed.items():
                setattr(contact, key, value)
            if contact.kind == PERSON:
                from plugins.contacts.models import display_name
                contact.name = display_name(contact.kind, contact.name, contact.first_name, contact.last_name)
            contact.email = contact.emails[0]["value"] if contact.emails else ""
            contact.phone = contact.phones[0]["value"] if contact.phones else ""
            if new_tags != old_tags:
                tag_service.set_tags("contact", contact.id, new_tags)
            db.session.add(ImportChange(import_id=self.record.id, contact_id=contact.id,
                                        before=_jsonable_before(before)))
        db.session.flush()

    def run(self) -> None:
        """Check and write batch by batch. With many rows and more than one CPU, the checks
        of the next batches run in worker processes while this one writes."""
        record, plan = self.record, self.plan
        total = record.rows_total
        workers = _workers() if total - record.rows_done >= PARALLEL_FROM_ROWS else 0
        if workers:
            global _WORKER_PLAN
            import encodings.idna  # noqa: F401 (imported before the fork: no import lock in the workers)
            import multiprocessing

            with _FORK_LOCK:  # two imports at once: each forks its workers with its own plan
                _WORKER_PLAN = plan
                pool = multiprocessing.get_context("fork").Pool(workers)
                _WORKER_PLAN = None
            with pool:
                for prepared in pool.imap(_prepare_in_worker, self.batches()):
                    self._step(prepared, total)
        else:
            for rows in self.batches():
                self._step(plan.prepare(rows), total)

    def _step(self, prepared, total: int) -> None:
        record = self.record
        batch = self.check(prepared)
        self.write(batch, len(prepared))
        job_queue.progress(record.rows_done, total, _("%(done)d of %(total)d rows", done=record.rows_done,
                                                 total=total))


# Bulk writing

def bulk_insert(table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys, every value already what the column
    takes) through the session's own DBAPI connection, in its transaction: COPY on
    PostgreSQL, ``executemany`` on SQLite. SQLAlchemy's per-row parameter processing costs
    more than the database's work here; the only processing needed is done once per column:
    JSON columns are serialised, date-times (on SQLite) converted by the column's type."""
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    names = [column.name for column in table.columns if column.name in rows[0]]
    columns = [table.columns[name] for name in names]
    getter = operator.itemgetter(*names)
    json_positions = [position for position, column in enumerate(columns)
                      if isinstance(column.type, JSON) or isinstance(getattr(column.type, "impl", None), JSON)]
    converted = [(position, column.type._cached_bind_processor(dialect)) for position, column in enumerate(columns)
                 if dialect.name == "sqlite" and isinstance(column.type, TypeDecorator)]
    cache: dict = {}  # date-times repeat (one per batch): convert each once

    def row_values(params):
        values = list(getter(params))
        for position in json_positions:
            value = values[position]
            values[position] = json.dumps(value) if value else ("[]" if value == [] else "{}")
        for position, process in converted:
            value = values[position]
            if value is not None:
                if value not in cache:
                    cache[value] = process(value)
                values[position] = cache[value]
        return values

    cursor = connection.connection.cursor()
    try:
        quoted = ", ".join(f'"{name}"' for name in names)
        if dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for params in rows:
                    copy.write_row(row_values(params))
        else:
            marks = ", ".join("?" for _name in names)
            cursor.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})',
                               [row_values(params) for params in rows])
    finally:
        cursor.close()


def bulk_rows(table: str, columns, rows: list[list]) -> None:
    """Insert ``rows`` (lists in ``columns`` order, values as the database takes them) the
    way ``bulk_insert`` does."""
    connection = db.session.connection()
    cursor = connection.connection.cursor()
    quoted = ", ".join(f'"{name}"' for name in columns)
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _name in columns)
            cursor.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows)
    finally:
        cursor.close()


@contextmanager
def search_index_in_bulk(table: str, ids: list[int]):
    """On SQLite, the FTS5 search index (``core.records.search``) is kept by an insert
    trigger, one index update per row: ~20 times slower than adding the same rows to the
    index with one ``INSERT ... SELECT``. So, inside the batch's transaction, the trigger is
    dropped, the rows are inserted, added to the index in one statement, and the trigger is
    created again from its own SQL. SQLite has one writer at a time and this transaction
    holds the write lock, so no other insert can happen without the trigger, and every
    commit leaves the index complete. PostgreSQL's index needs nothing of the kind."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    from core.records import search

    fts = search.fts_table(table)
    trigger = f"{fts}_insert"
    found = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                       (trigger,)).first()
    if found is None:
        yield
        return
    columns = [row[1] for row in connection.exec_driver_sql(f'PRAGMA table_info("{fts}")')]
    connection.exec_driver_sql(f'DROP TRIGGER "{trigger}"')
    yield
    quoted = ", ".join(f'"{name}"' for name in columns)
    connection.exec_driver_sql(f'INSERT INTO "{fts}"(rowid, {quoted}) SELECT id, {quoted} FROM "{table}" '
                               f"WHERE id BETWEEN ? AND ?", (min(ids), max(ids)))
    connection.exec_driver_sql(found[0])


def allocate_ids(count: int, import_id: int) -> list[int]:
    """``count`` new ids of ``contacts_contact``. PostgreSQL: from the table's sequence.
    SQLite: after the largest id, under the write lock this transaction takes first (by
    touching the import's row), so no other writer can take the same ids before the commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.execute(
            select(func.nextval(func.pg_get_serial_sequence("contacts_contact", "id")))
            .select_from(func.generate_series(1, count))).scalars())
    db.session.execute(update(ContactImport).where(ContactImport.id == import_id)
                       .values(rows_done=ContactImport.rows_done))
    largest = db.session.execute(select(func.coalesce(func.max(Contact.id), 0))).scalar_one()
    return list(range(largest + 1, largest + 1 + count))


def _jsonable_before(before: dict) -> dict:
    return {key: value for key, value in before.items()}


def _member_table():
    from core.models import RecordMember

    return RecordMember.__table__


def write_batch_commit() -> None:
    """Commit a batch with its ``rows_done`` (a test makes this fail to kill an import)."""
    db.session.commit()


def _user(user_id):
    from core.auth.models import User

    return db.session.get(User, user_id) if user_id else None


def run_import(import_id: int) -> dict:
    """The job ``contacts.import``: import the rows after ``rows_done``."""
    record = db.session.get(ContactImport, import_id)
    if record is None or record.status not in ("queued", "running", "failed"):
        return {"skipped": True}  # reverted, or done by an earlier run
    user = _user(record.user_id)
    if user is None:
        record.status = "failed"
        db.session.commit()
        return {"failed": "no user"}
    record.status = "running"
    db.session.commit()
    try:
        with force_locale(record.language or "de"):
            ImportRun(record, user).run()
    except Exception:
        db.session.rollback()
        record = db.session.get(ContactImport, import_id)
        record.status = "failed"
        db.session.commit()
        raise
    record.status = "done"
    record.finished_at = _stamp()
    db.session.commit()
    return {"created": record.created_count, "updated": record.updated_count, "errors": record.error_count}


def run_revert(import_id: int) -> dict:
    """The job ``contacts.import_revert``: undo an import (see the module docstring)."""
    record = db.session.get(ContactImport, import_id)
    if record is None or record.status != "reverting":
        return {"skipped": True}
    user = _user(record.user_id)
    finished = record.finished_at
    kept = 0
    # Restore updated contacts first (newest change first, so the oldest "before" wins).
    changes = db.session.execute(select(ImportChange).where(ImportChange.import_id == import_id)
                                 .order_by(ImportChange.id.desc())).scalars().all()
    for change in changes:
        contact = db.session.get(Contact, change.contact_id)
        if contact is None:
            continue
        before = dict(change.before)
        old_tags = before.pop("tags", None)
        for key, value in before.items():
            setattr(contact, key, value)
        if old_tags is not None:
            tag_service.set_tags("contact", contact.id, old_tags)
    db.session.flush()
    created = select(Contact.id).where(Contact.import_id == import_id)
    ids = list(db.session.execute(created.order_by(Contact.kind.desc(), Contact.id)).scalars())
    total = len(ids)
    outsiders = select(Contact.company_id).where(Contact.company_id.is_not(None),
                                                 (Contact.import_id.is_(None)) | (Contact.import_id != import_id))
    linked = set(db.session.execute(outsiders.distinct()).scalars())
    done = 0
    for start in range(0, total, 500):
        chunk = ids[start:start + 500]
        deleted = []
        for contact in db.session.execute(select(Contact).where(Contact.id.in_(chunk))).scalars().all():
            edited = finished is not None and contact.updated_at is not None and contact.updated_at > finished
            if edited or contact.id in linked:
                kept += 1
                contact.import_id = None
                continue
            records.delete_record("contact", contact, user=user)
            deleted.append(contact.id)
        # records.delete_record leaves the record's managers (core_record_member) behind,
        # and SQLite gives a later record the same id: remove them with the record.
        if deleted:
            members = _member_table()
            db.session.execute(delete(members).where(members.c.entity_type == "contact",
                                                     members.c.record_id.in_(deleted)))
        db.session.commit()
        done += len(chunk)
        job_queue.progress(done, total)
    record = db.session.get(ContactImport, import_id)
    record.status = "reverted"
    record.kept_count = kept
    db.session.commit()
    Path(record.path).unlink(missing_ok=True)  # nothing more can be done with the file
    return {"deleted": total - kept, "kept": kept, "restored": len(changes)}


def jobs() -> list:
    """The background jobs of this part of the plugin (``register_jobs``)."""
    return [Job(IMPORT_JOB, run_import), Job(REVERT_JOB, run_revert)]


# Pages

def _own_import(import_id: int) -> ContactImport:
    """An import of the current user (admins of contacts see every import)."""
    record = db.session.get(ContactImport, import_id)
    if record is None or (record.user_id != current_user.id and not has_permission(current_user, "contacts.admin")):
        abort(404)
    return record


def _header_and_preview(record: ContactImport) -> tuple[list[str], list[list[str]]]:
    rows = []
    for row in _reader(_file_text(record), record.delimiter):
        if any(cell.strip() for cell in row):
            rows.append(row)
        if len(rows) > PREVIEW_ROWS:
            break
    header = [cell.strip() for cell in rows[0]]
    return header, [row + [""] * (len(header) - len(row)) for row in rows[1:]]


@bp.get("/")
@require("contacts.import")
def index():
    query = select(ContactImport).order_by(ContactImport.created_at.desc(), ContactImport.id.desc()).limit(50)
    if not has_permission(current_user, "contacts.admin"):
        query = query.where(ContactImport.user_id == current_user.id)
    past = db.session.execute(query).scalars().all()
    return render_template("contacts/import/index.html", imports=past, status_labels=STATUS_LABELS,
                           limit=MAX_MB, errors=[])


@bp.post("/")
@require("contacts.import")
def upload():
    upload_file = request.files.get("file")
    try:
        if upload_file is None or not upload_file.filename:
            raise ImportProblem(_("Choose a CSV file."))
        data, encoding, delimiter, rows = read_upload(upload_file)
    except ImportProblem as exc:
        past = db.session.execute(select(ContactImport).where(ContactImport.user_id == current_user.id)
                                  .order_by(ContactImport.id.desc()).limit(50)).scalars().all()
        return render_template("contacts/import/index.html", imports=past, status_labels=STATUS_LABELS,
                               limit=MAX_MB, errors=[str(exc)]), 400
    path = _uploads() / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(data)
    record = ContactImport(user_id=current_user.id, filename=os.path.basename(upload_file.filename)[:255],
                           path=str(path), encoding=encoding, delimiter=delimiter, rows_total=len(rows) - 1,
                           language=str(get_locale() or "de"))
    db.session.add(record)
    db.session.commit()
    return redirect(url_for("contacts_import.mapping", import_id=record.id))


def _mapping_from_form(header: list[str], targets: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    mapping, errors, used = {}, [], {}
    for index, name in enumerate(header):
        target = request.form.get(f"column_{index}", "")
        if not target:
            continue
        if target not in targets:
            errors.append(_("Column %(column)s: choose one of the offered fields.", column=name or index + 1))
            continue
        if target in used and ":" not in target and target != "website":
            errors.append(_("The field %(field)s is chosen for two columns: %(first)s and %(second)s.",
                            field=targets[target], first=used[target], second=name))
            continue
        used[target] = name
        mapping[str(index)] = target
    chosen = set(mapping.values())
    if not chosen & {FIRST_NAME, LAST_NAME, COMPANY_NAME}:
        errors.append(_("Choose the columns with the names: first and last name, or company, or both."))
    return mapping, errors


@bp.route("/<int:import_id>/mapping", methods=["GET", "POST"])
@require("contacts.import")
def mapping(import_id: int):
    record = _own_import(import_id)
    if record.status not in ("uploaded", "done") or (record.status == "done" and not record.dry_run):
        return redirect(url_for("contacts_import.show", import_id=record.id))
    header, preview = _header_and_preview(record)
    targets = dict(_targets())
    custom_keys = {}
    for definition in custom_fields.definitions("contact"):
        custom_keys.setdefault(_key(definition.label), f"cf_{definition.key}")
        custom_keys.setdefault(_key(definition.key), f"cf_{definition.key}")
    errors = []
    if request.method == "POST":
        chosen, errors = _mapping_from_form(header, targets)
        duplicates = request.form.get("duplicates", "skip")
        if duplicates not in DUPLICATE_CHOICES:
            errors.append(_("Choose what happens with duplicates."))
        if not errors:
            record.mapping = chosen
            record.duplicates = duplicates
            record.dry_run = request.form.get("dry_run") == "1"
            _start(record)
            db.session.commit()
            return redirect(url_for("contacts_import.show", import_id=record.id))
        selected = [request.form.get(f"column_{index}", "") for index in range(len(header))]
    elif record.mapping:
        selected = [record.mapping.get(str(index), "") for index in range(len(header))]
    else:
        selected = suggest(header, targets, custom_keys)
    # Value columns whose kind comes from a type column (Google Contacts), for a hint.
    type_columns = {index: header[found] for index in range(len(header))
                    if (found := _type_column(header, index)) is not None}
    return render_template("contacts/import/mapping.html", record=record, header=header, preview=preview,
                           targets=list(targets.items()), selected=selected, errors=errors, type_columns=type_columns,
                           duplicate_choices=DUPLICATE_CHOICES,
                           duplicates=request.form.get("duplicates", record.duplicates),
                           dry_run=request.form.get("dry_run") == "1" if request.method == "POST" else record.dry_run,
                           encoding=record.encoding, delimiter={";": ";", ",": ",", "\t": _("tab")}
                           [record.delimiter]), (400 if errors else 200)


def _start(record: ContactImport) -> None:
    """Queue the import from the top (a finished dry run starts again for real)."""
    db.session.execute(delete(ImportRowError).where(ImportRowError.import_id == record.id))
    for counter in ("rows_done", "created_count", "company_count", "updated_count", "skipped_count",
                    "error_count"):
        setattr(record, counter, 0)
    record.status = "queued"
    record.finished_at = None
    record.language = str(get_locale() or record.language)
    audit.record("records_imported", user=current_user, subject=record.filename, entity_type="contact",
                 import_id=record.id, rows=record.rows_total, dry_run=record.dry_run, duplicates=record.duplicates)
    run = job_queue.enqueue(IMPORT_JOB, record.id, user=current_user)
    record.job_run_id = run.id


@bp.get("/<int:import_id>")
@require("contacts.import")
def show(import_id: int):
    from core.models import JobRun

    record = _own_import(import_id)
    run = db.session.get(JobRun, record.job_run_id) if record.job_run_id else None
    problems = db.session.execute(
        select(ImportRowError).where(ImportRowError.import_id == record.id)
        .order_by(ImportRowError.row, ImportRowError.id).limit(20)).scalars().all()
    report_count = db.session.execute(select(func.count(ImportRowError.id))
                                      .where(ImportRowError.import_id == record.id)).scalar_one()
    running = run is not None and run.state in ("queued", "running")
    return render_template("contacts/import/show.html", record=record, run=run, running=running,
                           problems=problems, report_count=report_count, status_labels=STATUS_LABELS,
                           duplicate_choices=DUPLICATE_CHOICES,
                           can_resume=interrupted(record) and not (running and record.status == "failed"),
                           can_revert=record.status == "done" and not record.dry_run and not running)


def interrupted(record: ContactImport) -> bool:
    """Failed, or killed with its process: "running" (or never started) and no batch
    committed for ``STALE_AFTER`` (a batch takes seconds)."""
    if record.status == "failed":
        return True
    return record.status in ("queued", "running") and record.updated_at < _stamp() - STALE_AFTER


@bp.get("/<int:import_id>/report.csv")
@require("contacts.import")
def report(import_id: int):
    record = _own_import(import_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Row"), _("Column"), _("Kind"), _("Reason")])
    kinds = {"error": _("Error"), "duplicate": _("Duplicate")}
    rows = db.session.execute(select(ImportRowError.row, ImportRowError.column, ImportRowError.kind,
                                     ImportRowError.message)
                              .where(ImportRowError.import_id == record.id)
                              .order_by(ImportRowError.row, ImportRowError.id))
    for row, column, kind, message in rows:
        writer.writerow([row, custom_fields.spreadsheet_safe(column), kinds.get(kind, kind),
                         custom_fields.spreadsheet_safe(message)])
    name = os.path.splitext(record.filename)[0] or "import"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_safe_name(name)}-report.csv"'})


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] or "import"


@bp.post("/<int:import_id>/resume")
@require("contacts.import")
def resume(import_id: int):
    record = _own_import(import_id)
    if not interrupted(record):
        flash(_("Only an interrupted import can be resumed."), "warning")
        return redirect(url_for("contacts_import.show", import_id=record.id))
    record.status = "queued"
    run = job_queue.enqueue(IMPORT_JOB, record.id, user=current_user)
    record.job_run_id = run.id
    db.session.commit()
    flash(_("The import continues after row %(row)d.", row=record.rows_done + 1), "info")
    return redirect(url_for("contacts_import.show", import_id=record.id))


@bp.post("/<int:import_id>/revert")
@require("contacts.import")
def revert(import_id: int):
    record = _own_import(import_id)
    if record.status != "done" or record.dry_run:
        flash(_("Only a finished import can be reverted."), "warning")
        return redirect(url_for("contacts_import.show", import_id=record.id))
    record.status = "reverting"
    audit.record("records_import_reverted", user=current_user, subject=record.filename, entity_type="contact",
                 import_id=record.id)
    run = job_queue.enqueue(REVERT_JOB, record.id, user=current_user)
    record.job_run_id = run.id
    db.session.commit()
    return redirect(url_for("contacts_import.show", import_id=record.id))
