"""Record service: tags.

Tags belong to one entity type. Users pick existing tags or type new ones (comma
separated, one text input with a datalist of the existing tags); a name typed in other
capitals reuses the existing tag. Admins of the module rename, merge and delete tags.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from core import records
from core.db import db
from core.forms import length, translate_errors
from core.records.models import Tag, TagLink

bp = Blueprint("records_tags", __name__, url_prefix="/records")


class TagNamesSchema(Schema):
    names = fields.List(fields.String(validate=length(1, 100)))


class TagNameSchema(Schema):
    name = fields.String(required=True, validate=length(1, 100),
                         error_messages={"required": _l("Enter a value.")})


def parse_names(text: str) -> list[str]:
    """The tag names in comma-separated ``text``: trimmed, without repeats (whatever
    their case). Raises ``ValidationError`` for a name that is too long."""
    names, seen = [], set()
    for part in (text or "").split(","):
        name = " ".join(part.split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    try:
        return TagNamesSchema().load({"names": names})["names"]
    except ValidationError as exc:
        raise ValidationError(translate_errors(exc.messages)) from None


def all_tags(entity_type: str) -> list[Tag]:
    return list(db.session.execute(select(Tag).where(Tag.entity_type == entity_type)
                                   .order_by(func.lower(Tag.name))).scalars())


def tags_of(entity_type: str, record_id: int) -> list[Tag]:
    return list(db.session.execute(
        select(Tag).join(TagLink, TagLink.tag_id == Tag.id)
        .where(Tag.entity_type == entity_type, TagLink.record_id == record_id)
        .order_by(func.lower(Tag.name))).scalars())


def _find(entity_type: str, name: str) -> Tag | None:
    return db.session.execute(select(Tag).where(Tag.entity_type == entity_type,
                                                func.lower(Tag.name) == name.lower())).scalars().first()


def set_tags(entity_type: str, record_id: int, names: list[str]) -> list[Tag]:
    """Give the record exactly the tags ``names``, creating the new ones (part of the
    caller's transaction)."""
    wanted = []
    for name in names:
        tag = _find(entity_type, name)
        if tag is None:
            try:
                with db.session.begin_nested():  # somebody may be creating the same tag right now
                    tag = Tag(entity_type=entity_type, name=name)
                    db.session.add(tag)
            except IntegrityError:
                tag = _find(entity_type, name)
        if tag not in wanted:
            wanted.append(tag)
    current = {tag.id for tag in tags_of(entity_type, record_id)}
    wanted_ids = {tag.id for tag in wanted}
    if current - wanted_ids:
        db.session.execute(delete(TagLink).where(TagLink.record_id == record_id,
                                                 TagLink.tag_id.in_(current - wanted_ids)))
    db.session.add_all([TagLink(tag_id=tag_id, record_id=record_id) for tag_id in sorted(wanted_ids - current)])
    db.session.flush()
    return wanted


def tag_filter(entity_type: str, model, tag_name: str):
    """SQL condition: the records of ``model`` that carry the tag ``tag_name`` (any case)."""
    return (select(TagLink.record_id).join(Tag, Tag.id == TagLink.tag_id)
            .where(TagLink.record_id == model.id, Tag.entity_type == entity_type,
                   func.lower(Tag.name) == tag_name.strip().lower())
            .exists())


def names_by_record(entity_type: str, record_ids) -> dict[int, list[str]]:
    """The tag names of many records in one query (lists, exports): ``{record_id: names}``."""
    result: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(TagLink.record_id, Tag.name).join(Tag, Tag.id == TagLink.tag_id)
        .where(Tag.entity_type == entity_type, TagLink.record_id.in_(list(record_ids)))
        .order_by(func.lower(Tag.name)))
    for record_id, name in rows:
        result.setdefault(record_id, []).append(name)
    return result


