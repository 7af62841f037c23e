"""The contacts list: keyset pages sorted by name or date added, filters and a quick search
in SQL, and group operations on the selected rows (add a tag, change the manager, export,
delete, and every bulk action other modules offer through the ``bulk_actions`` hook).

Every query goes through ``access.filter_query``, so the list, its pages and the group
operations agree with what the user may see and change. A page costs the same few queries
at any depth (``core.listing.paginate`` finds it by the last row of the page before, never
by ``OFFSET``), and nothing counts the whole table."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, to_utc
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import and_, func, select, true

from core import access, db, records, require, settings
from core.access import has_permission
from core.auth.models import User
from core.listing import Page, paginate
from core.models import RecordMember
from core.records.models import Tag, TagLink
from core.records import fields as custom_fields
from core.records import search, tags
from plugins.contacts.models import COMPANY, KINDS, PERSON, Contact, ContactType, Temperature
from plugins.contacts.schemas import show_phone

bp = Blueprint("contacts_list", __name__, url_prefix="/contacts", template_folder="templates",
               static_folder="static", static_url_path="/list-static")

ENTITY = "contact"
# Sort keys of the list, and the direction each starts in.
SORTS = {"name": Contact.name, "created": Contact.created_at}
FIRST_DIRECTION = {"name": "asc", "created": "desc"}
# The filters the form offers besides the custom fields (cf_<key>); ``q`` is the quick search.
FILTERS = ("q", "kind", "type", "temperature", "tag", "manager", "created_from", "created_to")
# The most ids one group operation takes (a page holds at most a few hundred rows).
MAX_SELECTION = 1000


def jobs() -> list:
    """The background jobs of this part of the plugin (``register_jobs``)."""
    return []


# Building the list


@dataclass
class Filters:
    """What the filter form holds (``values``, to show it again), what was wrong with it
    (``errors``, by field), and the SQL conditions of the valid ones."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    conditions: list = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(self.values.values())


@dataclass
class ContactPage:
    """One page of the list and what its rows show beside their own columns."""

    page: Page
    filters: Filters
    tag_names: dict[int, list[str]]  # contact id -> its tag names
    companies: dict[int, str]  # company id -> name, for the persons on the page
    writable: set[int]  # ids on the page the user may change


