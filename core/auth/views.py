"""Staff accounts: sign-in (with throttling and two-factor codes), sign-out, the first-run
page, forgotten passwords, invitations, and the user's own account page."""
from __future__ import annotations

import zoneinfo

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from sqlalchemy import select

from core import audit
from core import settings as core_settings
from core.access import USE_WORKSPACE, local_path, public, require
from core.auth import accounts, setup, throttle, tokens, totp
from core.auth.models import User
from core.db import db, utcnow
from core.forms import form_fields, length, one_of
from core.i18n import LANGUAGES
from core.runtime import kontor

bp = Blueprint("auth", __name__)

# Session keys: the user who typed the right password but still owes a code, and the secret
# of a 2FA setup that is not confirmed yet.
PENDING_KEY = "kontor_totp_pending"
SETUP_KEY = "kontor_totp_setup"
TIMEZONES = sorted(zoneinfo.available_timezones())


def _throttled_message() -> str:
    # The same words for existing and unknown accounts.
    return _("Too many failed sign-ins. Please wait 15 minutes and try again.")


# Schemas


def _password_field(label=_l("Password")):
    return fields.String(required=True, validate=length(None, 200),
                         metadata={"label": label, "widget": "password", "help": _l("At least 10 characters.")})


def _repeat_field():
    return fields.String(required=True, metadata={"label": _l("Repeat password"), "widget": "password"})


def _new_password_errors(data: dict, email: str, name: str) -> dict:
    """Errors of a new password typed twice: the policy (beside the password field), then
    whether both match."""
    errors = {}
    password = data.get("password")
    if password:
        try:
            accounts.check_password(password, email, name)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if password is not None and password != data.get("password_repeat"):
        errors["password_repeat"] = [_("The passwords do not match.")]
    return errors


class NewPasswordSchema(Schema):
    """A new password for ``account`` (set it on the instance: the policy refuses passwords
    containing its name or email address)."""

    password = _password_field(_l("New password"))
    password_repeat = _repeat_field()

    account = None

    @validates_schema
    def password_policy(self, data, **kwargs):
        errors = _new_password_errors(data, self.account.email, self.account.name)
        if errors:
            raise ValidationError(errors)


class LoginSchema(Schema):
    email = fields.Email(required=True, metadata={"label": _l("Email")})
    password = fields.String(required=True, metadata={"label": _l("Password"), "widget": "password"})


class OwnerSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Your name")})
    email = fields.Email(required=True, metadata={"label": _l("Email")})
    password = _password_field()
    password_repeat = _repeat_field()
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
    def password_policy(self, data, **kwargs):
        errors = _new_password_errors(data, data.get("email", ""), data.get("name", ""))
        if errors:
            raise ValidationError(errors)


class EmailSchema(Schema):
    email = fields.Email(required=True, metadata={"label": _l("Email")})


class CodeSchema(Schema):
    code = fields.String(required=True, validate=length(1, 50), metadata={
        "label": _l("Code"),
        "help": _l("The 6-digit code from your authenticator app, or one of your recovery codes."),
    })


class SetupCodeSchema(Schema):
    code = fields.String(required=True, validate=length(1, 50), metadata={
        "label": _l("Code from the app"), "help": _l("The 6-digit code your authenticator app shows now.")})


class ConfirmWithPasswordSchema(Schema):
    """Switching 2FA off: the password and a current code."""

    password = fields.String(required=True, metadata={"label": _l("Current password"), "widget": "password"})
    code = fields.String(required=True, validate=length(1, 50), metadata={"label": _l("Code from the app")})


class PasswordOnlySchema(Schema):
    password = fields.String(required=True, metadata={"label": _l("Current password"), "widget": "password"})


class ProfileSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Name")})
    language = fields.String(required=True, validate=one_of(list(LANGUAGES), list(LANGUAGES.values())),
                             metadata={"label": _l("Language")})
    timezone = fields.String(required=True, validate=one_of(TIMEZONES), metadata={"label": _l("Time zone")})


class ChangePasswordSchema(Schema):
    """The current password, and a new one for ``account`` (set it on the instance)."""

    current_password = fields.String(required=True, metadata={"label": _l("Current password"), "widget": "password"})
    password = _password_field(_l("New password"))
    password_repeat = _repeat_field()

    account = None

    @validates_schema
    def check(self, data, **kwargs):
        errors = _new_password_errors(data, self.account.email, self.account.name)
        if not self.account.check_password(data.get("current_password") or ""):
            errors["current_password"] = [_("The current password is not right.")]
        if errors:
            raise ValidationError(errors)


