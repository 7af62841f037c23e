"""Staff pages for one contact: new, edit (with "save and create another" and a duplicate
warning), the contact's page, photo, delete and merge; and the admin lists of contact types
and temperatures."""
from __future__ import annotations

import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, or_, select

from core import access, db, records, require, settings
from core.access import has_permission
from core.auth.models import User
from core.forms import translate_errors
from core.records import fields as custom_fields
from core.records import search, tags
from core.records.merge import merge as merge_records
from plugins.contacts import companies
from plugins.contacts.models import COMPANY, PERSON, Contact, ContactType, Temperature
from plugins.contacts.schemas import (CURRENCIES, EMAIL_KINDS, KIND_LABELS, PHONE_KINDS, WEBSITE_KINDS,
                                      ContactSchema, show_phone)

bp = Blueprint("contacts", __name__, url_prefix="/contacts", template_folder="templates")

# Repeated rows on the form (emails, phones, websites): the filled ones plus blank ones.
BLANK_ROWS = 2
MAX_ROWS = 20
PHOTO_MAX_BYTES = 1024 * 1024
PHOTO_BOX = (200, 300)
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ADDRESS_FIELDS = ("billing_street", "billing_postcode", "billing_city", "billing_country",
                  "shipping_street", "shipping_postcode", "shipping_city", "shipping_country")
PLAIN_FIELDS = ("kind", "first_name", "last_name", "name", "type_id", "temperature_id", *ADDRESS_FIELDS,
                "description", "currency", "latitude", "longitude")
ACCESS_LABELS = {access.PRIVATE: _l("Private: managers only"), access.PUBLIC_READ: _l("Everyone may see it"),
                 access.PUBLIC_WRITE: _l("Everyone may see and change it")}


def _choice_ids(model) -> set[int]:
    return set(db.session.execute(select(model.id)).scalars())


def schema() -> ContactSchema:
    """The contact schema with the admin lists' current ids, so a stale or forged id is refused."""
    return ContactSchema(type_ids=_choice_ids(ContactType), temperature_ids=_choice_ids(Temperature))


@bp.app_template_global("contact_phone")
def _contact_phone(value: str) -> str:
    return show_phone(value)


# Reading the form


def _rows(prefix: str) -> tuple[list[dict], list[int]]:
    """The filled rows ``<prefix>-<n>-kind`` / ``<prefix>-<n>-value`` and their form positions."""
    rows, positions = [], []
    for n in range(MAX_ROWS):
        value = request.form.get(f"{prefix}-{n}-value", "").strip()
        if value:
            kind = request.form.get(f"{prefix}-{n}-kind", "")
            rows.append({"kind": kind, "value": value} if kind else {"value": value})
            positions.append(n)
    return rows, positions


def _row_errors(messages: dict, positions: list[int]) -> dict:
    """The schema's errors of list items (by item index) keyed by form position."""
    return {positions[index]: translate_errors(item) for index, item in messages.items()
            if isinstance(index, int) and index < len(positions)}


def _read_photo(upload) -> tuple[bytes, str]:
    """The uploaded photo, resized to fit 200x300: ``(bytes, mime type)``; ValueError says why not."""
    data = upload.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise ValueError(_("The photo is larger than 1 MB."))
    try:
        image = Image.open(io.BytesIO(data))
        image_format = image.format
        if image_format not in PHOTO_FORMATS:
            raise ValueError(_("A photo must be a JPEG, PNG or WebP image."))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValueError(_("This file is not an image Kontor can read. Use a JPEG, PNG or WebP image.")) from None
    image.thumbnail(PHOTO_BOX)
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue(), PHOTO_FORMATS[image_format]


def _managers_from_form() -> list[int]:
    wanted = {int(value) for value in request.form.getlist("managers") if value.isdigit()}
    return list(db.session.execute(select(User.id).where(User.id.in_(wanted), User.active)).scalars())


