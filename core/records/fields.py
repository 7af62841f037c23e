"""Record service: custom fields.

Admins of a module define fields per entity type (``FieldDefinition``); the values live in
the record's ``custom`` JSON column (JSONB on PostgreSQL), by field key. Every value goes
through the marshmallow field of its ``FieldType``, so forms, CSV import and the API share
one rule. The core's own types are ``BUILTIN_TYPES``; plugins add more with
``register_field_types``.

A ``FieldType.marshmallow_field`` is called as ``factory(required=..., choices=[...])`` and
returns a marshmallow field that loads what a form or a CSV cell holds; its
``sql_filter``, if any, is called as ``sql_filter(model, key, value)`` and returns a SQL
condition.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import Numeric, cast, false, func, literal, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB

from core import records
from core.db import db
from core.declarations import FieldType
from core.forms import FormField, length, one_of, translate_errors
from core.forms import form_fields as schema_form
from core.records.models import FieldDefinition

bp = Blueprint("records_fields", __name__, url_prefix="/records")

REQUIRED = _l("Enter a value.")


# The built-in field types

class _Decimal(fields.Decimal):
    """A decimal that also takes a comma as the decimal separator, as German users type it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super()._deserialize(value, attr, data, **kwargs)


def _messages(**extra) -> dict:
    return {"required": REQUIRED, "null": REQUIRED, **extra}


def _text(required=False, choices=(), **_ignored):
    return fields.String(required=required, validate=length(maximum=500), error_messages=_messages())


def _long_text(required=False, choices=(), **_ignored):
    return fields.String(required=required, validate=length(maximum=10000), error_messages=_messages())


def _integer(required=False, choices=(), **_ignored):
    return fields.Integer(required=required, error_messages=_messages(invalid=_l("Enter a whole number.")))


def _decimal(required=False, choices=(), **_ignored):
    return _Decimal(required=required, allow_nan=False,
                    error_messages=_messages(invalid=_l("Enter a number."), special=_l("Enter a number.")))


def _date(required=False, choices=(), **_ignored):
    return fields.Date(required=required, error_messages=_messages(invalid=_l("Enter a date as YYYY-MM-DD.")))


def _checkbox(required=False, choices=(), **_ignored):
    # A checkbox always has a value (off is False), so "required" means nothing for it.
    return fields.Boolean(load_default=False, error_messages=_messages(invalid=_l("Choose yes or no.")))


def _choice(required=False, choices=(), **_ignored):
    return fields.String(required=required, validate=one_of(list(choices)), error_messages=_messages())


def _multiple_choice(required=False, choices=(), **_ignored):
    return fields.List(fields.String(validate=one_of(list(choices))), required=required,
                       validate=validate.Length(min=1 if required else 0, error=REQUIRED),
                       error_messages=_messages(invalid=_l("Choose one of the offered values.")))


# Strings with marshmallow's validators: fields.Url and fields.Email insist on a plain str
# message, which would not follow the user's language.
def _url(required=False, choices=(), **_ignored):
    return fields.String(required=required, error_messages=_messages(), validate=[
        length(maximum=2000), validate.URL(error=_l("Enter a web address (https://...)."))])


def _email(required=False, choices=(), **_ignored):
    return fields.String(required=required, error_messages=_messages(), validate=[
        length(maximum=320), validate.Email(error=_l("Enter an email address."))])


def _phone(required=False, choices=(), **_ignored):
    return fields.String(required=required, error_messages=_messages(), validate=validate.Regexp(
        r"^\+?[0-9 ()/.\-]{3,30}$", error=_l("Enter a phone number: digits, spaces, + ( ) / . -")))


def _yes_no(value) -> str:
    return _("Yes") if value else _("No")


def _show_date(value) -> str:
    return format_date(date.fromisoformat(value)) if value else ""


def _show_decimal(value) -> str:
    return format_decimal(Decimal(value)) if value not in (None, "") else ""


