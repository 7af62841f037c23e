"""Plain pages for gadgets: list, detail (with the record services' panel), new, edit, and
a CSV export; custom fields and tags on all of them, as a feature plugin would use them."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select

from core import access, db, records, require, settings
from core.forms import form_fields, length, one_of
from core.listing import paginate
from core.records import fields as custom_fields
from core.records import tags
from tests.support.gadgets.models import Gadget, Sprocket, Widget

bp = Blueprint("gadgets", __name__, url_prefix="/gadgets", template_folder="templates")


class GadgetSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": "Name"})
    status = fields.String(load_default="new", validate=one_of(["new", "done"]), metadata={"label": "Status"})
    price = fields.Decimal(load_default="0", places=2, as_string=False, metadata={"label": "Price"})


def _filtered_query():
    """The gadgets the user may see, narrowed by ``?cf_<key>=`` and ``?tag=`` (in SQL)."""
    query = access.filter_query(select(Gadget), current_user, "gadgets.view", "gadget")
    for name, value in request.args.items():
        if name.startswith("cf_") and value.strip():
            query = query.where(custom_fields.filter_condition("gadget", Gadget, name[3:], value))
    if request.args.get("tag", "").strip():
        query = query.where(tags.tag_filter("gadget", Gadget, request.args["tag"]))
    return query


@bp.get("/")
@require("gadgets.view")
def index():
    page = paginate(_filtered_query(), Gadget, {"name": Gadget.name, "status": Gadget.status},
                    request.args.get("sort", "name"), request.args.get("dir", "asc"), request.args.get("after"),
                    settings.get("core.page_size"))
    definitions = custom_fields.definitions("gadget")
    # Optional columns: the custom fields named by ?columns=<key>,<key>.
    wanted = request.args.get("columns", "").split(",")
    return render_template("gadgets/index.html", page=page, definitions=definitions,
                           columns=[d for d in definitions if d.key in wanted], show=custom_fields.show,
                           tag_names=[tag.name for tag in tags.all_tags("gadget")])


@bp.get("/export.csv")
@require("gadgets.view")
def export():
    definitions = custom_fields.definitions("gadget")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "status", "price", *custom_fields.csv_header("gadget"), "tags"])
    gadgets = db.session.execute(_filtered_query().order_by(Gadget.name, Gadget.id)).scalars().all()
    tag_names = tags.names_by_record("gadget", [gadget.id for gadget in gadgets])
    for gadget in gadgets:
        custom = gadget.custom or {}
        writer.writerow([custom_fields.spreadsheet_safe(gadget.name), gadget.status, gadget.price,
                         *[custom_fields.csv_cell(d, custom.get(d.key)) for d in definitions],
                         custom_fields.spreadsheet_safe(", ".join(tag_names.get(gadget.id, [])))])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=gadgets.csv"})


def _save(gadget: Gadget | None):
    """Validate the standard fields, the custom fields and the tags together, so every
    error shows at once and nothing is saved unless all is valid."""
    values = {k: request.form.get(k, "") for k in ("name", "status", "price")}
    errors, data, custom, names = {}, {}, {}, []
    try:
        data = GadgetSchema().load(values)
    except ValidationError as exc:
        errors.update(exc.messages)
    try:
        custom = custom_fields.load_values("gadget", request.form)
    except ValidationError as exc:
        custom = exc.data
        errors["custom"] = exc.messages
    try:
        names = tags.parse_names(request.form.get("tags", ""))
    except ValidationError as exc:
        errors["tags"] = exc.messages
    form = dict(values=values, custom=custom, tags=request.form.get("tags", ""))
    if errors:
        return None, form, errors
    if gadget is None:
        gadget = Gadget(access_mode="public_write")
        db.session.add(gadget)
    for key, value in data.items():
        setattr(gadget, key, value)
    custom_fields.store(gadget, custom)
    db.session.flush()  # the new gadget's id, for its tag links
    tags.set_tags("gadget", gadget.id, names)
    db.session.commit()
    return gadget, form, {}


def _form_page(gadget: Gadget | None, form: dict, errors: dict):
    return render_template("gadgets/form.html", gadget=gadget,
                           fields=form_fields(GadgetSchema(), form["values"], errors),
                           custom=custom_fields.form_fields("gadget", form["custom"], errors.get("custom")),
                           tags_text=form["tags"], tag_errors=errors.get("tags", [])), (400 if errors else 200)


@bp.route("/new", methods=["GET", "POST"])
@require("gadgets.create")
def new():
    form, errors = dict(values={}, custom=custom_fields.defaults("gadget"), tags=""), {}
    if request.method == "POST":
        gadget, form, errors = _save(None)
        if gadget is not None:
            flash("Gadget saved.", "success")
            return redirect(url_for("gadgets.detail", record_id=gadget.id))
    return _form_page(None, form, errors)


@bp.get("/<int:record_id>")
@require("gadgets.view")
def detail(record_id: int):
    gadget = access.get_record_or_404("gadget", record_id, "gadgets.view")
    return render_template("gadgets/detail.html", gadget=gadget)


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@require("gadgets.edit")
def edit(record_id: int):
    gadget = access.get_record_or_404("gadget", record_id, "gadgets.edit")
    form = dict(values={"name": gadget.name, "status": gadget.status, "price": gadget.price},
                custom=gadget.custom or {}, tags=tags.csv_cell("gadget", gadget.id))
    errors = {}
    if request.method == "POST":
        saved, form, errors = _save(gadget)
        if saved is not None:
            return redirect(url_for("gadgets.detail", record_id=gadget.id))
    return _form_page(gadget, form, errors)


@bp.post("/<int:record_id>/delete")
@require("gadgets.edit")
def delete(record_id: int):
    gadget = access.get_record_or_404("gadget", record_id, "gadgets.edit")
    records.delete_record("gadget", gadget, keep_files=request.form.get("files") == "keep", user=current_user)
    db.session.commit()
    flash("Gadget deleted.", "success")
    return redirect(url_for("gadgets.index"))


@bp.get("/widgets/<int:record_id>")
@require("gadgets.view")
def widget(record_id: int):
    found = db.session.get(Widget, record_id) or abort(404)
    return render_template("gadgets/other.html", record=found, entity_type="widget")


@bp.get("/sprockets/<int:record_id>")
@require("gadgets.view")
def sprocket(record_id: int):
    found = db.session.get(Sprocket, record_id) or abort(404)
    return render_template("gadgets/other.html", record=found, entity_type="sprocket")