def _load_form(contact: Contact | None):
    """``(data, form, errors)``: everything the form says, validated all at once."""
    values = {key: request.form.get(key, "").strip() for key in PLAIN_FIELDS}
    for key in ("type_id", "temperature_id", "latitude", "longitude"):
        values[key] = values[key] or None
    emails, email_positions = _rows("emails")
    phones, phone_positions = _rows("phones")
    websites, website_positions = _rows("websites")
    company_name = request.form.get("company", "").strip()
    form = dict(values=values, emails=emails, phones=phones, websites=websites, company=company_name,
                tags=request.form.get("tags", ""), access_mode=request.form.get("access_mode", ""),
                managers=_managers_from_form())
    errors: dict = {}
    data: dict = {}
    try:
        data = schema().load({**values, "emails": emails, "phones": phones, "websites": websites})
    except ValidationError as exc:
        messages = exc.messages
        for key in ("emails", "phones", "websites"):
            if isinstance(messages.get(key), dict):
                positions = {"emails": email_positions, "phones": phone_positions, "websites": website_positions}[key]
                errors[key] = _row_errors(messages.pop(key), positions)
        errors.update({key: translate_errors(value) for key, value in messages.items()})
    try:
        form["custom"] = custom_fields.load_values("contact", request.form)
    except ValidationError as exc:
        form["custom"] = exc.data
        errors["custom"] = exc.messages
    try:
        form["tag_names"] = tags.parse_names(form["tags"])
    except ValidationError as exc:
        errors["tags"] = translate_errors(exc.messages)
    if values["kind"] != COMPANY and company_name:
        company = companies.find(company_name, current_user)
        if company is not None and contact is not None and company.id == contact.id:
            errors["company"] = [_("A contact cannot belong to itself.")]
    if form["access_mode"] not in ACCESS_LABELS:
        errors["access_mode"] = [_("Choose one of the offered values.")]
    upload = request.files.get("photo")
    if upload is not None and upload.filename:
        try:
            form["photo"] = _read_photo(upload)
        except ValueError as exc:
            errors["photo"] = [str(exc)]
    return data, form, errors


# Duplicates


def possible_duplicates(data: dict, company_name: str, exclude_id: int | None = None) -> list[Contact]:
    """Visible contacts with one of the same emails or phones, or the same name (and company)."""
    emails = [row["value"] for row in data.get("emails", [])]
    phones = [row["value"] for row in data.get("phones", [])]
    conditions = []
    if emails:
        conditions.append(Contact.email.in_(emails))
    if phones:
        conditions.append(Contact.phone.in_(phones))
    same_name = Contact.name == data["name"]
    if data["kind"] == COMPANY:
        conditions.append(same_name & (Contact.kind == COMPANY))
    else:
        company = companies.find(company_name, current_user) if company_name else None
        conditions.append(same_name & (Contact.kind == PERSON)
                          & (Contact.company_id == company.id if company else Contact.company_id.is_(None)))
    query = access.filter_query(select(Contact), current_user, "contacts.view", "contact").where(or_(*conditions))
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    return list(db.session.execute(query.order_by(Contact.name, Contact.id).limit(10)).scalars())


# Saving


def _save(contact: Contact | None, data: dict, form: dict) -> Contact:
    """Write the validated form; the caller commits. A person's company that does not exist
    yet is created with it."""
    creating = contact is None
    if creating:
        contact = Contact(access_mode=form["access_mode"])
    if data["kind"] != COMPANY and form["company"]:
        company, created = companies.find_or_create(
            form["company"], form["access_mode"], data["currency"] or settings.get("contacts.default_currency"),
            [current_user.id], user=current_user, actor=current_user)
        if created:
            flash(_("The company %(name)s was created too.", name=company.name), "info")
        data["company_id"] = company.id
    else:
        data["company_id"] = None
    for key, value in data.items():
        setattr(contact, key, value)
    contact.access_mode = form["access_mode"]
    custom_fields.store(contact, form.get("custom", {}))
    if form.get("photo"):
        contact.photo, contact.photo_type = form["photo"]
    db.session.add(contact)
    db.session.flush()
    tags.set_tags("contact", contact.id, form.get("tag_names", []))
    managers = form["managers"] or ([current_user.id] if creating else [])
    if creating or form["managers"]:
        access.set_members("contact", contact, managers, actor=current_user)
    return contact


def _list_choices(model) -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(select(model.id, model.name).order_by(model.position,
                                                                                           model.name))]


def _user_choices() -> list[User]:
    return list(db.session.execute(select(User).where(User.active).order_by(User.name)).scalars())