def csv_cell(entity_type: str, record_id: int) -> str:
    """The record's tags as one CSV cell, as the tags input takes them."""
    return ", ".join(tag.name for tag in tags_of(entity_type, record_id))


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Remove this service's rows of a deleted record (part of the caller's transaction)."""
    type_tags = select(Tag.id).where(Tag.entity_type == entity_type)
    db.session.execute(delete(TagLink).where(TagLink.record_id == record_id, TagLink.tag_id.in_(type_tags)))


@bp.app_template_global("record_tags")
def _template_tags(entity_type: str, record_id: int) -> list[Tag]:
    return tags_of(entity_type, record_id)


@bp.app_template_global("tag_choices")
def _template_choices(entity_type: str) -> list[str]:
    return [tag.name for tag in all_tags(entity_type)]


# A record's tags (edit permission on the record)

@bp.route("/<entity_type>/<int:record_id>/tags", methods=["GET", "POST"])
@records.record_route("edit")
def record_tags(entity_type: str, record_id: int):
    declared, record = records.load(entity_type, record_id, change=True)
    if not declared.tags:
        abort(404)
    text = ", ".join(tag.name for tag in tags_of(entity_type, record.id))
    errors = []
    if request.method == "POST":
        text = request.form.get("tags", "")
        try:
            names = parse_names(text)
        except ValidationError as exc:
            errors = exc.messages
        else:
            set_tags(entity_type, record.id, names)
            db.session.commit()
            flash(_("Tags saved."), "success")
            return redirect(records.record_url(declared, record.id) or url_for(".record_tags", entity_type=entity_type,
                                                                                record_id=record.id))
    return render_template("core/records/tags_edit.html", declared=declared, entity_type=entity_type, record=record,
                           title=records.title(declared, record), text=text, errors=errors), (400 if errors else 200)


# The admin page of a type's tags

def _admin_type(entity_type: str):
    declared = records.load_type(entity_type, "admin")
    if not declared.tags:
        abort(404)
    return declared


def _tag_from_form(entity_type: str, name: str = "tag") -> Tag:
    tag = db.session.get(Tag, request.form.get(name, type=int) or 0)
    if tag is None or tag.entity_type != entity_type:
        abort(404)
    return tag


def _tag_page(declared, entity_type: str, errors: dict | None = None, status: int = 200):
    counts = dict(db.session.execute(
        select(TagLink.tag_id, func.count()).join(Tag, Tag.id == TagLink.tag_id)
        .where(Tag.entity_type == entity_type).group_by(TagLink.tag_id)).all())
    return render_template("core/records/tags.html", declared=declared, entity_type=entity_type,
                           tags=all_tags(entity_type), counts=counts, errors=errors or {}), status


@bp.get("/<entity_type>/tags")
@records.record_route("admin")
def tag_list(entity_type: str):
    return _tag_page(_admin_type(entity_type), entity_type)


@bp.post("/<entity_type>/tags/rename")
@records.record_route("admin")
def tag_rename(entity_type: str):
    declared = _admin_type(entity_type)
    tag = _tag_from_form(entity_type)
    try:
        name = " ".join(TagNameSchema().load({"name": request.form.get("name", "").strip()})["name"].split())
    except ValidationError as exc:
        return _tag_page(declared, entity_type, {tag.id: translate_errors(exc.messages)}, 400)
    other = _find(entity_type, name)
    if other is not None and other.id != tag.id:
        return _tag_page(declared, entity_type, {tag.id: [_("There is a tag %(name)s already: merge into it instead.",
                                                            name=other.name)]}, 400)
    old = tag.name
    tag.name = name
    db.session.commit()
    flash(_("Tag %(old)s renamed to %(new)s.", old=old, new=name), "success")
    return redirect(url_for(".tag_list", entity_type=entity_type))


@bp.post("/<entity_type>/tags/merge")
@records.record_route("admin")
def tag_merge(entity_type: str):
    """Move the tag's records to another tag (records with both keep one link) and
    delete it."""
    declared = _admin_type(entity_type)
    tag = _tag_from_form(entity_type)
    into = db.session.get(Tag, request.form.get("into", type=int) or 0)
    if into is None or into.entity_type != entity_type or into.id == tag.id:
        return _tag_page(declared, entity_type, {tag.id: [_("Choose another tag to merge into.")]}, 400)
    both = select(TagLink.record_id).where(TagLink.tag_id == into.id)
    db.session.execute(update(TagLink).where(TagLink.tag_id == tag.id, TagLink.record_id.not_in(both))
                       .values(tag_id=into.id).execution_options(synchronize_session=False))
    db.session.execute(delete(TagLink).where(TagLink.tag_id == tag.id))
    name = tag.name
    db.session.delete(tag)
    db.session.commit()
    flash(_("Tag %(old)s merged into %(new)s.", old=name, new=into.name), "success")
    return redirect(url_for(".tag_list", entity_type=entity_type))


@bp.post("/<entity_type>/tags/delete")
@records.record_route("admin")
def tag_delete(entity_type: str):
    _admin_type(entity_type)
    tag = _tag_from_form(entity_type)
    db.session.execute(delete(TagLink).where(TagLink.tag_id == tag.id))
    name = tag.name
    db.session.delete(tag)
    db.session.commit()
    flash(_("Tag %(name)s deleted.", name=name), "success")
    return redirect(url_for(".tag_list", entity_type=entity_type))