def _integer(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _local_day_start(value: str) -> datetime | None:
    """Midnight of the date ``value`` (YYYY-MM-DD) in the user's time zone, in UTC."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return to_utc(datetime.combine(day, time())).replace(tzinfo=timezone.utc)


def _few_ids_or(ids, condition):
    """A filter as SQL: few contacts pass it (a rare tag, the manager of a handful, a short
    time span), then the list of their ids, which the database fetches and sorts; many pass
    it, then ``condition``, tested on each row as the list walks its sort index. Either way a
    page visits at most a few thousand rows. ``ids`` (a ``select`` of contact ids that an
    index answers) is asked for one more than ``search.COMMON_MATCHES`` at most."""
    found = list(db.session.execute(ids.limit(search.COMMON_MATCHES)).scalars())
    return Contact.id.in_(found) if len(found) < search.COMMON_MATCHES else condition


def read_filters(args) -> Filters:
    """The list's filters from the query string ``args``: each valid one as a SQL condition,
    each invalid one as an error message (and no condition)."""
    filters = Filters()
    for name in FILTERS:
        filters.values[name] = (args.get(name) or "").strip()
    for name, value in args.items():
        if name.startswith("cf_") and value.strip():
            filters.values[name] = value.strip()
    values, conditions, errors = filters.values, filters.conditions, filters.errors
    choose = _("Choose one of the offered values.")

    if values["q"]:
        found = search.condition(ENTITY, values["q"], ordered_list=True)
        if found is not None:
            conditions.append(found)
    if values["kind"]:
        if values["kind"] in KINDS:
            conditions.append(Contact.kind == values["kind"])
        else:
            errors["kind"] = choose
    for name, column in (("type", Contact.type_id), ("temperature", Contact.temperature_id)):
        if values[name]:
            number = _integer(values[name])
            if number is None:
                errors[name] = choose
            else:
                conditions.append(column == number)
    if values["tag"]:
        tagged = (select(TagLink.record_id).join(Tag, Tag.id == TagLink.tag_id)
                  .where(Tag.entity_type == ENTITY, func.lower(Tag.name) == values["tag"].lower()))
        conditions.append(_few_ids_or(tagged, tags.tag_filter(ENTITY, Contact, values["tag"])))
    if values["manager"]:
        user_id = _integer(values["manager"])
        if user_id is None:
            errors["manager"] = choose
        else:
            managed = select(RecordMember.record_id).where(RecordMember.entity_type == ENTITY,
                                                           RecordMember.user_id == user_id)
            conditions.append(_few_ids_or(managed, select(RecordMember.id).where(
                RecordMember.entity_type == ENTITY, RecordMember.user_id == user_id,
                RecordMember.record_id == Contact.id).exists()))
    added = []
    for name, compare in (("created_from", lambda start: Contact.created_at >= start),
                          # "to" includes the whole day: before the next day's midnight
                          ("created_to", lambda start: Contact.created_at < start + timedelta(days=1))):
        if values[name]:
            start = _local_day_start(values[name])
            if start is None:
                errors[name] = _("Enter a date as YYYY-MM-DD.")
            else:
                added.append(compare(start))
    if added:
        conditions.append(_few_ids_or(select(Contact.id).where(*added), and_(*added)))
    for name, value in values.items():
        if name.startswith("cf_") and value:
            conditions.append(custom_fields.filter_condition(ENTITY, Contact, name[3:], value))
    return filters


def contact_query(user, filters: Filters):
    """The ``select`` of the contacts ``user`` may see that pass ``filters`` (unordered)."""
    query = access.filter_query(select(Contact), user, "contacts.view", ENTITY)
    for condition in filters.conditions:
        query = query.where(condition)
    return query


def sort_order(args) -> tuple[str, str]:
    """``(sort key, direction)`` from ``?order=name-asc`` (the form's choice), or from
    ``?sort=name&dir=asc``; by name, A to Z, unless told otherwise."""
    sort, _dash, direction = (args.get("order") or "").partition("-")
    if sort not in SORTS:
        sort, direction = args.get("sort"), args.get("dir")
    sort = sort if sort in SORTS else "name"
    return sort, direction if direction in ("asc", "desc") else FIRST_DIRECTION[sort]


def contact_page(user, args, page_size: int) -> ContactPage:
    """The page of the list that the query string ``args`` asks for, and what its rows show:
    the view and the benchmark both build the list with this."""
    filters = read_filters(args)
    sort, direction = sort_order(args)
    page = paginate(contact_query(user, filters), Contact, SORTS, sort, direction, args.get("after"), page_size)
    ids = [contact.id for contact in page.rows]
    company_ids = {contact.company_id for contact in page.rows if contact.company_id}
    companies, writable, tag_names = {}, set(), {}
    if ids:
        tag_names = tags.names_by_record(ENTITY, ids)
        # Only what may be changed gets the edit and delete entries of the row menu; a
        # person's company is named only if the user may see it too. One query for both.
        may_edit = access.query_condition(user, "contacts.edit", ENTITY)
        on_page = set(ids)
        writable = on_page if may_edit is None else set()
        wanted = company_ids if may_edit is None else company_ids | on_page
        if wanted:
            editable = (true() if may_edit is None else may_edit).label("editable")
            for contact_id, name, may_change in db.session.execute(access.filter_query(
                    select(Contact.id, Contact.name, editable).where(Contact.id.in_(wanted)), user, "contacts.view",
                    ENTITY)):
                if contact_id in company_ids:
                    companies[contact_id] = name
                if may_change and contact_id in on_page:
                    writable.add(contact_id)
    return ContactPage(page=page, filters=filters, tag_names=tag_names, companies=companies, writable=writable)


# The page


def _endpoint(name: str) -> bool:
    """Whether the route ``name`` exists (other parts of the plugin offer export and import)."""
    return name in current_app.view_functions


def _list_url(args: dict, **changes) -> str:
    """The list's URL with the current query string changed by ``changes`` (``None`` drops
    an argument), empty values left out."""
    merged = {**args, **changes}
    return url_for("contacts_list.index", **{k: v for k, v in merged.items() if v not in (None, "")})


@bp.get("/")
@require("contacts.view")
def index():
    listing = contact_page(current_user, request.args, settings.get("core.page_size"))
    args = request.args.to_dict()
    # An unfiltered first page without rows: the user sees no contact at all (the empty state).
    has_any = bool(listing.page.rows) or listing.filters.active or not listing.page.first
    types, temperatures = _by_id(ContactType), _by_id(Temperature)
    tag_choices, users = [tag.name for tag in tags.all_tags(ENTITY)], _active_users()
    choices = {"type": [(row.id, row.name) for row in types.values()],
               "temperature": [(row.id, row.name) for row in temperatures.values()],
               "tag": [(name, name) for name in tag_choices], "manager": [(user.id, user.name) for user in users],
               "pairs": lambda values: [(value, value) for value in values or ()]}
    return render_template(
        "contacts/list/index.html", listing=listing, page=listing.page, filters=listing.filters, has_any=has_any,
        list_url=lambda **changes: _list_url(args, **changes), types=types, temperatures=temperatures,
        choices=choices, tag_choices=tag_choices, users=users, definitions=custom_fields.definitions(ENTITY),
        show_phone=show_phone, person=PERSON, company=COMPANY,
        can_edit=has_permission(current_user, "contacts.edit"),
        can_delete=has_permission(current_user, "contacts.delete"),
        can_create=has_permission(current_user, "contacts.create"),
        can_import=has_permission(current_user, "contacts.import"),
        export_url=url_for("contacts_export.export") if _endpoint("contacts_export.export") and has_permission(
            current_user, "contacts.export") else None,
        import_url=url_for("contacts_import.index") if _endpoint("contacts_import.index") else "/contacts/import/",
        next_url=request.full_path.rstrip("?"))


def _by_id(model) -> dict:
    return {row.id: row for row in db.session.execute(select(model).order_by(model.position, model.name)).scalars()}


def _active_users() -> list[User]:
    return list(db.session.execute(select(User).where(User.active).order_by(User.name)).scalars())


# Group operations on the selected rows


class Refused(Exception):
    """A group operation that changes nothing; the message says why."""


def _back():
    return redirect(access.local_path(request.form.get("next"), "/contacts") or url_for("contacts_list.index"))


def _selection(permission: str) -> list[Contact]:
    """The selected contacts (form field ``ids``), every one checked against ``permission``
    with record access (``filter_query``). Refused when nothing is selected or any id is
    not one the user may act on: a request can name any id, and nothing is half done."""
    raw = request.form.getlist("ids")
    ids = {_integer(value) for value in raw}
    if not raw:
        raise Refused(_("Select at least one contact first."))
    if None in ids or len(ids) > MAX_SELECTION:
        raise Refused(_("The selection is not valid; nothing was changed."))
    allowed = list(db.session.execute(access.filter_query(
        select(Contact).where(Contact.id.in_(ids)), current_user, permission, ENTITY).order_by(
        Contact.name, Contact.id)).scalars())
    if len(allowed) != len(ids):
        refused = len(ids) - len(allowed)
        raise Refused(ngettext("You may not change %(num)d of the selected contacts (or it no longer exists); "
                               "nothing was changed.",
                               "You may not change %(num)d of the selected contacts (or they no longer exist); "
                               "nothing was changed.", refused))
    return allowed


@bp.post("/bulk/tag")
@require("contacts.edit")
def bulk_tag():
    """Add a tag (or several, comma-separated) to each selected contact; their other tags stay."""
    try:
        contacts = _selection("contacts.edit")
        try:
            names = tags.parse_names(request.form.get("tag", ""))
        except ValidationError:
            raise Refused(_("A tag may have at most 100 characters.")) from None
        if not names:
            raise Refused(_("Enter the tag to add."))
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    current = tags.names_by_record(ENTITY, [contact.id for contact in contacts])
    for contact in contacts:
        tags.set_tags(ENTITY, contact.id, [*current.get(contact.id, []), *names])
    db.session.commit()
    flash(ngettext("Tag %(tags)s added to %(num)d contact.", "Tag %(tags)s added to %(num)d contacts.",
                   len(contacts), tags=", ".join(names)), "success")
    return _back()


@bp.post("/bulk/manager")
@require("contacts.edit")
def bulk_manager():
    """Make a user manager of each selected contact, beside the managers they have
    ("add") or instead of them ("replace"). ``set_members`` notifies the new manager."""
    try:
        contacts = _selection("contacts.edit")
        manager = db.session.get(User, _integer(request.form.get("manager", "")) or 0)
        if manager is None or not manager.active:
            raise Refused(_("Choose the user who is to manage the selected contacts."))
        mode = request.form.get("mode", "add")
        if mode not in ("add", "replace"):
            raise Refused(_("Choose whether to add the manager or to replace the managers."))
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    for contact in contacts:
        wanted = {manager.id} if mode == "replace" else {*access.members(ENTITY, contact.id), manager.id}
        access.set_members(ENTITY, contact, wanted, actor=current_user)
    db.session.commit()
    flash(ngettext("%(name)s manages %(num)d selected contact now.", "%(name)s manages %(num)d selected contacts now.",
                   len(contacts), name=manager.name), "success")
    return _back()


@bp.post("/bulk/delete")
@require("contacts.delete")
def bulk_delete():
    """First a page that says how many contacts will go (and which); deleting needs its
    confirmation. All of them are deleted in one transaction, or none."""
    try:
        contacts = _selection("contacts.delete")
    except Refused as refused:
        flash(str(refused), "danger")
        return _back()
    if request.form.get("confirm") != "yes":
        return render_template("contacts/list/confirm_delete.html", contacts=contacts,
                               next_url=access.local_path(request.form.get("next"), "/contacts")
                               or url_for("contacts_list.index"))
    for contact in contacts:
        records.delete_record(ENTITY, contact, user=current_user)
    db.session.commit()
    flash(ngettext("%(num)d contact deleted.", "%(num)d contacts deleted.", len(contacts)), "success")
    return _back()