def _form_page(contact: Contact | None, form: dict, errors: dict, duplicates=()):
    values = form["values"]

    def rows(key: str) -> list[dict]:
        filled = form[key]
        return filled + [{"kind": "", "value": ""}] * BLANK_ROWS

    return render_template(
        "contacts/form.html", contact=contact, values=values, errors=errors, company=form["company"],
        emails=rows("emails"), phones=rows("phones"), websites=rows("websites"),
        email_kinds=EMAIL_KINDS, phone_kinds=PHONE_KINDS, website_kinds=WEBSITE_KINDS, kind_labels=KIND_LABELS,
        type_choices=_list_choices(ContactType), temperature_choices=_list_choices(Temperature),
        currency_choices=[(code, code) for code in CURRENCIES], access_labels=ACCESS_LABELS, access_mode=form["access_mode"],
        users=_user_choices(), managers=set(form["managers"]),
        custom=custom_fields.form_fields("contact", form.get("custom", {}), errors.get("custom")),
        tags_text=form["tags"], tag_errors=errors.get("tags", []), duplicates=duplicates,
    ), (400 if errors else 200)


def _empty_form(kind: str, company: str = "") -> dict:
    values = {key: "" for key in PLAIN_FIELDS}
    values.update(kind=kind, currency=settings.get("contacts.default_currency") or "")
    declared = records.entity_type("contact")
    return dict(values=values, emails=[], phones=[], websites=[], company=company, tags="",
                custom=custom_fields.defaults("contact"), access_mode=declared.default_access,
                managers=[current_user.id])


@bp.route("/new", methods=["GET", "POST"])
@require("contacts.create")
def new():
    kind = COMPANY if request.values.get("kind") == COMPANY else PERSON
    company = ""
    if request.args.get("company_id", "").isdigit():
        found = db.session.execute(access.filter_query(select(Contact), current_user, "contacts.view", "contact")
                                   .where(Contact.id == int(request.args["company_id"]),
                                          Contact.kind == COMPANY)).scalar()
        company = found.name if found else ""
    form, errors, duplicates = _empty_form(kind, company), {}, []
    if request.method == "POST":
        data, form, errors = _load_form(None)
        if not errors:
            duplicates = possible_duplicates(data, form["company"])
            if duplicates and request.form.get("confirm_duplicate") != "1":
                errors = {"duplicates": [_("This contact may exist already. Check the list below, then save "
                                           "anyway or open the existing contact.")]}
            else:
                contact = _save(None, data, form)
                db.session.commit()
                flash(_("%(name)s saved.", name=contact.name), "success")
                if request.form.get("after") == "another":
                    return redirect(url_for("contacts.new", kind=contact.kind))
                return redirect(url_for("contacts.detail", record_id=contact.id))
    return _form_page(None, form, errors, duplicates)


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@require("contacts.edit")
def edit(record_id: int):
    contact = access.get_record_or_404("contact", record_id, "contacts.edit")
    if request.method == "POST":
        data, form, errors = _load_form(contact)
        if not errors:
            _save(contact, data, form)
            db.session.commit()
            flash(_("%(name)s saved.", name=contact.name), "success")
            return redirect(url_for("contacts.detail", record_id=contact.id))
        return _form_page(contact, form, errors)
    company = db.session.get(Contact, contact.company_id) if contact.company_id else None
    values = {key: getattr(contact, key) for key in PLAIN_FIELDS}
    values = {key: ("" if value is None else value) for key, value in values.items()}
    form = dict(values=values, emails=list(contact.emails or []), phones=[
        {"kind": row["kind"], "value": show_phone(row["value"])} for row in contact.phones or []],
        websites=list(contact.websites or []), company=company.name if company else "",
        tags=tags.csv_cell("contact", contact.id), custom=contact.custom or {}, access_mode=contact.access_mode,
        managers=access.members("contact", contact.id))
    return _form_page(contact, form, {})


# The contact's page


def _persons_of(company: Contact) -> list[Contact]:
    query = access.filter_query(select(Contact), current_user, "contacts.view", "contact").where(
        Contact.company_id == company.id).order_by(Contact.last_name, Contact.first_name, Contact.id)
    return list(db.session.execute(query).scalars())


