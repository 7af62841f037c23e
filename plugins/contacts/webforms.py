"""Web contact forms: an admin builds a form from the contact fields; the company's website
embeds it (a plain HTML snippet posting to Kontor) or links to its hosted page
``/forms/<key>``. A valid submission creates a contact, managed by the form's managers (who
are notified), with the form's tags and a note holding the message.

The public endpoint takes posts from other sites, which cannot carry Kontor's CSRF token, so
it alone is exempt from CSRF; a honeypot field, a rate limit per address and the validation
(``ContactSchema``, the one rule of a contact) keep the rubbish out.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from limits import parse
from marshmallow import EXCLUDE, Schema, ValidationError, validate, validates_schema
from marshmallow import fields as ma_fields
from sqlalchemy import func, select

from core import access, db, public, require, settings
from core.app import allow_form_target, csrf
from core.auth.models import User
from core.forms import FormField, length, translate_errors
from core.i18n import DEFAULT_LANGUAGE
from core.records import entity_type, tags, timeline
from core.records import fields as custom_fields
from core.records.models import Note
from plugins.contacts import companies
from plugins.contacts.models import COMPANY, PERSON, Contact, WebForm
from plugins.contacts.schemas import ContactSchema

bp = Blueprint("contacts_webforms", __name__, template_folder="templates")

ENTITY = "contact"
# The hidden field people never see and bots fill in; its name looks worth filling.
HONEYPOT = "website"
DEFAULT_LIMIT = "10 per hour"  # submissions per address and form (config WEBFORM_LIMIT)
REQUIRED = _l("Enter a value.")

# The contact fields a form can ask for: name -> (label, input type). Custom fields of
# contacts come after them as "cf_<key>".
STANDARD_FIELDS = {
    "first_name": (_l("First name"), "text"),
    "last_name": (_l("Last name"), "text"),
    "company": (_l("Company name"), "text"),
    "email": (_l("Email"), "email"),
    "phone": (_l("Phone"), "tel"),
    "street": (_l("Street"), "text"),
    "postcode": (_l("Postcode"), "text"),
    "city": (_l("City"), "text"),
    "message": (_l("Your message"), "textarea"),
}
# Where a form field goes in ContactSchema, and back (for its error messages).
SCHEMA_KEYS = {"first_name": "first_name", "last_name": "last_name", "company": "name",
               "street": "billing_street", "postcode": "billing_postcode", "city": "billing_city",
               "message": "description"}
FORM_KEYS = {**{schema: name for name, schema in SCHEMA_KEYS.items()}, "emails": "email", "phones": "phone"}


def jobs() -> list:
    """The background jobs of this part of the plugin (``register_jobs``)."""
    return []


def available_fields() -> dict[str, str]:
    """Every field a form may ask for: name -> label (the contact custom fields included)."""
    result = {name: str(label) for name, (label, _type) in STANDARD_FIELDS.items()}
    result.update({f"cf_{d.key}": d.label for d in custom_fields.definitions(ENTITY)})
    return result


# Building a form (contacts.admin)


def _http_url(value: str) -> None:
    """Empty, or a web address: no javascript:, data: or other schemes to send visitors to."""
    if value:
        validate.URL(schemes={"http", "https"},
                     error=_l("Enter a web address starting with http:// or https://."))(value)


class WebFormSchema(Schema):
    """What an admin enters for a form; ``fields`` is ``[{"field", "required"}]``."""

    class Meta:
        unknown = EXCLUDE

    name = ma_fields.String(required=True, validate=length(maximum=200), error_messages={"required": REQUIRED})
    fields = ma_fields.List(ma_fields.Dict(), load_default=list)
    consent_text = ma_fields.String(load_default="", validate=length(maximum=2000))
    thank_you = ma_fields.String(load_default="", validate=length(maximum=5000))
    redirect_url = ma_fields.String(load_default="", validate=[length(maximum=2000), _http_url])
    manager_ids = ma_fields.List(ma_fields.Integer(), load_default=list)
    tags = ma_fields.String(load_default="", validate=length(maximum=500))
    active = ma_fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)  # every mistake at once
    def check(self, data, **kwargs):
        chosen = {row["field"] for row in data.get("fields", [])}
        errors = {}
        if "name" in data and not data["name"].strip():
            errors["name"] = [str(REQUIRED)]
        if not chosen:
            errors["fields"] = [_("Choose the fields of the form.")]
        elif ("first_name" in chosen) != ("last_name" in chosen):
            errors["fields"] = [_("Ask for the first name and the last name together.")]
        elif "last_name" not in chosen and "company" not in chosen:
            errors["fields"] = [_("Ask for the first and last name or the company name, so the contact has a "
                                  "name.")]
        elif not {"email", "phone"} & chosen:
            errors["fields"] = [_("Ask for the email address or the phone number, so you can answer.")]
        if not data.get("manager_ids"):
            errors["manager_ids"] = [_("Choose at least one manager, so somebody sees the new contacts.")]
        else:
            wanted = set(data["manager_ids"])
            active = set(db.session.execute(select(User.id).where(User.id.in_(wanted), User.active)).scalars())
            if wanted - active:
                errors["manager_ids"] = [_("Choose managers among the active users.")]
        try:
            tags.parse_names(data.get("tags", ""))
        except ValidationError as exc:
            errors["tags"] = translate_errors(exc.messages)
        if errors:
            raise ValidationError(errors)


def _builder_input() -> dict:
    """The builder form as ``WebFormSchema`` takes it."""
    known = available_fields()
    chosen = [{"field": name, "required": f"required_{name}" in request.form}
              for name in known if f"field_{name}" in request.form]
    return {
        "name": request.form.get("name", "").strip(),
        "fields": chosen,
        "consent_text": request.form.get("consent_text", "").strip(),
        "thank_you": request.form.get("thank_you", "").strip(),
        "redirect_url": request.form.get("redirect_url", "").strip(),
        "manager_ids": [value for value in request.form.getlist("managers") if value.isdigit()],
        "tags": request.form.get("tags", "").strip(),
        "active": "active" in request.form,
    }


def _form_or_404(form_id: int) -> WebForm:
    form = db.session.get(WebForm, form_id)
    if form is None:
        abort(404)
    return form


def _builder_page(form: WebForm | None, values: dict, errors: dict):
    users = db.session.execute(select(User).where(User.active).order_by(User.name)).scalars().all()
    chosen = {row["field"]: row["required"] for row in values["fields"]}
    return render_template("contacts/webforms/form.html", form=form, values=values, errors=errors,
                           available=available_fields(), chosen=chosen, users=users,
                           managers={int(m) for m in values["manager_ids"]}), (400 if errors else 200)


def _save(form: WebForm | None):
    values = _builder_input()
    try:
        data = WebFormSchema().load(values)
    except ValidationError as exc:
        flash(_("Please correct the marked fields."), "danger")
        return _builder_page(form, values, {key: translate_errors(m) for key, m in exc.messages.items()})
    if form is None:
        form = WebForm(key=secrets.token_urlsafe(16))
        db.session.add(form)
    for key, value in data.items():
        setattr(form, key, value)
    form.tags = ", ".join(tags.parse_names(data["tags"]))
    db.session.commit()
    flash(_("The web form %(name)s is saved.", name=form.name), "success")
    return redirect(url_for("contacts_webforms.snippet", form_id=form.id))


@bp.get("/contacts/webforms/")
@require("contacts.admin")
def index():
    forms = db.session.execute(select(WebForm).order_by(func.lower(WebForm.name), WebForm.id)).scalars().all()
    return render_template("contacts/webforms/index.html", forms=forms)


@bp.route("/contacts/webforms/new", methods=["GET", "POST"])
@require("contacts.admin")
def new():
    if request.method == "POST":
        return _save(None)
    values = {"name": "", "fields": [{"field": name, "required": name in ("first_name", "last_name", "email")}
                                     for name in ("first_name", "last_name", "email", "phone", "message")],
              "consent_text": "", "thank_you": "", "redirect_url": "", "manager_ids": [current_user.id],
              "tags": "", "active": True}
    return _builder_page(None, values, {})


@bp.route("/contacts/webforms/<int:form_id>/edit", methods=["GET", "POST"])
@require("contacts.admin")
def edit(form_id: int):
    form = _form_or_404(form_id)
    if request.method == "POST":
        return _save(form)
    values = {key: getattr(form, key) for key in WebFormSchema().fields}
    return _builder_page(form, values, {})


@bp.get("/contacts/webforms/<int:form_id>")
@require("contacts.admin")
def snippet(form_id: int):
    form = _form_or_404(form_id)
    action = absolute_url(form)
    code = render_template("contacts/webforms/_snippet.html", form=form, action=action,
                           fields=public_fields(form, {}, {}), honeypot=HONEYPOT)
    code = "\n".join(line.rstrip() for line in code.splitlines() if line.strip())  # no template blank lines
    return render_template("contacts/webforms/snippet.html", form=form, action=action, code=code)


@bp.post("/contacts/webforms/<int:form_id>/active")
@require("contacts.admin")
def switch(form_id: int):
    form = _form_or_404(form_id)
    form.active = request.form.get("active") == "1"
    db.session.commit()
    flash((_("The web form %(name)s takes submissions again.") if form.active
           else _("The web form %(name)s is closed: it takes no submissions.")) % {"name": form.name}, "success")
    return redirect(url_for("contacts_webforms.index"))


@bp.post("/contacts/webforms/<int:form_id>/delete")
@require("contacts.admin")
def delete(form_id: int):
    form = _form_or_404(form_id)
    db.session.delete(form)
    db.session.commit()
    flash(_("The web form %(name)s is deleted. Contacts it created stay.", name=form.name), "success")
    return redirect(url_for("contacts_webforms.index"))


def absolute_url(form: WebForm) -> str:
    """The hosted page's address for other sites: ``KONTOR_BASE_URL`` if set, else this host."""
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    path = url_for("contacts_webforms.public_form", key=form.key)
    return base + path if base else url_for("contacts_webforms.public_form", key=form.key, _external=True)


