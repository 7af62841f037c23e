"""Contacts as a CSV file: every contact the user may see that passes the list's filters
(GET, the filters as query arguments), or the contacts selected in the list (POST, the
repeated ``ids`` of the list's group form). Rows are written by the core's CSV helper
(``core.records.exports.csv_chunks``) and streamed, a chunk at a time."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user
from sqlalchemy import select

from core import access, db, require
from core.records import entity_type
from core.records.exports import Column, csv_chunks
from plugins.contacts import listing
from plugins.contacts.models import COMPANY, Contact, ContactType, Temperature
from plugins.contacts.schemas import show_phone

bp = Blueprint("contacts_export", __name__, url_prefix="/contacts/export", template_folder="templates")

ENTITY = "contact"
MAX_SELECTION = listing.MAX_SELECTION


def jobs() -> list:
    """The background jobs of this part of the plugin (``register_jobs``)."""
    return []


def columns(user) -> tuple[list[Column], object]:
    """The export's columns (headers in the user's language) and the function that looks up,
    per chunk, the names of the persons' companies (those ``user`` may see)."""
    types = dict(db.session.execute(select(ContactType.id, ContactType.name)).all())
    temperatures = dict(db.session.execute(select(Temperature.id, Temperature.name)).all())
    companies: dict[int, str] = {}

    def look_up_companies(contacts) -> None:
        wanted = {contact.company_id for contact in contacts if contact.company_id} - set(companies)
        if wanted:
            companies.update(db.session.execute(access.filter_query(
                select(Contact.id, Contact.name).where(Contact.id.in_(wanted)), user, "contacts.view",
                ENTITY)).all())

    def values(key: str, show=lambda value: value):
        return lambda contact: ", ".join(show(row["value"]) for row in getattr(contact, key) or [])

    kinds = {COMPANY: _("Company")}
    result = [
        Column(_("Kind"), lambda c: kinds.get(c.kind, _("Person"))),
        Column(_("First name"), lambda c: c.first_name),
        Column(_("Last name"), lambda c: c.last_name),
        Column(_("Company name"), lambda c: c.name if c.kind == COMPANY else ""),
        Column(_("Company"), lambda c: companies.get(c.company_id, "")),
        Column(_("Contact type"), lambda c: types.get(c.type_id, "")),
        Column(_("Temperature"), lambda c: temperatures.get(c.temperature_id, "")),
        Column(_("Emails"), values("emails")),
        Column(_("Phones"), values("phones", show_phone)),
        Column(_("Websites"), values("websites")),
        Column(_("Street"), lambda c: c.billing_street),
        Column(_("Postcode"), lambda c: c.billing_postcode),
        Column(_("City"), lambda c: c.billing_city),
        Column(_("Country"), lambda c: c.billing_country),
        Column(_("Shipping street"), lambda c: c.shipping_street),
        Column(_("Shipping postcode"), lambda c: c.shipping_postcode),
        Column(_("Shipping city"), lambda c: c.shipping_city),
        Column(_("Shipping country"), lambda c: c.shipping_country),
        Column(_("Currency"), lambda c: c.currency),
        Column(_("Description"), lambda c: c.description),
        # In the user's time zone, as a spreadsheet reads a date and time.
        Column(_("Created"), lambda c: to_user_timezone(c.created_at).strftime("%Y-%m-%d %H:%M")),
    ]
    return result, look_up_companies


def _selected_ids() -> list[int] | None:
    """The POSTed ``ids``, or ``None`` if there are none or one is no id."""
    raw = request.form.getlist("ids")
    if not raw or len(raw) > MAX_SELECTION or not all(value.isdigit() for value in raw):
        return None
    return [int(value) for value in raw]


@bp.route("/", methods=["GET", "POST"])
@require("contacts.export")
def export():
    if request.method == "POST":
        ids = _selected_ids()
        if ids is None:
            flash(_("Select at least one contact first."), "danger")
            return redirect(access.local_path(request.form.get("next"), "/contacts")
                            or url_for("contacts_list.index"))
        # Only what the user may see: an id of any other contact is left out.
        query = access.filter_query(select(Contact).where(Contact.id.in_(ids)), current_user, "contacts.view",
                                    ENTITY)
    else:
        query = listing.contact_query(current_user, listing.read_filters(request.args))
    query = query.order_by(Contact.name, Contact.id)
    chosen, before_chunk = columns(current_user)
    chunks = csv_chunks(entity_type(ENTITY), query, chosen, before_chunk=before_chunk, readable=True)
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="contacts.csv"'})