def _form_data(*names: str) -> dict:
    return {name: request.form.get(name, "") for name in names}


def _load(schema: Schema, data: dict) -> tuple[dict | None, dict]:
    """``(data, {})`` if valid, else ``(None, errors)``."""
    try:
        return schema.load(data), {}
    except ValidationError as exc:
        return None, exc.messages


# Signing in


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("workspace.home")


def _complete_login(user: User) -> None:
    session.pop(PENDING_KEY, None)
    user.last_login_at = utcnow()
    audit.record("login", user=user, subject=user.email)
    db.session.commit()
    login_user(user)


def _start_login(user: User, target: str):
    """Sign ``user`` in, or, with two-factor login on, ask for a code first."""
    if user.has_totp:
        # Not signed in yet: the code page finishes it, if the account has not changed meanwhile.
        session[PENDING_KEY] = {"id": user.id, "version": user.session_version, "next": target}
        return redirect(url_for("auth.login_totp"))
    _complete_login(user)
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if setup.needs_owner():
        return redirect(url_for("auth.first_run"))
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    schema = LoginSchema()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {"email": request.form.get("email", "").strip()}
        data, errors = _load(schema, {"email": values["email"], "password": request.form.get("password", "")})
        if data is not None:
            email = data["email"].lower()
            if throttle.blocked("staff", email):
                audit.record("login_throttled", subject=email)
                db.session.commit()
                flash(_throttled_message(), "danger")
                status = 429
            else:
                user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
                if user is not None and user.active and user.check_password(data["password"]):
                    throttle.reset("staff", email)
                    return _start_login(user, _safe_next(request.args.get("next")))
                throttle.failed("staff", email)
                audit.record("login_failed", subject=email)
                db.session.commit()
                # One message whether or not the account exists.
                flash(_("Email or password is wrong."), "danger")
    if errors:
        status = 400
    return render_template("core/login.html", fields=form_fields(schema, values, errors)), status


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    user = db.session.get(User, pending.get("id"))
    if user is None or not user.active or not user.has_totp or user.session_version != pending.get("version"):
        return None
    return user


@bp.route("/login/2fa", methods=["GET", "POST"])
@public
def login_totp():
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("auth.login"))
    schema = CodeSchema()
    errors, status = {}, 200
    if request.method == "POST":
        data, errors = _load(schema, _form_data("code"))
        key = str(user.id)
        if data is not None:
            if throttle.blocked("totp", key):
                audit.record("login_throttled", user=user, subject=user.email, step="totp")
                db.session.commit()
                flash(_("Too many wrong codes. Please wait 15 minutes and try again."), "danger")
                status = 429
            elif totp.accept(user, data["code"]):
                throttle.reset("totp", key)
                target = session[PENDING_KEY].get("next") or url_for("workspace.home")
                _complete_login(user)
                return redirect(_safe_next(target))
            elif totp.use_recovery_code(user, data["code"]):
                throttle.reset("totp", key)
                audit.record("recovery_code_used", user=user, subject=user.email, left=len(user.recovery_codes))
                target = session[PENDING_KEY].get("next") or url_for("workspace.home")
                _complete_login(user)
                flash(_("You signed in with a recovery code; it cannot be used again. %(count)d codes are left.",
                        count=len(user.recovery_codes)), "warning")
                return redirect(_safe_next(target))
            else:
                throttle.failed("totp", key)
                audit.record("totp_failed", user=user, subject=user.email)
                db.session.commit()
                errors = {"code": [_("This code is not right. Check the time on your phone and try again.")]}
        if errors and status == 200:
            status = 400
    return render_template("core/auth/login_totp.html", fields=form_fields(schema, {}, errors)), status


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        audit.record("logout", user=current_user, subject=current_user.email)
        db.session.commit()
    logout_user()
    session.pop(PENDING_KEY, None)
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
        values = _form_data("name", "email", "language")
        data, errors = _load(schema, {**values, **_form_data("password", "password_repeat")})
        if data is not None:
            owner = setup.create_owner(data["name"], data["email"], data["password"], data["language"])
            login_user(owner)
            flash(_("Welcome to Kontor. Your owner account is ready."), "success")
            return redirect(url_for("workspace.home"))
    return render_template("core/first_run.html", fields=form_fields(schema, values, errors), token=token), (
        400 if errors else 200)