def _show_list(value) -> str:
    return ", ".join(value or [])


BUILTIN_TYPES = [
    FieldType("text", _l("Text"), _text),
    FieldType("long_text", _l("Long text"), _long_text, widget="textarea"),
    FieldType("integer", _l("Whole number"), _integer, widget="number"),
    # A text input, not type=number: that would refuse the comma German users type.
    FieldType("decimal", _l("Decimal number"), _decimal, display=_show_decimal),
    FieldType("date", _l("Date"), _date, widget="date", display=_show_date),
    FieldType("checkbox", _l("Checkbox"), _checkbox, widget="checkbox", display=_yes_no),
    FieldType("choice", _l("Single choice"), _choice, widget="select"),
    FieldType("multiple_choice", _l("Multiple choice"), _multiple_choice, widget="multiselect", display=_show_list),
    FieldType("url", _l("Web address"), _url, widget="url"),
    FieldType("email", _l("Email"), _email, widget="email"),
    FieldType("phone", _l("Phone"), _phone, widget="tel"),
]
CHOICE_TYPES = ("choice", "multiple_choice")
# Types whose list filter matches part of the text, case-insensitively; the others match exactly.
TEXT_TYPES = ("text", "long_text", "url", "email", "phone")


def field_types() -> dict[str, FieldType]:
    """Every field type of the enabled modules, by name (the core's are registered by the
    core plugin like any other plugin's)."""
    from core.runtime import kontor

    return {item.name: item for item in kontor.registered("register_field_types")}


# The service API

def definitions(entity_type: str) -> list[FieldDefinition]:
    """The type's field definitions in form order, skipping those of a type no enabled
    module provides any more (their values stay, unseen)."""
    known = field_types()
    rows = db.session.execute(select(FieldDefinition).where(FieldDefinition.entity_type == entity_type)
                              .order_by(FieldDefinition.position, FieldDefinition.id)).scalars()
    return [row for row in rows if row.type in known]


def _field(definition: FieldDefinition, field_type: FieldType | None = None):
    field_type = field_type or field_types()[definition.type]
    field = field_type.marshmallow_field(required=definition.required, choices=list(definition.choices or []))
    if field is None:  # a plugin type that validates nothing
        field = fields.Raw(required=definition.required, error_messages=_messages())
    field.metadata.update(label=definition.label, help=definition.help or "")
    return field


def schema_fields(entity_type: str) -> dict:
    """The marshmallow field of every custom field of the type, by key."""
    return {definition.key: _field(definition) for definition in definitions(entity_type)}