# The public side


def public_fields(form: WebForm, submitted, errors: dict) -> list[FormField]:
    """The form's inputs in the order the admin chose, with what was ``submitted`` (the
    request's form, or ``{}``) and the error messages by input name."""
    custom = {field.name: field for field in custom_fields.form_fields(ENTITY) if field.widget != "heading"}
    result = []
    for row in form.fields:
        name, required = row["field"], bool(row.get("required"))
        if name in STANDARD_FIELDS:
            label, widget = STANDARD_FIELDS[name]
            result.append(FormField(name=name, label=str(label), widget=widget, required=required,
                                    value=submitted.get(name, ""), errors=errors.get(name, []), choices=[]))
        elif name in custom:  # a custom field deleted since is left out
            field = custom[name]
            if field.widget == "multiselect":
                value = submitted.getlist(name) if hasattr(submitted, "getlist") else []
            elif field.widget == "checkbox":
                value = name in submitted
            else:
                value = submitted.get(name, "")
            result.append(FormField(name=name, label=field.label, widget=field.widget,
                                    required=required or field.required, value=value,
                                    errors=errors.get(name, []), choices=field.choices, help=field.help))
    return result


@dataclass
class Submission:
    """A checked submission: the contact's data, its custom values, or the errors by field."""

    data: dict
    custom: dict
    errors: dict


