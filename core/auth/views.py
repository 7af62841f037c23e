"""Sign-in, sign-out and the first-run page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from sqlalchemy import select

from core.access import public
from core.auth import setup
from core.auth.models import User
from core.db import db, utcnow
from core.forms import form_fields, length, one_of
from core.i18n import LANGUAGES

bp = Blueprint("auth", __name__)


class LoginSchema(Schema):
    email = fields.Email(required=True, metadata={"label": _l("Email")})
    password = fields.String(required=True, metadata={"label": _l("Password"), "widget": "password"})


class OwnerSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Your name")})
    email = fields.Email(required=True, metadata={"label": _l("Email")})
    password = fields.String(
        required=True,
        validate=length(10, 200),
        metadata={"label": _l("Password"), "widget": "password", "help": _l("At least 10 characters.")},
    )
    password_repeat = fields.String(required=True, metadata={"label": _l("Repeat password"), "widget": "password"})
    language = fields.String(
        load_default="de",
        validate=one_of(list(LANGUAGES), list(LANGUAGES.values())),
        metadata={"label": _l("Language")},
    )

    @post_load
    def normalize_email(self, data, **kwargs):
        data["email"] = data["email"].strip().lower()
        return data

    @validates_schema
    def passwords_match(self, data, **kwargs):
        if data.get("password") != data.get("password_repeat"):
            raise ValidationError(_("The passwords do not match."), "password_repeat")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("workspace.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if setup.needs_owner():
        return redirect(url_for("auth.first_run"))
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    schema = LoginSchema()
    errors, values = {}, {}
    if request.method == "POST":
        values = {"email": request.form.get("email", "").strip()}
        try:
            data = schema.load({"email": values["email"], "password": request.form.get("password", "")})
        except ValidationError as exc:
            errors = exc.messages
        else:
            user = db.session.execute(select(User).where(User.email == data["email"].lower())).scalar_one_or_none()
            if user is not None and user.active and user.check_password(data["password"]):
                user.last_login_at = utcnow()
                db.session.commit()
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            # One message whether or not the account exists.
            flash(_("Email or password is wrong."), "danger")
    return render_template("core/login.html", fields=form_fields(schema, values, errors)), (400 if errors else 200)


@bp.post("/logout")
@public
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
@public
def first_run():
    if not setup.needs_owner():
        return redirect(url_for("auth.login"))
    token = request.values.get("token")
    if not setup.token_valid(token):
        return render_template("core/first_run.html", fields=None, token=None), (403 if token else 200)
    schema = OwnerSchema()
    errors, values = {}, {"language": "de"}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("name", "email", "language")}
        try:
            data = schema.load({**values, "password": request.form.get("password", ""),
                                "password_repeat": request.form.get("password_repeat", "")})
        except ValidationError as exc:
            errors = exc.messages
        else:
            owner = setup.create_owner(data["name"], data["email"], data["password"], data["language"])
            login_user(owner)
            flash(_("Welcome to Kontor. Your owner account is ready."), "success")
            return redirect(url_for("workspace.home"))
    return render_template("core/first_run.html", fields=form_fields(schema, values, errors), token=token), (
        400 if errors else 200)
