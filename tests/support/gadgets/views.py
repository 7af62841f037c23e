"""Plain pages for gadgets: list, detail (with the record services' panel), new, edit."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select

from core import access, db, records, require, settings
from core.forms import form_fields, length, one_of
from core.listing import paginate
from tests.support.gadgets.models import Gadget, Sprocket, Widget

bp = Blueprint("gadgets", __name__, url_prefix="/gadgets", template_folder="templates")


class GadgetSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": "Name"})
    status = fields.String(load_default="new", validate=one_of(["new", "done"]), metadata={"label": "Status"})
    price = fields.Decimal(load_default="0", places=2, as_string=False, metadata={"label": "Price"})


@bp.get("/")
@require("gadgets.view")
def index():
    query = access.filter_query(select(Gadget), current_user, "gadgets.view", "gadget")
    page = paginate(query, Gadget, {"name": Gadget.name, "status": Gadget.status}, request.args.get("sort", "name"),
                    request.args.get("dir", "asc"), request.args.get("after"), settings.get("core.page_size"))
    return render_template("gadgets/index.html", page=page)


def _save(gadget: Gadget | None):
    schema = GadgetSchema()
    values = {k: request.form.get(k, "") for k in ("name", "status", "price")}
    try:
        data = schema.load(values)
    except ValidationError as exc:
        return None, values, exc.messages
    if gadget is None:
        gadget = Gadget(access_mode="public_write")
        db.session.add(gadget)
    for key, value in data.items():
        setattr(gadget, key, value)
    db.session.commit()
    return gadget, values, {}


@bp.route("/new", methods=["GET", "POST"])
@require("gadgets.create")
def new():
    values, errors = {}, {}
    if request.method == "POST":
        gadget, values, errors = _save(None)
        if gadget is not None:
            flash("Gadget saved.", "success")
            return redirect(url_for("gadgets.detail", record_id=gadget.id))
    return render_template("gadgets/form.html", gadget=None,
                           fields=form_fields(GadgetSchema(), values, errors)), (400 if errors else 200)


@bp.get("/<int:record_id>")
@require("gadgets.view")
def detail(record_id: int):
    gadget = access.get_record_or_404("gadget", record_id, "gadgets.view")
    return render_template("gadgets/detail.html", gadget=gadget)


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@require("gadgets.edit")
def edit(record_id: int):
    gadget = access.get_record_or_404("gadget", record_id, "gadgets.edit")
    values = {"name": gadget.name, "status": gadget.status, "price": gadget.price}
    errors = {}
    if request.method == "POST":
        saved, values, errors = _save(gadget)
        if saved is not None:
            return redirect(url_for("gadgets.detail", record_id=gadget.id))
    return render_template("gadgets/form.html", gadget=gadget,
                           fields=form_fields(GadgetSchema(), values, errors)), (400 if errors else 200)


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