def _jsonable(value):
    """What a loaded value is stored as in the JSON column: dates as ISO text, decimals
    as text (a JSON number would go through float and lose digits)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _raw(definition: FieldDefinition, source, prefix: str):
    """The submitted value of one field: from a form (``cf_<key>`` inputs; several for a
    multiple choice) or from a dict by key (CSV import, the API)."""
    name = prefix + definition.key
    if hasattr(source, "getlist"):
        if definition.type == "multiple_choice":
            return [v for v in source.getlist(name) if v != ""]
        if definition.type == "checkbox":
            return name in source
        return source.get(name, "")
    value = source.get(definition.key)
    if definition.type == "multiple_choice" and isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


def load_values(entity_type: str, source, prefix: str = "cf_") -> dict:
    """Validate the custom values in ``source`` (a request form with ``cf_<key>`` inputs,
    or a dict by key) and return every defined key's value, ready for the JSON column
    (``None`` for an empty one). Raises ``ValidationError`` with messages by key; its
    ``data`` holds the submitted values by key, to show the form again."""
    raw, data = {}, {}
    for definition in definitions(entity_type):
        value = _raw(definition, source, prefix)
        raw[definition.key] = value
        if isinstance(value, str):
            value = value.strip()
        if value not in ("", None, []):  # empty means "no value"; a required field then says so
            data[definition.key] = value
    schema = Schema.from_dict(schema_fields(entity_type))()
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise ValidationError(exc.messages, data=raw) from None
    return {key: _jsonable(loaded.get(key)) for key in raw}


def store(record, values: dict) -> None:
    """Put loaded values into ``record.custom``; empty ones are removed, values of keys no
    longer defined stay. A new dict, so SQLAlchemy sees the change."""
    merged = {**(record.custom or {}), **values}
    record.custom = {key: value for key, value in merged.items() if value not in (None, [])}


def defaults(entity_type: str) -> dict:
    """The defaults of the type's fields, for a new record's form."""
    return {d.key: d.default for d in definitions(entity_type) if d.default not in (None, "", [])}


def form_fields(entity_type: str, values: dict | None = None, errors: dict | None = None) -> list[FormField]:
    """The form fields of the type's custom fields (inputs named ``cf_<key>``), with a
    ``heading`` pseudo field wherever a section starts. ``values`` and ``errors`` by key."""
    values, errors = values or {}, errors or {}
    known = field_types()
    result, section = [], ""
    for definition in definitions(entity_type):
        if definition.section and definition.section != section:
            result.append(FormField(name=f"section-{definition.key}", label=definition.section, widget="heading",
                                    required=False, value="", errors=[], choices=[]))
        section = definition.section or section
        value = values.get(definition.key)
        if value is None:
            value = [] if definition.type == "multiple_choice" else ""
        result.append(FormField(
            name=f"cf_{definition.key}", label=definition.label, widget=known[definition.type].widget,
            required=definition.required and definition.type != "checkbox", value=value,
            errors=translate_errors(errors.get(definition.key, [])),
            choices=[(c, c) for c in definition.choices or []], help=definition.help or ""))
    return result


def show(definition: FieldDefinition, value, field_type: FieldType | None = None) -> str:
    field_type = field_type or field_types()[definition.type]
    if field_type.display is not None:
        return field_type.display(value)
    return "" if value is None else str(value)


def display(entity_type: str, record) -> list[tuple[str, str, str]]:
    """``(section, label, text)`` of every custom field of ``record`` that holds a value."""
    custom = getattr(record, "custom", None) or {}
    known = field_types()
    result, section = [], ""
    for definition in definitions(entity_type):
        section = definition.section or section
        if custom.get(definition.key) not in (None, "", []):
            result.append((section, definition.label, show(definition, custom[definition.key], known[definition.type])))
    return result


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _jsonb(model):
    """The column with PostgreSQL's JSONB operators (its declared type is the generic JSON
    with a JSONB variant, whose Python side knows only the generic operators)."""
    return type_coerce(model.custom, JSONB)


def _extract(model, key: str):
    """The SQLite expression of one value of the JSON column (its native SQL type)."""
    return func.json_extract(model.custom, f"$.{key}")


def has_value(model, key: str):
    """SQL: the record holds a value for ``key`` (empty values are never stored)."""
    if _dialect() == "postgresql":
        return _jsonb(model).has_key(key)
    return func.json_type(model.custom, f"$.{key}").is_not(None)


def filter_condition(entity_type: str, model, key: str, value: str):
    """SQL condition: the records whose custom field ``key`` matches ``value`` (text as
    typed in a list filter). Text types match part of the text, whatever the case; the
    others the exact value, a multiple choice any one of its values. On PostgreSQL the
    exact matches are JSONB containment (``@>``), which a GIN index on the column serves.
    An unknown field or a value that is not valid for the field matches nothing."""
    definition = next((d for d in definitions(entity_type) if d.key == key), None)
    if definition is None:
        return false()
    field_type = field_types()[definition.type]
    if field_type.sql_filter is not None:
        return field_type.sql_filter(model, key, value)
    postgres = _dialect() == "postgresql"
    if definition.type in TEXT_TYPES:
        column = _jsonb(model)[key].astext if postgres else _extract(model, key)
        return column.icontains(value.strip(), autoescape=True)
    single = _field(FieldDefinition(key=key, label=key, type=definition.type, required=True,
                                    choices=definition.choices), field_type)
    try:
        loaded = _jsonable(single.deserialize([value] if definition.type == "multiple_choice" else value))
    except ValidationError:
        return false()
    if definition.type == "decimal":  # stored as text; compared as numbers, so 12.5 finds "12.50"
        column = _jsonb(model)[key].astext if postgres else _extract(model, key)
        return cast(column, Numeric) == Decimal(loaded)
    if postgres:
        return _jsonb(model).contains({key: loaded})
    if definition.type == "multiple_choice":
        items = func.json_each(model.custom, f"$.{key}").table_valued("value")
        return select(literal(1)).select_from(items).where(items.c.value == loaded[0]).exists()
    return _extract(model, key) == (int(loaded) if isinstance(loaded, bool) else loaded)


def csv_header(entity_type: str) -> list[str]:
    return [definition.key for definition in definitions(entity_type)]


def spreadsheet_safe(text: str) -> str:
    """A CSV cell of text someone typed: one starting with = + - @ would be a formula in
    a spreadsheet, so a leading quote defuses it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_cell(definition: FieldDefinition, value) -> str:
    """A value as a CSV cell, in the form ``load_values`` reads back: ISO dates, a dot
    as decimal separator, a multiple choice joined by "; "."""
    if value is None:
        return ""
    if definition.type == "multiple_choice":
        return spreadsheet_safe("; ".join(value))
    if definition.type == "checkbox":
        return "true" if value else "false"
    if definition.type in ("integer", "decimal", "date"):
        return str(value)  # a negative number stays a number
    return spreadsheet_safe(str(value))


