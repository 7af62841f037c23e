"""The greetings page: a list of greetings and, for those who may add one, a form.

Every view declares its permission; the core checks it before the view runs and answers 404
for every route here while the module is switched off."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from core import db, forms, listing, require, settings
from kontor_hello.models import Greeting

bp = Blueprint("hello", __name__, url_prefix="/hello", template_folder="templates")


class GreetingSchema(Schema):
    text = fields.String(required=True, validate=forms.length(1, 200),
                         metadata={"label": _l("Greeting")})


SORT_COLUMNS = {"created_at": Greeting.created_at, "text": Greeting.text}


def _render(fields_, status=200):
    page = listing.paginate(
        db.select(Greeting), Greeting, SORT_COLUMNS,
        sort=request.args.get("sort", "created_at"), direction=request.args.get("dir", "desc"),
        after=request.args.get("after"), page_size=settings.get("core.page_size"),
    )
    return render_template("hello/index.html", page=page, fields=fields_), status


@bp.get("/")
@require("hello.view")
def index():
    defaults = {"text": settings.get("hello.default_greeting")}
    return _render(forms.form_fields(GreetingSchema(), defaults))


@bp.post("/")
@require("hello.edit")
def add():
    values = {"text": request.form.get("text", "").strip()}
    try:
        data = GreetingSchema().load(values)
    except ValidationError as exc:
        return _render(forms.form_fields(GreetingSchema(), values, exc.messages), status=400)
    db.session.add(Greeting(text=data["text"]))
    db.session.commit()
    flash(_("Greeting added."), "success")
    return redirect(url_for("hello.index"))