def contact_context(contact: Contact) -> dict:
    """What the contact's page and the customer overview's profile tab show."""
    company = None
    if contact.company_id:
        company = db.session.execute(access.filter_query(select(Contact), current_user, "contacts.view", "contact")
                                     .where(Contact.id == contact.company_id)).scalar()
    return dict(
        contact=contact, company=company, persons=_persons_of(contact) if contact.is_company else [],
        contact_type=db.session.get(ContactType, contact.type_id) if contact.type_id else None,
        temperature=db.session.get(Temperature, contact.temperature_id) if contact.temperature_id else None,
        managers=db.session.execute(select(User).where(User.id.in_(access.members("contact", contact.id)))
                                    .order_by(User.name)).scalars().all(),
        kind_labels=KIND_LABELS, access_labels=ACCESS_LABELS, has_photo=bool(contact.photo_type),
        tile_url=settings.get("contacts.map_tile_url") or "",
    )


@bp.get("/<int:record_id>")
@require("contacts.view")
def detail(record_id: int):
    contact = access.get_record_or_404("contact", record_id, "contacts.view")
    return render_template("contacts/detail.html", **contact_context(contact),
                           may_edit=access.record_allows(current_user, contact, "write")
                           and has_permission(current_user, "contacts.edit", contact),
                           may_delete=has_permission(current_user, "contacts.delete", contact))


@bp.get("/<int:record_id>/photo")
@require("contacts.view")
def photo(record_id: int):
    contact = access.get_record_or_404("contact", record_id, "contacts.view")
    if not contact.photo_type:
        abort(404)
    response = Response(contact.photo, mimetype=contact.photo_type)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/<int:record_id>/photo/delete")
@require("contacts.edit")
def delete_photo(record_id: int):
    contact = access.get_record_or_404("contact", record_id, "contacts.edit")
    contact.photo, contact.photo_type = None, ""
    db.session.commit()
    flash(_("Photo removed."), "success")
    return redirect(url_for("contacts.detail", record_id=contact.id))


@bp.post("/<int:record_id>/delete")
@require("contacts.delete")
def delete(record_id: int):
    contact = access.get_record_or_404("contact", record_id, "contacts.delete")
    name = contact.name
    records.delete_record("contact", contact, user=current_user)
    db.session.commit()
    flash(_("%(name)s deleted.", name=name), "success")
    return redirect(url_for("contacts_list.index"))


# Merging two contacts

MERGE_FIELDS = ("first_name", "last_name", "name", "company_id", "type_id", "temperature_id", "email", "phone",
                *ADDRESS_FIELDS, "description", "currency", "latitude", "longitude")
MERGE_LABELS = {"first_name": _l("First name"), "last_name": _l("Last name"), "name": _l("Name"),
                "company_id": _l("Company"), "type_id": _l("Contact type"), "temperature_id": _l("Temperature"),
                "email": _l("Email"), "phone": _l("Phone"), "billing_street": _l("Street"),
                "billing_postcode": _l("Postcode"), "billing_city": _l("City"), "billing_country": _l("Country"),
                "shipping_street": _l("Shipping street"), "shipping_postcode": _l("Shipping postcode"),
                "shipping_city": _l("Shipping city"), "shipping_country": _l("Shipping country"),
                "description": _l("Description"), "currency": _l("Currency"), "latitude": _l("Latitude"),
                "longitude": _l("Longitude")}


def _merged_lists(first: list, second: list) -> list:
    """Both contacts' emails (phones, websites), the survivor's first, without repeats."""
    seen, result = set(), []
    for row in [*(first or []), *(second or [])]:
        if row["value"] not in seen:
            seen.add(row["value"])
            result.append(row)
    return result


def _shown(contact: Contact, key: str) -> str:
    value = getattr(contact, key)
    if key == "company_id" and value:
        company = db.session.get(Contact, value)
        return company.name if company else ""
    if key == "type_id" and value:
        return db.session.get(ContactType, value).name
    if key == "temperature_id" and value:
        return db.session.get(Temperature, value).name
    if key == "phone" and value:
        return show_phone(value)
    return "" if value is None else str(value)