def csv_row(entity_type: str, record) -> list[str]:
    custom = getattr(record, "custom", None) or {}
    return [csv_cell(d, custom.get(d.key)) for d in definitions(entity_type)]


# The admin pages: a type's field definitions (admins of its module)

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slug(label: str) -> str:
    """A key made of a label: "Größe (cm)" -> "groesse_cm"."""
    text = unicodedata.normalize("NFKD", label.lower().translate(UMLAUTS)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:64]
    return text if re.match(KEY_PATTERN, text) else ("field_" + text)[:64].rstrip("_")


class DefinitionSchema(Schema):
    label = fields.String(required=True, validate=length(1, 200), error_messages=_messages(),
                          metadata={"label": _l("Label")})
    key = fields.String(validate=validate.Regexp(KEY_PATTERN, error=_l(
        "Use lowercase letters, digits and underscores, starting with a letter.")), metadata={
        "label": _l("Key"), "help": _l("How imports, exports and filters name the field. Leave empty to make "
                                       "one from the label; it cannot change later.")})
    type = fields.String(required=True, error_messages=_messages(), metadata={"label": _l("Type")})
    required = fields.Boolean(load_default=False, metadata={"label": _l("Required")})
    choices = fields.String(load_default="", metadata={
        "label": _l("Choices"), "widget": "textarea", "help": _l("For single and multiple choice: one per line.")})
    default = fields.String(load_default="", metadata={
        "label": _l("Default"), "help": _l("Filled in on new records. Several choices: separate them by \";\".")})
    help = fields.String(load_default="", validate=length(maximum=1000), metadata={"label": _l("Help text")})
    section = fields.String(load_default="", validate=length(maximum=200), metadata={
        "label": _l("Section heading"), "help": _l("Shown above this field and the ones after it.")})
    position = fields.Integer(load_default=0, error_messages={"invalid": _l("Enter a whole number.")},
                              metadata={"label": _l("Position")})

    @validates("type")
    def _known_type(self, value, **_kwargs):
        if value not in field_types():
            raise ValidationError(_l("Choose one of the offered values."))