# Forgotten passwords and invitations


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    schema = EmailSchema()
    errors, values = {}, {}
    if request.method == "POST":
        values = _form_data("email")
        data, errors = _load(schema, values)
        if data is not None:
            email = data["email"].strip().lower()
            # Every request counts, so nobody can flood a mailbox; a blocked one just sends nothing.
            if not throttle.blocked("reset", email):
                throttle.failed("reset", email)
                user = db.session.execute(
                    select(User).where(User.email == email, User.active.is_(True))).scalar_one_or_none()
                if user is not None:
                    accounts.send_link_mail(user, "reset", "auth.reset_password", "password_reset.txt")
                    audit.record("password_reset_requested", user=user, subject=email)
                    db.session.commit()
            # The same answer whether or not the account exists.
            flash(_("If an account with this email address exists, we have sent it a link to set a new "
                    "password. Check your inbox."), "info")
            return redirect(url_for("auth.login"))
    return render_template("core/auth/forgot.html", fields=form_fields(schema, values, errors)), (
        400 if errors else 200)


def _link_invalid(purpose: str):
    return render_template("core/auth/link_invalid.html", purpose=purpose), 400


def _set_password_page(purpose: str, token: str, template_title: str, submit_label: str):
    """The page behind a reset or invitation link: a new password, then signed in."""
    try:
        user = tokens.load(purpose, token, User)
    except tokens.TokenError:
        return _link_invalid(purpose)
    schema = NewPasswordSchema()
    schema.account = user
    errors = {}
    if request.method == "POST":
        data, errors = _load(schema, _form_data("password", "password_repeat"))
        if data is not None:
            user.set_password(data["password"])
            # Ends every other session; the link stops working too (tokens check both).
            user.session_version += 1
            if purpose == "reset":
                audit.record("password_reset", user=user, subject=user.email)
                throttle.reset("staff", user.email)
            else:
                audit.record("invitation_accepted", user=user, subject=user.email)
            db.session.commit()
            flash(_("Your password is set."), "success")
            return _start_login(user, url_for("workspace.home"))
    return render_template("core/auth/set_password.html", fields=form_fields(schema, {}, errors), account=user,
                           title=template_title, submit_label=submit_label), (400 if errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _set_password_page("reset", token, _("Set a new password"), _("Save password"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    return _set_password_page("invite", token, _("Welcome to Kontor"), _("Set password and sign in"))


# The user's own account


def _profile_values(user: User) -> dict:
    return {"name": user.name, "language": user.language or "de", "timezone": user.timezone}


def _account_page(profile_values=None, profile_errors=None, password_errors=None):
    profile_fields = form_fields(ProfileSchema(), profile_values or _profile_values(current_user), profile_errors)
    password_fields = form_fields(ChangePasswordSchema(), {}, password_errors)
    status = 400 if (profile_errors or password_errors) else 200
    return render_template("core/auth/account.html", profile_fields=profile_fields,
                           password_fields=password_fields), status


@bp.route("/account", methods=["GET", "POST"])
@require(USE_WORKSPACE)
def account():
    if request.method == "GET":
        return _account_page()
    values = _form_data("name", "language", "timezone")
    data, errors = _load(ProfileSchema(), values)
    if errors:
        return _account_page(profile_values=values, profile_errors=errors)
    current_user.name = data["name"].strip()
    current_user.language = data["language"]
    current_user.timezone = data["timezone"]
    session["language"] = data["language"]
    db.session.commit()
    flash(_("Your account is saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@require(USE_WORKSPACE)
def change_password():
    schema = ChangePasswordSchema()
    schema.account = current_user
    data, errors = _load(schema, _form_data("current_password", "password", "password_repeat"))
    if errors:
        return _account_page(password_errors=errors)
    user = current_user._get_current_object()
    user.set_password(data["password"])
    user.session_version += 1  # ends the other sessions ...
    audit.record("password_changed", user=user, subject=user.email)
    db.session.commit()
    login_user(user)  # ... but not this one
    flash(_("Your password is changed. You were signed out everywhere else."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sign-out-everywhere")
@require(USE_WORKSPACE)
def sign_out_everywhere():
    user = current_user._get_current_object()
    user.session_version += 1
    audit.record("logout", user=user, subject=user.email, everywhere=True)
    db.session.commit()
    logout_user()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


# Two-factor login


def _two_factor_page(errors=None, disable_errors=None, codes_errors=None, recovery_codes=None):
    user = current_user
    context = {"recovery_codes": recovery_codes, "enabled": user.has_totp}
    if recovery_codes is None and not user.has_totp:
        secret = session.get(SETUP_KEY)
        if not secret:
            secret = session[SETUP_KEY] = totp.new_secret()
        issuer = core_settings.get("core.company_name") or "Kontor"
        context.update(secret=secret, qr=totp.qr_data_uri(totp.provisioning_uri(secret, user.email, issuer)),
                       fields=form_fields(SetupCodeSchema(), {}, errors))
    elif recovery_codes is None:
        context.update(disable_fields=form_fields(ConfirmWithPasswordSchema(), {}, disable_errors),
                       codes_fields=form_fields(PasswordOnlySchema(), {}, codes_errors),
                       codes_left=len(user.recovery_codes or []))
    status = 400 if (errors or disable_errors or codes_errors) else 200
    return render_template("core/auth/two_factor.html", **context), status


def _new_recovery_codes(user: User) -> list[str]:
    codes, hashes = totp.new_recovery_codes()
    user.recovery_codes = hashes
    return codes


@bp.route("/account/2fa", methods=["GET", "POST"])
@require(USE_WORKSPACE)
def two_factor():
    user = current_user._get_current_object()
    if request.method == "GET" or user.has_totp:
        return _two_factor_page()
    data, errors = _load(SetupCodeSchema(), _form_data("code"))
    secret = session.get(SETUP_KEY)
    if data is not None and not totp.accept(user, data["code"], secret):
        errors = {"code": [_("This code is not right. Check the time on your phone and try again.")]}
    if errors:
        return _two_factor_page(errors=errors)
    user.totp_secret = secret
    codes = _new_recovery_codes(user)
    audit.record("totp_enabled", user=user, subject=user.email)
    db.session.commit()
    session.pop(SETUP_KEY, None)
    flash(_("Two-factor login is on."), "success")
    # Shown once, in this answer only: only their hashes are stored.
    return _two_factor_page(recovery_codes=codes)


@bp.post("/account/2fa/disable")
@require(USE_WORKSPACE)
def two_factor_disable():
    user = current_user._get_current_object()
    if not user.has_totp:
        return redirect(url_for("auth.two_factor"))
    data, errors = _load(ConfirmWithPasswordSchema(), _form_data("password", "code"))
    if data is not None:
        if not user.check_password(data["password"]):
            errors["password"] = [_("The current password is not right.")]
        if not totp.accept(user, data["code"]):
            errors["code"] = [_("This code is not right. Check the time on your phone and try again.")]
    if errors:
        return _two_factor_page(disable_errors=errors)
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_codes = []
    audit.record("totp_disabled", user=user, subject=user.email)
    db.session.commit()
    flash(_("Two-factor login is off."), "info")
    return redirect(url_for("auth.two_factor"))


@bp.post("/account/2fa/recovery-codes")
@require(USE_WORKSPACE)
def recovery_codes():
    user = current_user._get_current_object()
    if not user.has_totp:
        return redirect(url_for("auth.two_factor"))
    data, errors = _load(PasswordOnlySchema(), _form_data("password"))
    if data is not None and not user.check_password(data["password"]):
        errors = {"password": [_("The current password is not right.")]}
    if errors:
        return _two_factor_page(codes_errors=errors)
    codes = _new_recovery_codes(user)
    audit.record("recovery_codes_renewed", user=user, subject=user.email)
    db.session.commit()
    flash(_("New recovery codes are ready; the old ones no longer work."), "success")
    return _two_factor_page(recovery_codes=codes)


# Pages a user without two-factor login may still open when the owner requires it.
TWO_FACTOR_EXEMPT = {"auth.two_factor", "auth.logout", "workspace.language"}


@bp.before_app_request
def require_two_factor():
    """With ``core.require_2fa`` on, a signed-in user without 2FA sets it up first."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in TWO_FACTOR_EXEMPT or endpoint == "static" or endpoint.endswith(".static"):
        return None
    if not isinstance(current_user._get_current_object(), User) or not current_user.is_authenticated:
        return None
    if current_user.has_totp:
        return None
    # This hook runs before the core's, which refreshes the settings: do it here first, so
    # the owner's latest choice counts.
    kontor.refresh()
    if not core_settings.get("core.require_2fa"):
        return None
    flash(_("The owner requires two-factor login for every account. Please set it up to continue."), "warning")
    return redirect(url_for("auth.two_factor"))