def _custom_values(form: WebForm, errors: dict) -> dict:
    """The custom fields on the form, validated by their field types; errors go into ``errors``."""
    keys = [row["field"][3:] for row in form.fields if row["field"].startswith("cf_")]
    definitions = {d.key: d for d in custom_fields.definitions(ENTITY) if d.key in keys}
    picked = {key: field for key, field in custom_fields.schema_fields(ENTITY).items() if key in definitions}
    raw = {}
    for key, definition in definitions.items():
        name = f"cf_{key}"
        if definition.type == "multiple_choice":
            value = [v for v in request.form.getlist(name) if v.strip()]
        elif definition.type == "checkbox":
            value = name in request.form
        else:
            value = request.form.get(name, "").strip()
        if value not in ("", [], None):
            raw[key] = value
    try:
        loaded = Schema.from_dict(picked)().load(raw)
    except ValidationError as exc:
        errors.update({f"cf_{key}": translate_errors(messages) for key, messages in exc.messages.items()})
        return {}
    return {key: timeline.json_safe(value) for key, value in loaded.items()}


def check_submission(form: WebForm) -> Submission:
    """Validate a submission: the form's required fields and consent, then the contact by
    ``ContactSchema`` and the custom fields by their types. Every error at once."""
    chosen = {row["field"]: bool(row.get("required")) for row in form.fields}
    values = {name: request.form.get(name, "").strip() for name in chosen if name in STANDARD_FIELDS}
    errors: dict[str, list[str]] = {}
    for name, required in chosen.items():
        if required and name in STANDARD_FIELDS and not values[name]:
            errors[name] = [_("Enter a value.")]
        elif required and name.startswith("cf_") and not any(v.strip() for v in request.form.getlist(name)):
            errors[name] = [_("Enter a value.")]  # a required checkbox: it must be ticked
    if form.consent_text and request.form.get("consent") != "yes":
        errors["consent"] = [_("Please agree to this, or we cannot take your message.")]
    has_names = "last_name" in chosen
    is_company = not has_names or (not values.get("first_name") and not values.get("last_name")
                                   and bool(values.get("company")))
    data = {"kind": COMPANY if is_company else PERSON}
    for name, key in SCHEMA_KEYS.items():
        if name in values and not (name == "company" and not is_company):
            data[key] = values[name]
    if values.get("email"):
        data["emails"] = [{"kind": "work", "value": values["email"]}]
    if values.get("phone"):
        data["phones"] = [{"kind": "work", "value": values["phone"]}]
    loaded: dict = {}
    try:
        loaded = ContactSchema().load(data)
    except ValidationError as exc:
        for key, messages in exc.messages.items():  # emails and phones: {0: {"value": ...}}
            name = FORM_KEYS.get(key, key)
            known = errors.setdefault(name, [])
            known.extend(message for message in translate_errors(messages) if message not in known)
    custom = _custom_values(form, errors)
    return Submission(data=loaded, custom=custom, errors=errors)


