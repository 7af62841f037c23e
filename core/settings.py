"""Typed settings declared by plugins (``register_settings``), stored in the database.

Read a value with ``settings.get("module.key")``: the stored value, else the declared
default. Values are cached per process and reloaded when another process changes them.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select

from core import forms
from core.db import db
from core.declarations import Setting
from core.models import SettingValue
from core.runtime import kontor


def declared(module: str | None = None, enabled_only: bool = True) -> list[Setting]:
    items = kontor.registered("register_settings", enabled_only=enabled_only)
    return [s for s in items if module is None or s.module == module]


def declaration(name: str) -> Setting:
    for setting in declared(enabled_only=False):
        if setting.name == name:
            return setting
    raise KeyError(f"no setting named {name!r} is declared")


def _decode(setting: Setting, raw):
    value = setting.default if raw is None else raw
    if setting.type == "decimal" and value is not None:
        return Decimal(str(value))
    return value


def get(name: str):
    """The value of setting ``name`` (e.g. ``"invoicing.prefix"``)."""
    setting = declaration(name)
    return _decode(setting, kontor.state.settings.get(name))


def _field_for(setting: Setting) -> fields.Field:
    options = {"required": setting.required, "metadata": {"label": setting.label, "help": setting.help}}
    bounds = forms.number_range(setting.minimum, setting.maximum) if (
        setting.minimum is not None or setting.maximum is not None) else None
    if setting.type == "integer":
        return fields.Integer(validate=bounds, strict=False, **options)
    if setting.type == "decimal":
        return fields.Decimal(validate=bounds, **options)
    if setting.type == "boolean":
        return fields.Boolean(**options)
    if setting.type == "choice":
        values = [value for value, _label in setting.choices]
        labels = [label for _value, label in setting.choices]
        return fields.String(validate=forms.one_of(values, labels), **options)
    if setting.type == "secret":
        return fields.String(metadata={**options["metadata"], "widget": "password"}, required=False)
    return fields.String(validate=forms.length(maximum=2000), **options)


def field_name(setting: Setting) -> str:
    """The form field of a setting: its name without the module (marshmallow reads dotted
    names as nested data)."""
    return setting.name.split(".", 1)[1]


def schema_for(module: str) -> Schema:
    """A marshmallow schema for the settings page of ``module``."""
    return Schema.from_dict({field_name(s): _field_for(s) for s in declared(module)})()


def masked(value: str | None) -> str:
    """A secret as it may be shown back: never in full."""
    if not value:
        return ""
    return "••••" + (value[-2:] if len(value) >= 8 else "")


def save(module: str, form_data: dict) -> None:
    """Validate and store the settings of ``module``; raises ``ValidationError`` with
    per-field messages and stores nothing then. An empty secret keeps the stored one."""
    items = declared(module)
    data = {}
    for setting in items:
        key = field_name(setting)
        raw = form_data.get(key)
        if setting.type == "boolean":
            data[key] = raw in ("on", "true", "1", True)
        elif setting.type == "secret" and not raw:
            continue
        elif raw in (None, "") and not setting.required:
            data[key] = None
        else:
            data[key] = raw
    loaded = schema_for(module).load({k: v for k, v in data.items() if v is not None})
    for setting in items:
        key = field_name(setting)
        if setting.type == "secret" and key not in loaded:
            continue
        value = loaded.get(key)
        if isinstance(value, Decimal):
            value = str(value)
        row = db.session.get(SettingValue, setting.name)
        if row is None:
            row = SettingValue(name=setting.name)
            db.session.add(row)
        row.value = value
    kontor.bump_revision()
    db.session.commit()
    kontor.refresh(force=True)


def set_value(name: str, value) -> None:
    """Store one setting from code (demo data, tests, a plugin's own admin page)."""
    setting = declaration(name)
    if setting.type == "decimal":
        try:
            value = str(Decimal(str(value)))
        except InvalidOperation as exc:
            raise ValidationError({name: [_("Not a valid number.")]}) from exc
    row = db.session.execute(select(SettingValue).where(SettingValue.name == name)).scalar_one_or_none()
    if row is None:
        row = SettingValue(name=name)
        db.session.add(row)
    row.value = value
    kontor.bump_revision()
    db.session.commit()
    kontor.refresh(force=True)
