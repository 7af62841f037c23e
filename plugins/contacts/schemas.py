"""The one rule of what a valid contact is: forms, CSV import, the web form and the API load
through ``ContactSchema``. The import's fast path (``plugins.contacts.fastpath``) is derived
from it and tested against it."""
from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from core.forms import length, one_of
from plugins.contacts.models import COMPANY, KINDS, PERSON, display_name

REQUIRED = _l("Enter a value.")
EMAIL_KINDS = ("work", "home", "other")
PHONE_KINDS = ("work", "mobile", "home", "fax", "other")
WEBSITE_KINDS = ("website", "linkedin", "xing", "facebook", "instagram", "x", "other")
KIND_LABELS = {
    "work": _l("Work"), "home": _l("Home"), "other": _l("Other"), "mobile": _l("Mobile"), "fax": _l("Fax"),
    "website": _l("Website"), "linkedin": "LinkedIn", "xing": "XING", "facebook": "Facebook",
    "instagram": "Instagram", "x": "X",
}
# ISO 4217 codes Kontor knows how to show; babel has them all, a short list keeps the form usable.
DEFAULT_REGION = "DE"
CURRENCIES = ("EUR", "CHF", "USD", "GBP", "PLN", "CZK", "DKK", "SEK", "NOK", "HUF", "JPY", "CNY")


def _messages(**extra):
    return {"required": REQUIRED, "null": REQUIRED, **extra}


def _text(maximum: int, **kwargs):
    return fields.String(load_default="", validate=length(maximum=maximum), error_messages=_messages(), **kwargs)


class Phone(fields.String):
    """A phone number as typed ("0221 123456", "+49 (221) 123-456"), stored in E.164. A number
    without a country code is read as a German one."""

    default_error_messages = {"invalid_phone": _l("Enter a phone number, e.g. +49 221 1234567.")}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        return normalise_phone(text, DEFAULT_REGION, self.make_error("invalid_phone"))


def normalise_phone(text: str, region: str, error: Exception | None = None) -> str:
    """``text`` in E.164, or raise ``error`` (a ``ValidationError``)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise error or ValidationError(str(Phone.default_error_messages["invalid_phone"]))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def show_phone(e164: str) -> str:
    """A stored number the way people write it: national format at home, else international."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class EmailSchema(Schema):
    kind = fields.String(load_default="work", validate=one_of(EMAIL_KINDS))
    value = fields.String(required=True, error_messages=_messages(), validate=[
        length(maximum=254), validate.Email(error=_l("Enter an email address."))])

    @post_load
    def lower(self, data, **kwargs):
        data["value"] = data["value"].strip().lower()
        return data


class PhoneSchema(Schema):
    kind = fields.String(load_default="work", validate=one_of(PHONE_KINDS))
    value = Phone(required=True, error_messages=_messages())


class WebsiteSchema(Schema):
    kind = fields.String(load_default="website", validate=one_of(WEBSITE_KINDS))
    value = fields.String(required=True, error_messages=_messages(), validate=[
        length(maximum=500), validate.URL(error=_l("Enter a web address (https://...)."))])


class ContactSchema(Schema):
    """A person or a company. ``type_ids``/``temperature_ids`` are the ids the admin lists
    hold (``None``: not checked)."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(load_default=PERSON, validate=one_of(KINDS), metadata={"label": _l("Kind")})
    first_name = _text(100, metadata={"label": _l("First name")})
    last_name = _text(100, metadata={"label": _l("Last name")})
    name = _text(300, metadata={"label": _l("Company name")})
    company_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Company")},
                                error_messages=_messages(invalid=_l("Choose one of the offered values.")))
    type_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Contact type")},
                             error_messages=_messages(invalid=_l("Choose one of the offered values.")))
    temperature_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Temperature")},
                                    error_messages=_messages(invalid=_l("Choose one of the offered values.")))
    emails = fields.List(fields.Nested(EmailSchema), load_default=list, metadata={"label": _l("Email")})
    phones = fields.List(fields.Nested(PhoneSchema), load_default=list, metadata={"label": _l("Phone")})
    websites = fields.List(fields.Nested(WebsiteSchema), load_default=list, metadata={"label": _l("Website")})
    billing_street = _text(200, metadata={"label": _l("Street")})
    billing_postcode = _text(20, metadata={"label": _l("Postcode")})
    billing_city = _text(100, metadata={"label": _l("City")})
    billing_country = fields.String(load_default="", metadata={"label": _l("Country")}, validate=validate.Regexp(
        r"^([A-Z]{2})?$", error=_l("Enter a two-letter country code, e.g. DE.")))
    shipping_street = _text(200, metadata={"label": _l("Shipping street")})
    shipping_postcode = _text(20, metadata={"label": _l("Shipping postcode")})
    shipping_city = _text(100, metadata={"label": _l("Shipping city")})
    shipping_country = fields.String(load_default="", metadata={"label": _l("Shipping country")},
                                     validate=validate.Regexp(r"^([A-Z]{2})?$",
                                                              error=_l("Enter a two-letter country code, e.g. DE.")))
    description = _text(10000, metadata={"label": _l("Description")})
    currency = fields.String(load_default="", metadata={"label": _l("Currency")},
                             validate=one_of(("",) + CURRENCIES))
    latitude = fields.Decimal(load_default=None, allow_none=True, places=6, metadata={"label": _l("Latitude")},
                              validate=validate.Range(-90, 90, error=_l("Enter a latitude from -90 to 90.")),
                              error_messages=_messages(invalid=_l("Enter a number.")))
    longitude = fields.Decimal(load_default=None, allow_none=True, places=6, metadata={"label": _l("Longitude")},
                               validate=validate.Range(-180, 180,
                                                       error=_l("Enter a longitude from -180 to 180.")),
                               error_messages=_messages(invalid=_l("Enter a number.")))

    def __init__(self, *args, type_ids=None, temperature_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_ids, self.temperature_ids = type_ids, temperature_ids

    @validates_schema(skip_on_field_errors=False)
    def check_contact(self, data, **kwargs):
        errors = {}
        if data.get("kind") == COMPANY:
            if not data.get("name", "").strip():
                errors["name"] = [REQUIRED]
        else:
            for key in ("first_name", "last_name"):
                if not data.get(key, "").strip():
                    errors[key] = [REQUIRED]
        for key, allowed in (("type_id", self.type_ids), ("temperature_id", self.temperature_ids)):
            if allowed is not None and data.get(key) is not None and data[key] not in allowed:
                errors[key] = [_l("Choose one of the offered values.")]
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            errors["longitude" if data.get("longitude") is None else "latitude"] = [
                _l("Enter both latitude and longitude, or neither.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def derived(self, data, **kwargs):
        """Strip names, and fill the columns derived from the rest: ``name``, ``email``, ``phone``."""
        for key in ("first_name", "last_name", "name"):
            data[key] = data.get(key, "").strip()
        data["name"] = display_name(data["kind"], data["name"], data["first_name"], data["last_name"])
        if data["kind"] == COMPANY:
            data["first_name"] = data["last_name"] = ""
            data["company_id"] = None
        data["email"] = data["emails"][0]["value"] if data["emails"] else ""
        data["phone"] = data["phones"][0]["value"] if data["phones"] else ""
        return data