def _blocked() -> bool:
    """Count this submission against the address's limit; whether it is over it."""
    limiter = current_app.extensions["kontor_throttle"].limiter
    limit = parse(current_app.config.get("WEBFORM_LIMIT", DEFAULT_LIMIT))
    keys = ("webform", request.view_args.get("key", ""), request.remote_addr or "unknown")
    return not limiter.hit(limit, *keys)


def create_contact(form: WebForm, submission: Submission) -> Contact:
    """The contact of a valid submission, its company (for a person who named one), the
    form's managers (notified by ``set_members``), tags and a note with the message. The
    caller commits."""
    declared = entity_type(ENTITY)
    # Managers deactivated since the form was saved are left out.
    managers = list(db.session.execute(select(User.id).where(User.id.in_(form.manager_ids or []), User.active))
                    .scalars())
    data = dict(submission.data)
    company_name = request.form.get("company", "").strip() if data["kind"] == PERSON else ""
    currency = settings.get("contacts.default_currency") or ""
    data["currency"] = data.get("currency") or currency
    contact = Contact(**data, access_mode=declared.default_access)
    custom_fields.store(contact, submission.custom)
    db.session.add(contact)
    if company_name:
        # An existing company of that name is linked, so repeated messages make no duplicates.
        company, _created = companies.find_or_create(company_name, declared.default_access, currency, managers)
        contact.company_id = company.id
    db.session.flush()
    access.set_members(ENTITY, contact, managers)
    tags.set_tags(ENTITY, contact.id, tags.parse_names(form.tags))
    # In the workspace's language: the note is read by staff, not by the visitor.
    with force_locale(DEFAULT_LANGUAGE):
        text = _("Created from the web form \u201c%(form)s\u201d.", form=form.name)
    if data.get("description"):
        text += "\n\n" + data["description"]
    db.session.add(Note(entity_type=ENTITY, record_id=contact.id, author_id=None, text=text))
    timeline.record_event(ENTITY, contact.id, "note_added", summary=text[:200])
    return contact


def _public_page(form: WebForm, state: str, fields=(), status: int = 200, errors: dict | None = None):
    page = render_template("contacts/webforms/public.html", form=form, state=state, fields=fields,
                           errors=errors or {}, honeypot=HONEYPOT, consent=request.form.get("consent") == "yes")
    if form.redirect_url:  # the form's post ends on the thank-you page of the company's site
        target = urlsplit(form.redirect_url)
        allow_form_target(f"{target.scheme}://{target.netloc}")
    return page, status


@bp.route("/forms/<key>", methods=["GET", "POST"])
@public
def public_form(key: str):
    form = db.session.execute(select(WebForm).where(WebForm.key == key)).scalars().first()
    if form is None:
        abort(404)
    if not form.active:
        return _public_page(form, "closed", status=410)
    if request.method == "GET":
        return _public_page(form, "form", public_fields(form, {}, {}))
    if _blocked():
        return _public_page(form, "limited", status=429)
    if request.form.get(HONEYPOT, "").strip():
        return _thanks(form)  # a bot: it sees what a person would, and nothing is stored
    submission = check_submission(form)
    if submission.errors:
        return _public_page(form, "form", public_fields(form, request.form, submission.errors), status=400,
                            errors=submission.errors)
    create_contact(form, submission)
    db.session.commit()
    return _thanks(form)


def _thanks(form: WebForm):
    if form.redirect_url:
        return redirect(form.redirect_url, code=303)
    return _public_page(form, "thanks")


# Other sites post here without Kontor's CSRF token; see the module's docstring.
csrf.exempt(public_form)