def _definition_form(definition: FieldDefinition | None, values: dict, errors: dict) -> list[FormField]:
    schema = DefinitionSchema()
    if definition is not None:  # the key names the stored values, the type says what they are: both stay
        schema.fields.pop("key")
        schema.fields.pop("type")
    result = schema_form(schema, values, errors)
    for item in result:
        if item.name == "type":
            item.widget = "select"
            item.choices = [(name, str(t.label)) for name, t in field_types().items()]
    return result


def _load_definition(entity_type: str, definition: FieldDefinition | None):
    """The submitted definition, checked: ``(data, values, errors)``."""
    form = request.form
    values = {name: form.get(name, "") for name in DefinitionSchema().fields if name != "required"}
    values["required"] = "required" in form
    if definition is not None:
        values["type"] = definition.type  # a changed type would make the stored values wrong
        values.pop("key")
    try:
        data = DefinitionSchema().load({k: v for k, v in values.items() if v != "" or k == "label"})
    except ValidationError as exc:
        return None, values, exc.messages
    errors = {}
    data["choices"] = [line.strip() for line in data["choices"].splitlines() if line.strip()]
    if data["type"] in CHOICE_TYPES and not data["choices"]:
        errors["choices"] = [_l("Enter at least one choice.")]
    if definition is None:
        data["key"] = data.get("key") or slug(data["label"])
        taken = db.session.execute(select(FieldDefinition.id).where(
            FieldDefinition.entity_type == entity_type, FieldDefinition.key == data["key"])).first()
        if taken:
            errors["key"] = [_l("Another field of this type already has this key.")]
    default = data.pop("default").strip()
    data["default"] = None
    if default and not errors:
        check = FieldDefinition(key="default", label="", type=data["type"], required=False, choices=data["choices"])
        try:
            data["default"] = _jsonable(_field(check).deserialize(_raw(check, {"default": default}, "")))
        except ValidationError as exc:
            errors["default"] = exc.messages
    return (None if errors else data), values, errors


def _admin_type(entity_type: str):
    declared = records.load_type(entity_type, "admin")
    if not declared.custom_fields:
        abort(404)
    return declared


def _definition_or_none(entity_type: str):
    """The definition named by ``?field=<id>``; ``None`` (and a message) when it is gone."""
    field_id = request.args.get("field", type=int)
    definition = db.session.get(FieldDefinition, field_id) if field_id else None
    if definition is None or definition.entity_type != entity_type:
        flash(_("That field does not exist (any more)."), "warning")
        return None
    return definition


def value_count(declared, key: str) -> int:
    """How many records of the type hold a value for ``key`` (counted in SQL)."""
    return db.session.execute(select(func.count()).select_from(declared.model)
                              .where(has_value(declared.model, key))).scalar()


@bp.get("/<entity_type>/fields")
@records.record_route("admin")
def definition_list(entity_type: str):
    declared = _admin_type(entity_type)
    types = field_types()
    rows = db.session.execute(select(FieldDefinition).where(FieldDefinition.entity_type == entity_type)
                              .order_by(FieldDefinition.position, FieldDefinition.id)).scalars().all()
    return render_template("core/records/fields.html", declared=declared, entity_type=entity_type,
                           definitions=rows, types=types)


@bp.route("/<entity_type>/fields/new", methods=["GET", "POST"])
@records.record_route("admin")
def definition_new(entity_type: str):
    declared = _admin_type(entity_type)
    # A new field goes last unless the admin says otherwise.
    last = db.session.execute(select(func.max(FieldDefinition.position))
                              .where(FieldDefinition.entity_type == entity_type)).scalar()
    values, errors = {"type": "text", "position": 0 if last is None else last + 1}, {}
    if request.method == "POST":
        data, values, errors = _load_definition(entity_type, None)
        if data is not None:
            db.session.add(FieldDefinition(entity_type=entity_type, **data))
            db.session.commit()
            flash(_("Field %(label)s added.", label=data["label"]), "success")
            return redirect(url_for(".definition_list", entity_type=entity_type))
    return render_template("core/records/fields_form.html", declared=declared, entity_type=entity_type,
                           definition=None, fields=_definition_form(None, values, errors)), (400 if errors else 200)