@bp.route("/<int:record_id>/merge", methods=["GET", "POST"])
@require("contacts.delete")
def merge(record_id: int):
    """Merge another contact into this one: pick the other contact, then per field which value stays."""
    survivor = access.get_record_or_404("contact", record_id, "contacts.delete")
    other = None
    other_id = request.values.get("other", "")
    if other_id.isdigit():
        other = access.get_record_or_404("contact", int(other_id), "contacts.delete")
        if other.id == survivor.id or other.kind != survivor.kind:
            flash(_("Choose another contact of the same kind (person or company)."), "danger")
            return redirect(url_for("contacts.merge", record_id=survivor.id))
    if other is None:
        query = request.args.get("q", "").strip()
        candidates = []
        if query:
            candidates = db.session.execute(
                access.filter_query(select(Contact), current_user, "contacts.delete", "contact")
                .where(Contact.kind == survivor.kind, Contact.id != survivor.id, search.condition("contact", query))
                .order_by(Contact.name).limit(20)).scalars().all()
        return render_template("contacts/merge_pick.html", contact=survivor, query=query, candidates=candidates)
    fields = [key for key in MERGE_FIELDS if _shown(survivor, key) != _shown(other, key)
              and not (survivor.is_company and key in ("first_name", "last_name", "company_id"))]
    if request.method == "POST":
        values = {}
        for key in fields:
            source = other if request.form.get(key) == "other" else survivor
            values[key] = getattr(source, key)
        if survivor.kind == PERSON:
            values["name"] = " ".join(part for part in (values.get("first_name", survivor.first_name),
                                                        values.get("last_name", survivor.last_name)) if part)
        if values.get("company_id") == survivor.id:
            values["company_id"] = None
        for key in ("emails", "phones", "websites"):
            values[key] = _merged_lists(getattr(survivor, key), getattr(other, key))
        survivor_custom, other_custom = dict(survivor.custom or {}), dict(other.custom or {})
        values["custom"] = {**other_custom, **survivor_custom}
        if not survivor.photo_type and other.photo_type:
            values["photo"], values["photo_type"] = other.photo, other.photo_type
        # Persons of the merged company now belong to the survivor.
        db.session.execute(Contact.__table__.update().where(Contact.company_id == other.id)
                           .values(company_id=survivor.id))
        other_name = other.name
        merge_records("contact", survivor, other, values, user=current_user)
        db.session.commit()
        flash(_("%(other)s was merged into %(name)s.", other=other_name, name=survivor.name), "success")
        return redirect(url_for("contacts.detail", record_id=survivor.id))
    return render_template("contacts/merge.html", contact=survivor, other=other,
                           rows=[(key, MERGE_LABELS[key], _shown(survivor, key), _shown(other, key)) for key in fields])


# Admin lists: contact types and temperatures

LISTS = {"types": (ContactType, _l("Contact types")), "temperatures": (Temperature, _l("Temperatures"))}
# What an empty list offers to start with, in the admin's language: (name, colour).
USUAL_ENTRIES = {"types": ((_l("Customer"), ""), (_l("Supplier"), ""), (_l("Partner"), ""), (_l("Competitor"), "")),
                 "temperatures": ((_l("Cold"), "#0d6efd"), (_l("Warm"), "#fd7e14"), (_l("Hot"), "#dc3545"))}


def settings_tabs() -> list[tuple[str, str, str]]:
    """The tabs of the contacts settings pages (M3): ``(name, label, url)``."""
    from flask import current_app

    tabs = [("types", _("Contact types"), url_for("contacts.admin_list", kind="types")),
            ("temperatures", _("Temperatures"), url_for("contacts.admin_list", kind="temperatures")),
            ("fields", _("Custom fields"), url_for("records_fields.definition_list", entity_type="contact")),
            ("tags", _("Tags"), url_for("records_tags.tag_list", entity_type="contact"))]
    if "contacts_webforms.index" in current_app.view_functions:
        tabs.append(("webforms", _("Web forms"), url_for("contacts_webforms.index")))
    if has_permission(current_user, "core.admin"):
        tabs.append(("general", _("Currency and map"), url_for("admin.module_settings", module="contacts")))
    return tabs


@bp.get("/settings/")
@require("contacts.admin")
def settings_home():
    return redirect(url_for("contacts.admin_list", kind="types"))


def _list_or_404(kind: str):
    if kind not in LISTS:
        abort(404)
    return LISTS[kind]


