"""The customer portal's own pages (sign-in, home, passwords, invitations, the end of "login
as customer") and the staff pages for portal accounts (list, invite, activate, impersonate)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validates_schema
from sqlalchemy import select

from core import audit, portal, records, settings
from core.access import has_permission, local_path, portal_page, public, require
from core.auth import throttle, tokens
from core.auth.accounts import check_password, send_link_mail
from core.auth.models import PortalAccount
from core.db import db, utcnow
from core.forms import form_fields, length, one_of
from core.i18n import LANGUAGES
from core.listing import paginate
from core.runtime import kontor

bp = Blueprint("portal", __name__, url_prefix="/portal")
admin_bp = Blueprint("portal_admin", __name__, url_prefix="/admin/portal-accounts")

THROTTLE_SCOPE = "portal"
# Reset mails count against their own limit, so nobody can flood a customer's inbox.
FORGOT_SCOPE = "portal_forgot"
# Customers listed in the invite form's select, per customer type.
CUSTOMER_CHOICES_LIMIT = 200


# Forms


class LoginSchema(Schema):
    email = fields.Email(required=True, metadata={"label": _l("Email")})
    password = fields.String(required=True, metadata={"label": _l("Password"), "widget": "password"})


class NewPasswordSchema(Schema):
    password = fields.String(required=True, validate=length(1, 200),
                             metadata={"label": _l("New password"), "widget": "password",
                                       "help": _l("At least 10 characters.")})
    password_repeat = fields.String(required=True, metadata={"label": _l("Repeat password"), "widget": "password"})

    @validates_schema
    def passwords_match(self, data, **kwargs):
        if data.get("password") != data.get("password_repeat"):
            raise ValidationError(_("The passwords do not match."), "password_repeat")


class ChangePasswordSchema(NewPasswordSchema):
    current_password = fields.String(required=True, metadata={"label": _l("Current password"), "widget": "password"})


class ForgotSchema(Schema):
    email = fields.Email(required=True, metadata={"label": _l("Email")})


class InviteSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Name")})
    email = fields.Email(required=True, metadata={"label": _l("Email")})
    language = fields.String(load_default="de", validate=one_of(list(LANGUAGES), list(LANGUAGES.values())),
                             metadata={"label": _l("Language")})


def _load_form(schema: Schema, names: tuple[str, ...], secret: tuple[str, ...] = ()):
    """``(data, values, errors)`` of a posted form; secret fields are never sent back."""
    values = {name: request.form.get(name, "").strip() for name in names}
    try:
        data = schema.load({**values, **{name: request.form.get(name, "") for name in secret}})
    except ValidationError as exc:
        return None, values, exc.messages
    return data, values, {}


def _policy_errors(password: str, account) -> dict:
    try:
        check_password(password, account.email, account.name)
    except ValidationError as exc:
        return {"password": exc.messages}
    return {}


def _safe_next(target: str | None) -> str:
    # Only portal pages: a portal sign-in must not send the customer into the staff workspace
    # or off-site.
    return local_path(target, "/portal") or url_for("portal.home")


# What every portal page shows: the account, its customer, the menu, the impersonation banner.


@bp.app_context_processor
def _portal_shell():
    def menu():
        account = portal.current_account()
        if account is None:
            return []
        return sorted(kontor.hook("portal_menu_items", account=account), key=lambda i: (i.order, str(i.label)))

    def customer_name():
        account = portal.current_account()
        if account is None:
            return ""
        return portal.customer_names([account]).get((account.customer_type, account.customer_id), "")

    return {"portal_account": portal.current_account, "portal_impersonator": portal.impersonator,
            "portal_menu": menu, "portal_customer_name": customer_name}


# Signing in and out


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if portal.current_account() is not None:
        return redirect(_safe_next(request.args.get("next")))
    schema = LoginSchema()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        if throttle.blocked(THROTTLE_SCOPE, email):
            audit.record("portal_login_throttled", subject=email)
            db.session.commit()
            flash(_("Too many failed attempts. Please wait a few minutes and try again."), "danger")
            return render_template("core/portal/login.html", fields=form_fields(schema, {"email": email})), 429
        data, values, errors = _load_form(schema, ("email",), secret=("password",))
        if data is not None:
            account = db.session.execute(
                select(PortalAccount).where(PortalAccount.email == data["email"].lower())).scalar_one_or_none()
            if account is not None and account.active and account.check_password(data["password"]):
                throttle.reset(THROTTLE_SCOPE, email)
                account.last_login_at = utcnow()
                audit.record("portal_login", portal_account=account, subject=account.email)
                db.session.commit()
                portal.sign_in(account)
                if account.language in LANGUAGES:
                    session["language"] = account.language
                return redirect(_safe_next(request.args.get("next")))
            throttle.failed(THROTTLE_SCOPE, email)
            audit.record("portal_login_failed", portal_account=account, subject=email)
            db.session.commit()
            # One message whether or not the account exists.
            flash(_("Email or password is wrong."), "danger")
        else:
            status = 400
    return render_template("core/portal/login.html", fields=form_fields(schema, values, errors)), status


@bp.post("/logout")
@public
def logout():
    if portal.impersonator() is not None:
        return end_impersonation()  # staff leave the customer's view, not their own session
    account = portal.current_account()
    if account is not None:
        audit.record("portal_logout", portal_account=account, subject=account.email)
        db.session.commit()
    portal.sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("portal.login"))


# The portal's pages


@bp.get("/")
@portal_page
def home():
    return render_template("core/portal/home.html")


@bp.route("/password", methods=["GET", "POST"])
@portal_page
def password():
    if portal.impersonator() is not None:
        return render_template("core/portal/refused.html"), 403
    account = portal.current_account()
    schema = ChangePasswordSchema()
    errors = {}
    if request.method == "POST":
        data, _values, errors = _load_form(schema, (), secret=("current_password", "password", "password_repeat"))
        if data is not None:
            if not account.check_password(data["current_password"]):
                errors = {"current_password": [_("The current password is wrong.")]}
            else:
                errors = _policy_errors(data["password"], account)
            if not errors:
                account.set_password(data["password"])
                account.session_version += 1  # other sessions of this account end
                audit.record("portal_password_changed", portal_account=account, subject=account.email)
                db.session.commit()
                portal.sign_in(account)  # this one stays
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("portal.home"))
    return render_template("core/portal/password.html", fields=form_fields(schema, {}, errors)), (
        400 if errors else 200)


# Links by email: forgotten password, invitation


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot():
    schema = ForgotSchema()
    errors, values = {}, {}
    if request.method == "POST":
        data, values, errors = _load_form(schema, ("email",))
        if data is not None:
            email = data["email"].lower()
            account = db.session.execute(select(PortalAccount).where(
                PortalAccount.email == email, PortalAccount.active)).scalar_one_or_none()
            if account is not None and not throttle.blocked(FORGOT_SCOPE, email):
                throttle.failed(FORGOT_SCOPE, email)
                send_link_mail(account, "portal_reset", "portal.reset", "portal_password_reset.txt")
                audit.record("portal_password_reset_requested", portal_account=account, subject=email)
                db.session.commit()
            # The same answer whether or not the account exists.
            flash(_("If an account exists for this address, we have sent it a link to set a new password."),
                  "info")
            return redirect(url_for("portal.login"))
    return render_template("core/portal/forgot.html", fields=form_fields(schema, values, errors)), (
        400 if errors else 200)


def _account_from_link(purpose: str, token: str):
    """The account of an emailed link, or the 400 page that explains why the link is dead."""
    try:
        return tokens.load(purpose, token, PortalAccount), None
    except tokens.TokenError as exc:
        return None, (render_template("core/portal/link_invalid.html", expired=exc.expired), 400)


def _password_from_link(purpose: str, token: str, template: str, event: str):
    """``(account, None)`` once the account of a reset or invitation link has its new
    password (the session counter bumped, so whoever knew the old one is signed out, and
    ``event`` audited; the caller commits), else ``(None, page)``: the refusal, or the form
    to show (again)."""
    account, refused = _account_from_link(purpose, token)
    if refused:
        return None, refused
    schema = NewPasswordSchema()
    errors = {}
    if request.method == "POST":
        data, _values, errors = _load_form(schema, (), secret=("password", "password_repeat"))
        if data is not None:
            errors = _policy_errors(data["password"], account)
            if not errors:
                account.set_password(data["password"])
                account.session_version += 1
                audit.record(event, portal_account=account, subject=account.email)
                return account, None
    return None, (render_template(template, fields=form_fields(schema, {}, errors), account=account),
                  400 if errors else 200)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str):
    account, page = _password_from_link("portal_reset", token, "core/portal/reset.html", "portal_password_reset")
    if page:
        return page
    db.session.commit()
    flash(_("Your new password is set. Please sign in."), "success")
    return redirect(url_for("portal.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    account, page = _password_from_link("portal_invite", token, "core/portal/invitation.html",
                                        "portal_invitation_accepted")
    if page:
        return page
    account.last_login_at = utcnow()
    db.session.commit()
    portal.sign_in(account)
    if account.language in LANGUAGES:
        session["language"] = account.language
    flash(_("Welcome! Your password is set."), "success")
    return redirect(url_for("portal.home"))


# Login as customer: the way back. Public, because staff only pass the portal gate while
# impersonating; without an impersonation there is nothing to end.


@bp.post("/impersonation/end")
@public
def end_impersonation():
    staff, account = portal.impersonator(), portal.current_account()
    portal.end_impersonation()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if staff is not None:
        audit.record("impersonation_ended", user=staff, portal_account=account, subject=account.email)
        db.session.commit()
    if has_permission(current_user, "core.portal_accounts"):
        return redirect(url_for("portal_admin.accounts"))
    return redirect(url_for("workspace.home"))


# Staff: portal accounts


def _customer_choices() -> list[tuple[str, str]]:
    """``("type:id", "Label: name")`` for the customers of every customer type."""
    choices = []
    for name, declared in sorted(portal.customer_entity_types().items()):
        model = declared.model
        order = model.name if hasattr(model, "name") else model.id
        query = select(model).order_by(order).limit(CUSTOMER_CHOICES_LIMIT)
        condition = portal.customer_condition(declared)
        if condition is not None:
            query = query.where(condition)
        for record in db.session.execute(query).scalars():
            choices.append((f"{name}:{record.id}", f"{declared.label}: {records.title(declared, record)}"))
    return choices


@admin_bp.get("/")
@require("core.portal_accounts")
def accounts():
    page = paginate(select(PortalAccount), PortalAccount, {"name": PortalAccount.name, "email": PortalAccount.email},
                    request.args.get("sort", "name"), request.args.get("dir", "asc"), request.args.get("after"),
                    settings.get("core.page_size"))
    return render_template("core/admin/portal_accounts.html", page=page, customers=portal.customer_names(page.rows),
                           customer_choices=_customer_choices(),
                           can_impersonate=has_permission(current_user, "core.login_as_customer"))


@admin_bp.get("/invite")
@require("core.portal_accounts")
def choose_customer():
    """The accounts page's customer select lands here and goes on to that customer's form."""
    entity_type, _sep, record_id = request.args.get("customer", "").partition(":")
    if not entity_type or not record_id.isdigit():
        return redirect(url_for("portal_admin.accounts"))
    return redirect(url_for("portal_admin.invite", entity_type=entity_type, record_id=int(record_id)))


@admin_bp.route("/invite/<entity_type>/<int:record_id>", methods=["GET", "POST"])
@require("core.portal_accounts")
def invite(entity_type: str, record_id: int):
    declared = portal.customer_entity_types().get(entity_type)
    customer = db.session.get(declared.model, record_id) if declared is not None else None
    if customer is None or not portal.is_customer(customer):
        abort(404)  # e.g. a person who belongs to a company: invite them through the company
    schema = InviteSchema()
    # Prefilled from a link (e.g. a contact person on the customer overview).
    errors, values = {}, {"language": "de", "name": request.args.get("name", ""), "email": request.args.get("email", "")}
    if request.method == "POST":
        data, values, errors = _load_form(schema, ("name", "email", "language"))
        if data is not None:
            email = data["email"].strip().lower()
            taken = db.session.execute(select(PortalAccount.id).where(PortalAccount.email == email)).first()
            if taken:
                errors = {"email": [_("A portal account with this email address exists already.")]}
            else:
                account = PortalAccount(name=data["name"], email=email, customer_type=entity_type,
                                        customer_id=record_id, language=data["language"],
                                        invited_by_id=current_user.id)
                db.session.add(account)
                db.session.flush()
                send_link_mail(account, "portal_invite", "portal.accept_invitation", "portal_invitation.txt",
                               inviter=current_user, customer_name=getattr(customer, "name", ""))
                audit.record("portal_account_invited", user=current_user, portal_account=account, subject=email,
                             customer_type=entity_type, customer_id=record_id)
                db.session.commit()
                flash(_("%(name)s has been invited to the portal.", name=account.name), "success")
                return redirect(url_for("portal_admin.accounts"))
    return render_template("core/admin/portal_accounts_invite.html", fields=form_fields(schema, values, errors),
                           customer_name=getattr(customer, "name", "") or f"#{record_id}",
                           customer_label=declared.label), (400 if errors else 200)


def _account_or_404(account_id: int) -> PortalAccount:
    account = db.session.get(PortalAccount, account_id)
    if account is None:
        abort(404)
    return account


@admin_bp.post("/<int:account_id>/active")
@require("core.portal_accounts")
def switch_active(account_id: int):
    account = _account_or_404(account_id)
    account.active = not account.active
    account.session_version += 1  # a deactivated account's sessions and links end at once
    audit.record("portal_account_changed", user=current_user, portal_account=account, subject=account.email,
                 active=account.active)
    db.session.commit()
    if account.active:
        flash(_("%(name)s can sign in to the portal again.", name=account.name), "success")
    else:
        flash(_("%(name)s can no longer sign in to the portal.", name=account.name), "success")
    return redirect(url_for("portal_admin.accounts"))


@admin_bp.post("/<int:account_id>/impersonate")
@require("core.login_as_customer")
def impersonate(account_id: int):
    account = _account_or_404(account_id)
    if not account.active:
        flash(_("This portal account is deactivated; activate it first."), "danger")
        return redirect(url_for("portal_admin.accounts"))
    portal.start_impersonation(account)
    audit.record("impersonation_started", user=current_user, portal_account=account, subject=account.email)
    db.session.commit()
    return redirect(url_for("portal.home"))