@bp.route("/<entity_type>/fields/edit", methods=["GET", "POST"])
@records.record_route("admin")
def definition_edit(entity_type: str):
    declared = _admin_type(entity_type)
    definition = _definition_or_none(entity_type)
    if definition is None:
        return redirect(url_for(".definition_list", entity_type=entity_type))
    check = FieldDefinition(key="default", label="", type=definition.type, choices=definition.choices)
    values = {"label": definition.label, "type": definition.type, "required": definition.required,
              "choices": "\n".join(definition.choices or []), "help": definition.help,
              "default": csv_cell(check, definition.default), "section": definition.section,
              "position": definition.position}
    errors = {}
    if request.method == "POST":
        data, values, errors = _load_definition(entity_type, definition)
        if data is not None:
            # Only the definition changes: values are stored by key, so a new label keeps them.
            for name, value in data.items():
                setattr(definition, name, value)
            db.session.commit()
            flash(_("Field %(label)s saved.", label=definition.label), "success")
            return redirect(url_for(".definition_list", entity_type=entity_type))
    return render_template("core/records/fields_form.html", declared=declared, entity_type=entity_type,
                           definition=definition, fields=_definition_form(definition, values, errors)), \
        (400 if errors else 200)


@bp.post("/<entity_type>/fields/positions")
@records.record_route("admin")
def definition_positions(entity_type: str):
    _admin_type(entity_type)
    rows = db.session.execute(select(FieldDefinition).where(FieldDefinition.entity_type == entity_type)).scalars()
    for definition in rows:
        position = request.form.get(f"position-{definition.id}", type=int)
        if position is not None:
            definition.position = position
    db.session.commit()
    flash(_("Order saved."), "success")
    return redirect(url_for(".definition_list", entity_type=entity_type))


@bp.route("/<entity_type>/fields/delete", methods=["GET", "POST"])
@records.record_route("admin")
def definition_delete(entity_type: str):
    """GET asks, saying how many records hold a value; POST deletes the definition and
    those values."""
    declared = _admin_type(entity_type)
    definition = _definition_or_none(entity_type)
    if definition is None:
        return redirect(url_for(".definition_list", entity_type=entity_type))
    if request.method == "GET":
        return render_template("core/records/fields_delete.html", declared=declared, entity_type=entity_type,
                               definition=definition, count=value_count(declared, definition.key))
    model = declared.model
    if _dialect() == "postgresql":
        remaining = _jsonb(model).op("-")(definition.key)
    else:
        remaining = func.json_remove(model.custom, f"$.{definition.key}")
    db.session.execute(update(model).where(has_value(model, definition.key)).values(custom=remaining)
                       .execution_options(synchronize_session=False))
    db.session.delete(definition)
    db.session.commit()
    flash(_("Field %(label)s deleted.", label=definition.label), "success")
    return redirect(url_for(".definition_list", entity_type=entity_type))


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Remove this service's rows of a deleted record (part of the caller's transaction).
    Custom values live in the record's own row, so they go with it."""


@bp.app_template_global("custom_field_values")
def _template_values(entity_type: str, record) -> list[tuple[str, str, str]]:
    """``display`` for the record panel (core/records/_custom_fields.html)."""
    return display(entity_type, record)


def create_index(connection, table: str) -> None:
    """The index behind the list filters on custom values, made in a migration of the plugin
    that owns ``table``: on PostgreSQL a GIN index (``jsonb_path_ops``) serving the exact
    filters' containment (``@>``); SQLite has none to offer for JSON."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f'CREATE INDEX IF NOT EXISTS "ix_{table}_custom" ON "{table}" USING gin (custom jsonb_path_ops)')


def drop_index(connection, table: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f'DROP INDEX IF EXISTS "ix_{table}_custom"')
