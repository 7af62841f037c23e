"""Administration of people and rights: staff users, groups, the permission matrix, module
access, and the audit log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from core import audit as audit_log
from core import settings as settings_service
from core.access import module_of, require
from core.auth import accounts
from core.auth.models import Group, PortalAccount, User, group_member
from core.db import db
from core.forms import form_fields, length, one_of
from core.i18n import LANGUAGES
from core.listing import paginate
from core.models import AuditEntry, ModuleState, PermissionGrant
from core.modules import ModuleError, grants, set_access
from core.runtime import kontor

bp = Blueprint("people", __name__, url_prefix="/admin")

ROLES = ("user", "owner")
ROLE_LABELS = (_l("User"), _l("Owner"))


def _ids(name: str) -> list[int]:
    """The ids ticked in a multi-select; anything that is not a number is dropped."""
    return sorted({int(v) for v in request.form.getlist(name) if v.isdigit()})


def _unknown(model, ids) -> bool:
    if not ids:
        return False
    found = db.session.execute(select(func.count()).select_from(model).where(model.id.in_(ids))).scalar()
    return found != len(set(ids))


def _group_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(select(Group.id, Group.name).order_by(Group.name)).all())


def _user_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(User.id, User.name, User.email, User.active).order_by(User.name, User.id)).all()
    return [(uid, f"{name} ({email})" if active else f"{name} ({email}, {_('inactive')})")
            for uid, name, email, active in rows]


# Users


class InviteSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Name")})
    email = fields.Email(required=True, validate=length(3, 320), metadata={"label": _l("Email")})
    role = fields.String(load_default="user", validate=one_of(ROLES, ROLE_LABELS), metadata={"label": _l("Role")})
    language = fields.String(load_default="de", validate=one_of(list(LANGUAGES), list(LANGUAGES.values())),
                             metadata={"label": _l("Language"),
                                       "help": _l("The invitation email is in this language.")})
    groups = fields.List(fields.Integer(), load_default=list)


class UserSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Name")})
    role = fields.String(required=True, validate=one_of(ROLES, ROLE_LABELS), metadata={"label": _l("Role")})
    active = fields.Boolean(load_default=False, metadata={
        "label": _l("Active"), "help": _l("Deactivated users cannot sign in; their sessions end at once.")})
    groups = fields.List(fields.Integer(), load_default=list)


def _shown(schema, values, errors):
    """The plain fields; the group multi-select is drawn by the template."""
    return [f for f in form_fields(schema, values, errors) if f.name != "groups"]


@bp.get("/users")
@require("core.users")
def users():
    page = paginate(select(User).options(selectinload(User.groups)), User,
                    # Not by last sign-in: keyset paging cannot step past NULLs (never signed in).
                    {"name": User.name, "email": User.email, "role": User.role},
                    request.args.get("sort", "name"), request.args.get("dir", "asc"),
                    request.args.get("after"), settings_service.get("core.page_size"))
    return render_template("core/admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@require("core.users")
def invite_user():
    schema = InviteSchema()
    errors: dict = {}
    values = {"role": "user", "language": "de", "groups": []}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("name", "email", "role", "language")}
        values["groups"] = _ids("groups")
        try:
            data = schema.load(values)
        except ValidationError as exc:
            errors = exc.messages
            data = None
        if data is not None:
            email = data["email"].strip().lower()
            if db.session.execute(select(User.id).where(func.lower(User.email) == email)).first():
                errors["email"] = [_("A user with this email exists already.")]
            if data["role"] == "owner" and not current_user.is_owner:
                errors["role"] = [_("Only an owner can make someone an owner.")]
            if _unknown(Group, data["groups"]):
                errors["groups"] = [_("Choose among the offered groups.")]
        if not errors:
            chosen = db.session.execute(select(Group).where(Group.id.in_(data["groups"]))).scalars().all()
            user = accounts.invite_user(data["name"], email, data["role"], chosen, actor=current_user,
                                        language=data["language"])
            audit_log.record("user_created", user=current_user, subject=user.email, created_user_id=user.id,
                             role=user.role, groups=[g.name for g in chosen])
            db.session.commit()
            flash(_("%(name)s is invited; the email with the link is on its way.", name=user.name), "success")
            return redirect(url_for("people.users"))
        flash(_("Please correct the marked fields."), "danger")
    return render_template("core/admin/user_form.html", user=None, fields=_shown(schema, values, errors),
                           groups=_group_choices(), chosen=set(values["groups"]),
                           group_errors=errors.get("groups", [])), (400 if errors else 200)


def _active_owner_ids() -> list[int]:
    # Locked on PostgreSQL so two owners demoting each other at once cannot both succeed.
    return list(db.session.execute(select(User.id).where(User.role == "owner", User.active)
                                   .with_for_update()).scalars())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("core.users")
def edit_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    schema = UserSchema()
    errors: dict = {}
    values = {"name": user.name, "role": user.role, "active": user.active, "groups": [g.id for g in user.groups]}
    if request.method == "POST":
        values = {"name": request.form.get("name", "").strip(), "role": request.form.get("role", ""),
                  "active": "active" in request.form, "groups": _ids("groups")}
        try:
            data = schema.load(values)
        except ValidationError as exc:
            errors = exc.messages
            data = None
        if data is not None:
            errors = _user_rule_errors(user, data)
        if not errors:
            _save_user(user, data)
            flash(_("%(name)s is saved.", name=user.name), "success")
            if user.id == current_user.id and not user.is_owner:
                return redirect(url_for("workspace.home"))  # an owner who stepped down may not see the list
            return redirect(url_for("people.users"))
        flash(_("Please correct the marked fields."), "danger")
    return render_template("core/admin/user_form.html", user=user, fields=_shown(schema, values, errors),
                           groups=_group_choices(), chosen=set(values["groups"]),
                           group_errors=errors.get("groups", [])), (400 if errors else 200)


def _user_rule_errors(user: User, data: dict) -> dict:
    errors: dict = {}
    if _unknown(Group, data["groups"]):
        errors["groups"] = [_("Choose among the offered groups.")]
    # Anyone granted core.users could otherwise make themselves an owner.
    if not current_user.is_owner and (user.is_owner or data["role"] == "owner"):
        errors["role"] = [_("Only an owner can change an owner or make someone an owner.")]
    if user.id == current_user.id and not data["active"]:
        errors["active"] = [_("You cannot deactivate yourself.")]
    stays_owner = data["role"] == "owner" and data["active"]
    if user.is_owner and user.active and not stays_owner and _active_owner_ids() == [user.id]:
        message = _("%(name)s is the last active owner. Make someone else an owner first.", name=user.name)
        errors.setdefault("role" if data["role"] != "owner" else "active", []).append(message)
    return errors


def _save_user(user: User, data: dict) -> None:
    before = {"name": user.name, "role": user.role, "groups": sorted(g.name for g in user.groups)}
    chosen = db.session.execute(select(Group).where(Group.id.in_(data["groups"]))).scalars().all()
    user.name = data["name"]
    user.role = data["role"]
    user.groups = list(chosen)
    after = {"name": user.name, "role": user.role, "groups": sorted(g.name for g in chosen)}
    if user.active and not data["active"]:
        user.active = False
        user.session_version = (user.session_version or 0) + 1  # their sessions end at their next request
        audit_log.record("user_deactivated", user=current_user, subject=user.email, target_user_id=user.id)
    elif not user.active and data["active"]:
        user.active = True
        audit_log.record("user_reactivated", user=current_user, subject=user.email, target_user_id=user.id)
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changes:
        audit_log.record("user_changed", user=current_user, subject=user.email, target_user_id=user.id, **changes)
    db.session.commit()


# Groups


class GroupSchema(Schema):
    name = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Name")})
    description = fields.String(load_default="", validate=length(maximum=2000),
                                metadata={"label": _l("Description"), "widget": "textarea"})
    members = fields.List(fields.Integer(), load_default=list)


@bp.get("/groups")
@require("core.users")
def groups():
    page = paginate(select(Group), Group, {"name": Group.name}, request.args.get("sort", "name"),
                    request.args.get("dir", "asc"), request.args.get("after"), settings_service.get("core.page_size"))
    ids = [group.id for group in page.rows]
    counts = dict(db.session.execute(select(group_member.c.group_id, func.count()).where(
        group_member.c.group_id.in_(ids)).group_by(group_member.c.group_id)).all()) if ids else {}
    return render_template("core/admin/groups.html", page=page, counts=counts)


@bp.route("/groups/new", methods=["GET", "POST"])
@require("core.users")
def new_group():
    return _group_form(None)


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@require("core.users")
def edit_group(group_id: int):
    group = db.session.get(Group, group_id)
    if group is None:
        abort(404)
    return _group_form(group)


def _group_form(group: Group | None):
    schema = GroupSchema()
    errors: dict = {}
    values = {"name": group.name, "description": group.description, "members": [u.id for u in group.members]} \
        if group else {"members": []}
    if request.method == "POST":
        values = {"name": request.form.get("name", "").strip(), "description": request.form.get("description", ""),
                  "members": _ids("members")}
        try:
            data = schema.load(values)
        except ValidationError as exc:
            errors = exc.messages
            data = None
        if data is not None:
            taken = select(Group.id).where(func.lower(Group.name) == data["name"].lower())
            if group is not None:
                taken = taken.where(Group.id != group.id)
            if db.session.execute(taken).first():
                errors["name"] = [_("A group with this name exists already.")]
            if _unknown(User, data["members"]):
                errors["members"] = [_("Choose among the offered users.")]
        if not errors:
            group = _save_group(group, data)
            flash(_("Group %(name)s is saved.", name=group.name), "success")
            return redirect(url_for("people.groups"))
        flash(_("Please correct the marked fields."), "danger")
    fields_ = [f for f in form_fields(schema, values, errors) if f.name != "members"]
    return render_template("core/admin/group_form.html", group=group, fields=fields_, users=_user_choices(),
                           chosen=set(values["members"]), member_errors=errors.get("members", [])), (
        400 if errors else 200)


def _save_group(group: Group | None, data: dict) -> Group:
    before = {u.email for u in group.members} if group else set()
    action = "changed" if group else "created"
    members = db.session.execute(select(User).where(User.id.in_(data["members"]))).scalars().all()
    if group is None:
        group = Group()
        db.session.add(group)
    group.name = data["name"]
    group.description = data["description"]
    group.members = list(members)
    after = {u.email for u in members}
    db.session.flush()
    # Group ids are read per request (core.access), so new members have the group's rights at once.
    audit_log.record("group_changed", user=current_user, subject=group.name, group_id=group.id, action=action,
                     added=sorted(after - before), removed=sorted(before - after))
    db.session.commit()
    return group


@bp.post("/groups/<int:group_id>/delete")
@require("core.users")
def delete_group(group_id: int):
    group = db.session.get(Group, group_id)
    if group is None:
        abort(404)
    name = group.name
    audit_log.record("group_changed", user=current_user, subject=name, group_id=group.id, action="deleted",
                     removed=sorted(u.email for u in group.members))
    db.session.delete(group)
    # Its module and permission grants go with it (ON DELETE CASCADE): reload the access rules.
    kontor.bump_revision()
    db.session.commit()
    kontor.refresh(force=True)
    flash(_("Group %(name)s is deleted.", name=name), "success")
    return redirect(url_for("people.groups"))


# Module access and module admins


@bp.route("/modules/<name>/access", methods=["GET", "POST"])
@require("core.users")
def module_access(name: str):
    module = kontor.module(name)
    if module is None:
        abort(404)
    errors: dict = {}
    restricted = bool(db.session.execute(select(ModuleState.restricted).where(ModuleState.name == name)).scalar())
    (access_users, access_groups), (admin_users, admin_groups) = grants(name, "access"), grants(name, "admin")
    chosen = {"access_users": access_users, "access_groups": access_groups,
              "admin_users": admin_users, "admin_groups": admin_groups}
    if request.method == "POST":
        restricted = "restricted" in request.form
        chosen = {key: _ids(key) for key in chosen}
        for key in chosen:
            if _unknown(User if key.endswith("users") else Group, chosen[key]):
                errors[key] = [_("Choose among the offered entries.")]
        if not errors:
            try:
                set_access(name, restricted, chosen["access_users"], chosen["access_groups"],
                           chosen["admin_users"], chosen["admin_groups"], user=current_user)
            except ModuleError as exc:
                db.session.rollback()
                errors["restricted"] = [str(exc)]
            else:
                flash(_("Access to %(module)s is saved.", module=module.label), "success")
                return redirect(url_for("people.module_access", name=name))
        flash(_("Please correct the marked fields."), "danger")
    return render_template("core/admin/module_access.html", module=module, restricted=restricted,
                           chosen={key: set(ids) for key, ids in chosen.items()}, errors=errors,
                           users=_user_choices(), groups=_group_choices()), (400 if errors else 200)


# The permission matrix


def _matrix_columns() -> list[tuple[str, str]]:
    """``(key, label)``: the roles, then every group (``group:<id>``). Owners have every
    permission, so they get no column."""
    columns = [("role:user", _("Users")), ("role:module_admin", _("Module admins"))]
    return columns + [(f"group:{gid}", name) for gid, name in _group_choices()]


def _granted_by_default(permission, column: str) -> bool:
    """Whether the declared roles already give ``column`` the permission: module admins and
    group members are users too, so what users have, they have."""
    roles = set(permission.roles)
    if column == "role:module_admin":
        return bool(roles & {"user", "module_admin"})
    return "user" in roles


def _stored_grants(names) -> dict[str, int]:
    """``"<permission>|<column>"`` -> PermissionGrant id, for the permissions ``names``."""
    rows = db.session.execute(select(PermissionGrant).where(PermissionGrant.permission.in_(names))).scalars()
    return {f"{row.permission}|" + (f"role:{row.role}" if row.role else f"group:{row.group_id}"): row.id
            for row in rows}


@bp.route("/permissions", methods=["GET", "POST"])
@require("core.users")
def permissions():
    declared = kontor.permissions()
    columns = _matrix_columns()
    column_keys = {key for key, _label in columns}
    sections = []
    for module in kontor.modules:
        if kontor.is_enabled(module.name):
            rows = [p for name, p in sorted(declared.items()) if module_of(name) == module.name]
            if rows:
                sections.append((module, rows))
    stored = _stored_grants(list(declared))
    if request.method == "POST":
        wanted = set()
        for value in request.form.getlist("grant"):
            permission, _sep, column = value.partition("|")
            # Only offered cells count: known permission, known column, not already a default.
            if permission in declared and column in column_keys and not _granted_by_default(declared[permission],
                                                                                             column):
                wanted.add(value)
        added, removed = sorted(wanted - stored.keys()), sorted(stored.keys() - wanted)
        if removed:
            db.session.execute(delete(PermissionGrant).where(PermissionGrant.id.in_([stored[k] for k in removed])))
        for value in added:
            permission, _sep, column = value.partition("|")
            kind, _sep, who = column.partition(":")
            db.session.add(PermissionGrant(permission=permission, role=who if kind == "role" else None,
                                           group_id=int(who) if kind == "group" else None))
        if added or removed:
            labels = dict(columns)
            audit_log.record("permission_changed", user=current_user, subject=", ".join(
                sorted({v.partition("|")[0] for v in added + removed})),
                added=[f"{v.partition('|')[0]}: {labels[v.partition('|')[2]]}" for v in added],
                removed=[f"{v.partition('|')[0]}: {labels.get(v.partition('|')[2], v)}" for v in removed])
            kontor.bump_revision()
            db.session.commit()
            kontor.refresh(force=True)
        flash(_("Permissions are saved."), "success")
        return redirect(url_for("people.permissions"))
    return render_template("core/admin/permissions.html", sections=sections, columns=columns,
                           granted=set(stored), default=_granted_by_default)


# The audit log


@bp.get("/audit")
@require("core.audit")
def audit():
    event = request.args.get("event", "")
    query = select(AuditEntry)
    if event in audit_log.EVENTS:
        query = query.where(AuditEntry.event == event)
    else:
        event = ""
    page = paginate(query, AuditEntry, {"created_at": AuditEntry.created_at}, "created_at", "desc",
                    request.args.get("after"), settings_service.get("core.page_size"))
    user_ids = {entry.user_id for entry in page.rows if entry.user_id}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    account_ids = {entry.portal_account_id for entry in page.rows if entry.portal_account_id}
    account_names = dict(db.session.execute(select(PortalAccount.id, PortalAccount.name).where(
        PortalAccount.id.in_(account_ids))).all()) if account_ids else {}
    choices = sorted(((key, str(label)) for key, label in audit_log.EVENTS.items()), key=lambda c: c[1].lower())
    return render_template("core/admin/audit.html", page=page, names=names, account_names=account_names,
                           event=event, events=audit_log.EVENTS, choices=choices)