@bp.route("/settings/<kind>", methods=["GET", "POST"])
@require("contacts.admin")
def admin_list(kind: str):
    model, title = _list_or_404(kind)
    error = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        taken = db.session.execute(select(model.id).where(func.lower(model.name) == name.lower())).first()
        if not name or len(name) > 100:
            error = _("Enter a name of at most 100 characters.")
        elif taken:
            error = _("This name exists already.")
        else:
            item = model(name=name, position=(db.session.execute(select(func.max(model.position))).scalar() or 0) + 1)
            if model is Temperature:
                color = request.form.get("color", "")
                item.color = color if len(color) == 7 and color.startswith("#") else "#6c757d"
            db.session.add(item)
            db.session.commit()
            flash(_("%(name)s added.", name=name), "success")
            return redirect(url_for("contacts.admin_list", kind=kind))
    items = db.session.execute(select(model).order_by(model.position, model.name)).scalars().all()
    used = dict(db.session.execute(select(getattr(Contact, "type_id" if model is ContactType else "temperature_id"),
                                          func.count()).group_by(getattr(Contact, "type_id" if model is ContactType
                                                                         else "temperature_id"))).all())
    return render_template("contacts/admin_list.html", kind=kind, title=title, entries=items, used=used,
                           error=error, tabs=settings_tabs(), usual=[str(name) for name, _color in USUAL_ENTRIES[kind]]), \
        (400 if error else 200)


@bp.post("/settings/<kind>/usual")
@require("contacts.admin")
def admin_list_usual(kind: str):
    """Fill an empty list with the usual entries."""
    model, _title = _list_or_404(kind)
    if db.session.execute(select(model.id).limit(1)).first() is None:
        for position, (name, color) in enumerate(USUAL_ENTRIES[kind], start=1):
            item = model(name=str(name), position=position)
            if color:
                item.color = color
            db.session.add(item)
        db.session.commit()
    return redirect(url_for("contacts.admin_list", kind=kind))


@bp.post("/settings/<kind>/<int:item_id>/delete")
@require("contacts.admin")
def admin_list_delete(kind: str, item_id: int):
    model, _title = _list_or_404(kind)
    item = db.session.get(model, item_id) or abort(404)
    name = item.name
    # Contacts keep existing: their type or temperature becomes "not specified".
    column = Contact.type_id if model is ContactType else Contact.temperature_id
    db.session.execute(Contact.__table__.update().where(column == item_id).values({column.key: None}))
    db.session.delete(item)
    db.session.commit()
    flash(_("%(name)s deleted; its contacts have none now.", name=name), "success")
    return redirect(url_for("contacts.admin_list", kind=kind))


# The customer overview's tabs (``customer_tabs``)

SERVICE_TABS = (("notes", _l("Notes"), 30), ("files", _l("Files"), 40), ("reminders", _l("Reminders"), 50),
                ("timeline", _l("Timeline"), 60), ("links", _l("Dependencies"), 70))


def customer_tabs(customer) -> list:
    from core import Tab

    if not isinstance(customer, Contact) or not has_permission(current_user, "contacts.view", customer):
        return []
    context = contact_context(customer)
    tabs = [Tab("profile", _l("Profile"), lambda: render_template("contacts/_profile.html", **context), order=10)]
    if customer.is_company:
        tabs.append(Tab("persons", _l("Persons"), lambda: render_template("contacts/_persons.html", **context),
                        order=20))
    for part, label, order in SERVICE_TABS:
        tabs.append(Tab(part, label, lambda part=part: render_template("contacts/_service_tab.html", part=part,
                                                                         contact=customer), order=order))
    tabs.append(Tab("map", _l("Map"), lambda: render_template("contacts/_map.html", **context), order=90))
    return tabs


# The map tab's tile


@bp.app_template_global("map_tile")
def map_tile(tile_url: str, latitude, longitude, zoom: int = 15) -> str:
    """The URL of the tile showing the place (``{z}/{x}/{y}`` of the configured server), and
    that server allowed as an image source for this page."""
    import math
    from urllib.parse import urlsplit

    from core.app import allow_image_source

    lat = math.radians(float(latitude))
    n = 2 ** zoom
    x = int((float(longitude) + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(lat)) / math.pi) / 2.0 * n)
    parts = urlsplit(tile_url)
    allow_image_source(f"{parts.scheme}://{parts.netloc}")
    return tile_url.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))
