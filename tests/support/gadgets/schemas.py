"""Schemas of the widgets and sprockets gadgets convert into (the gadget's own schema is in
views.py). A sprocket's code is short on purpose: tests make the second target of a
conversion fail with a long one."""
from __future__ import annotations

from marshmallow import Schema, fields

from core.forms import length, number_range


class WidgetSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": "Name"})
    size = fields.Integer(load_default=1, validate=number_range(1, 1000), metadata={"label": "Size"})


class SprocketSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": "Name"})
    code = fields.String(required=True, validate=length(1, 5), metadata={"label": "Code"})
