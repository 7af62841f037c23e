"""Forms rendered from marshmallow schemas: the schema is the one rule for forms, imports
and the API; ``form_fields`` turns it into what the ``form`` macro draws."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, missing, validate


@dataclass
class FormField:
    name: str
    label: str
    widget: str
    required: bool
    value: Any
    errors: list[str]
    choices: list[tuple[str, str]]
    help: str = ""


def _widget(field: fields.Field) -> str:
    if "widget" in field.metadata:
        return field.metadata["widget"]
    if isinstance(field, fields.Boolean):
        return "checkbox"
    if isinstance(field, fields.Email):
        return "email"
    if isinstance(field, (fields.Integer,)):
        return "number"
    if any(isinstance(v, validate.OneOf) for v in _validators(field)):
        return "select"
    return "text"


def _validators(field: fields.Field) -> list:
    return list(field.validators or [])


def _choices(field: fields.Field) -> list[tuple[str, str]]:
    for validator in _validators(field):
        if isinstance(validator, validate.OneOf):
            labels = list(validator.labels) if validator.labels else list(validator.choices)
            return [(str(c), str(lbl)) for c, lbl in zip(validator.choices, labels)]
    return []


def translate_errors(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in translate_errors(value)]
    if isinstance(messages, (list, tuple)):
        return [m for value in messages for m in translate_errors(value)]
    return [gettext(str(messages))]


def form_fields(schema: Schema, values: dict | None = None, errors: dict | None = None) -> list[FormField]:
    values = values or {}
    errors = errors or {}
    result = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        default = field.load_default
        if default is missing or callable(default):  # marshmallow's "no default" is not a value to show
            default = None
        value = values.get(name, default)
        result.append(FormField(
            name=name,
            label=str(field.metadata.get("label", name)),
            widget=_widget(field),
            required=field.required,
            value="" if value is None else value,
            errors=translate_errors(errors.get(name, [])),
            choices=_choices(field),
            help=str(field.metadata.get("help", "")),
        ))
    return result


# Validators with messages in the user's language. marshmallow fills in {min}/{max} after
# translation, so the German text keeps its own word order. Use these instead of
# marshmallow.validate's own for anything a user sees.

def one_of(choices, labels=None) -> validate.OneOf:
    return validate.OneOf(choices, labels, error=_l("Choose one of the offered values."))


def _bounds_message(minimum, maximum, both, at_least, at_most):
    if minimum is not None and maximum is not None:
        return both
    return at_least if minimum is not None else at_most


def number_range(minimum=None, maximum=None) -> validate.Range:
    message = _bounds_message(minimum, maximum, _l("Enter a number from {min} to {max}."),
                              _l("Enter a number of at least {min}."), _l("Enter a number of at most {max}."))
    return validate.Range(min=minimum, max=maximum, error=message)


def length(minimum=None, maximum=None) -> validate.Length:
    message = _bounds_message(minimum, maximum, _l("Enter between {min} and {max} characters."),
                              _l("Enter at least {min} characters."), _l("Enter at most {max} characters."))
    return validate.Length(min=minimum, max=maximum, error=message)
