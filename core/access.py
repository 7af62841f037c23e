"""Permissions and record-level access.

Every route declares what it needs (``@require("contacts.view")``, ``@public``,
``@portal_page``); the core checks it before the view runs, and a route without a
declaration is refused (default deny).

Who has a permission: owners always. Others need access to the permission's module (a module
can be restricted to chosen users and groups), then any plugin answering ``False`` in
``permission_allowed`` denies, any ``True`` allows, else the role defaults decide, widened by
what the owner granted to roles and groups. Module admins are users granted the
``module_admin`` role on one module.

Record access is SQL: ``filter_query`` ANDs the conditions of ``permission_query_filter``
into a query, so lists, counts, search and exports agree with what a user may see.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import String, and_, delete, false, insert, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.runtime import kontor

log = logging.getLogger(__name__)

PUBLIC = "public"
# Pages of the customer portal: a signed-in portal account (or staff logged in as one).
PORTAL = "portal"
# Every signed-in staff user has this one: the workspace itself (home, search, profile).
USE_WORKSPACE = "core.use"

# Record access modes. Private and restricted records are seen by their listed users only
# (a contact's managers, a deal's restricted list); public ones by every user of the module.
PRIVATE = "private"
PUBLIC_READ = "public_read"
PUBLIC_WRITE = "public_write"
RESTRICTED = "restricted"
ACCESS_MODES = (PRIVATE, PUBLIC_READ, PUBLIC_WRITE, RESTRICTED)
OPEN_MODES = {"read": (PUBLIC_READ, PUBLIC_WRITE), "write": (PUBLIC_WRITE,)}


class RecordAccessMixin:
    """The column an entity type with ``record_access=True`` needs."""

    access_mode: Mapped[str] = mapped_column(String(20), default=PRIVATE, index=True)


# Declarations


def require(permission: str) -> Callable:
    """Declare the permission a view needs: ``@require("contacts.view")``."""

    def decorate(view):
        view.kontor_permission = permission
        return view

    return decorate


def public(view):
    """Declare a view open to everybody, signed in or not (login page, static files)."""
    view.kontor_permission = PUBLIC
    return view


def portal_page(view):
    """Declare a customer portal page: it needs a signed-in portal account. Scope every
    query in it with ``core.portal.portal_scope``."""
    view.kontor_permission = PORTAL
    return view


def declared_permission(endpoint: str | None, view) -> str | None:
    if endpoint is not None and (endpoint == "static" or endpoint.endswith(".static")):
        return PUBLIC
    return getattr(view, "kontor_permission", None)


# What the owner configured: module restrictions, module admins, extra grants. Loaded with
# the settings whenever the revision counter moves (core.runtime).


@dataclass(frozen=True)
class AccessRules:
    restricted: frozenset[str] = frozenset()
    # module -> ids; "access" lists who may use a restricted module, "admin" its module admins
    access_users: dict[str, frozenset[int]] = field(default_factory=dict)
    access_groups: dict[str, frozenset[int]] = field(default_factory=dict)
    admin_users: dict[str, frozenset[int]] = field(default_factory=dict)
    admin_groups: dict[str, frozenset[int]] = field(default_factory=dict)
    # permission -> roles / group ids granted beyond the declared defaults
    role_grants: dict[str, frozenset[str]] = field(default_factory=dict)
    group_grants: dict[str, frozenset[int]] = field(default_factory=dict)


def load_rules() -> AccessRules:
    from core.models import ModuleGrant, ModuleState, PermissionGrant

    def collect(rows):
        result: dict = {}
        for key, value in rows:
            result.setdefault(key, set()).add(value)
        return {key: frozenset(values) for key, values in result.items()}

    grants = db.session.execute(select(ModuleGrant.module, ModuleGrant.kind, ModuleGrant.user_id,
                                       ModuleGrant.group_id)).all()
    permission_grants = db.session.execute(select(PermissionGrant.permission, PermissionGrant.role,
                                                  PermissionGrant.group_id)).all()
    return AccessRules(
        restricted=frozenset(db.session.execute(select(ModuleState.name).where(ModuleState.restricted)).scalars()),
        access_users=collect((m, u) for m, k, u, _ in grants if k == "access" and u is not None),
        access_groups=collect((m, gr) for m, k, _, gr in grants if k == "access" and gr is not None),
        admin_users=collect((m, u) for m, k, u, _ in grants if k == "admin" and u is not None),
        admin_groups=collect((m, gr) for m, k, _, gr in grants if k == "admin" and gr is not None),
        role_grants=collect((p, r) for p, r, _ in permission_grants if r is not None),
        group_grants=collect((p, gr) for p, _, gr in permission_grants if gr is not None),
    )


def _rules() -> AccessRules:
    return kontor.state.access or AccessRules()


def _group_ids(user) -> frozenset[int]:
    """The user's groups, asked once per request."""
    from core.auth.models import group_member

    cache = g.setdefault("kontor_group_ids", {})
    if user.id not in cache:
        cache[user.id] = frozenset(db.session.execute(
            select(group_member.c.group_id).where(group_member.c.user_id == user.id)).scalars())
    return cache[user.id]


def _in_groups(user, groups) -> bool:
    """Whether ``user`` is in one of ``groups``; the database is asked only if there are any."""
    return bool(groups) and bool(_group_ids(user) & groups)


def _is_staff(user) -> bool:
    from core.auth.models import User

    return isinstance(user, User) and user.is_authenticated


def is_module_admin(user, module: str) -> bool:
    if not _is_staff(user):
        return False
    if user.is_owner:
        return True
    rules = _rules()
    return user.id in rules.admin_users.get(module, ()) or _in_groups(user, rules.admin_groups.get(module))


def can_use_module(user, module: str) -> bool:
    """Whether ``user`` may use ``module`` at all: everybody, unless the owner restricted it
    to chosen users and groups (module admins always may)."""
    if not _is_staff(user):
        return False
    rules = _rules()
    if user.is_owner or module not in rules.restricted:
        return True
    return (user.id in rules.access_users.get(module, ())
            or _in_groups(user, rules.access_groups.get(module))
            or is_module_admin(user, module))


def usable_modules(user, modules) -> frozenset[str]:
    """The subset of ``modules`` that ``user`` may use."""
    return frozenset(m for m in modules if can_use_module(user, m))


def module_of(permission: str) -> str:
    return permission.split(".", 1)[0]


def has_permission(user, permission: str, record=None) -> bool:
    """Whether ``user`` has ``permission`` (on ``record``, if given)."""
    if permission == PUBLIC:
        return True
    if not _is_staff(user):
        return False
    if user.is_owner:
        return True
    declared = kontor.permissions()
    if permission not in declared:
        return False  # unknown, or its module is switched off
    module = module_of(permission)
    if not can_use_module(user, module):
        return False
    answers = kontor.hook("permission_allowed", user=user, permission=permission, record=record)
    if False in answers:
        return False
    if True in answers:
        return True
    rules = _rules()
    roles = {"user", "module_admin"} if is_module_admin(user, module) else {"user"}
    granted_roles = set(declared[permission].roles) | rules.role_grants.get(permission, frozenset())
    return bool(roles & granted_roles) or _in_groups(user, rules.group_grants.get(permission))


def local_path(target: str | None, prefix: str = "/") -> str | None:
    """``target`` if it is a path of this site under ``prefix`` (for "next" redirects),
    else ``None``: "//host" and "/\\host" would lead browsers to another site."""
    if target and target.startswith(prefix) and not target.startswith(("//", "/\\")):
        return target
    return None


# Record-level access


def entity_type_of(record):
    """The ``(module, EntityType)`` whose model ``record`` is, or ``(None, None)``."""
    for module, entity_type in kontor.entity_types().values():
        if isinstance(record, entity_type.model):
            return module, entity_type
    return None, None


def record_condition(user, entity_type, module: str, level: str = "read"):
    """The SQL condition for the records of ``entity_type`` that ``user`` may ``level``
    (read or write), or ``None`` when they may all of them. An EXISTS on the member table's
    covering index, so it costs the same at 10 or 100,000 records.

    The ``OFFSET 0`` keeps PostgreSQL from turning the EXISTS into a hash of every record
    the user is listed on: its planner expects to test the whole table and builds that hash
    first (0.5 ms for a user on 3,000 records), where a list page tests a few dozen rows, one
    index probe each (``benchmarks/contact_list.py``)."""
    from core.models import RecordMember

    if not entity_type.record_access or is_module_admin(user, module):
        return None
    model = entity_type.model
    listed = select(RecordMember.id).where(RecordMember.entity_type == entity_type.name,
                                           RecordMember.user_id == user.id,
                                           RecordMember.record_id == model.id).offset(0).exists()
    return or_(model.access_mode.in_(OPEN_MODES[level]), listed)


def record_allows(user, record, level: str = "read") -> bool:
    """The single-record form of ``record_condition``."""
    from core.models import RecordMember

    module, entity_type = entity_type_of(record)
    if entity_type is None or not entity_type.record_access or is_module_admin(user, module):
        return True
    if record.access_mode in OPEN_MODES[level]:
        return True
    return db.session.execute(select(RecordMember.id).where(
        RecordMember.entity_type == entity_type.name, RecordMember.record_id == record.id,
        RecordMember.user_id == user.id)).first() is not None


def query_condition(user, permission: str, entity_type: str):
    """The SQL condition for the rows of ``entity_type`` that ``user`` may see with
    ``permission``: false without the permission, else every plugin's
    ``permission_query_filter`` condition ANDed; ``None`` when nothing restricts the user
    (so a caller can skip asking the database, e.g. which rows of a list may be changed)."""
    if not has_permission(user, permission):
        return false()
    conditions = kontor.hook("permission_query_filter", user=user, permission=permission, entity_type=entity_type)
    return and_(*conditions) if conditions else None


def filter_query(query, user, permission: str, entity_type: str):
    """Limit ``query`` (a ``select`` of ``entity_type``'s model) to the rows ``user`` may
    see with ``permission`` (``query_condition``)."""
    condition = query_condition(user, permission, entity_type)
    return query if condition is None else query.where(condition)


def get_record_or_404(entity_type: str, record_id, permission: str):
    """The record for a detail, edit or delete view: 404 when it does not exist or the user
    may not see it (so its existence is not revealed), 403 when they may see it but lack
    ``permission`` on it."""
    module, declared = kontor.entity_types().get(entity_type, (None, None))
    if declared is None or not kontor.is_enabled(module):
        abort(404)
    if not has_permission(current_user, permission):
        abort(403)  # not for this user at all (role, module access): no record is looked up
    record = db.session.get(declared.model, record_id)
    if record is None or not record_allows(current_user, record, "read"):
        abort(404)
    if not has_permission(current_user, permission, record):
        abort(403)
    return record


def members(entity_type: str, record_id: int) -> list[int]:
    from core.models import RecordMember

    return list(db.session.execute(select(RecordMember.user_id).where(
        RecordMember.entity_type == entity_type, RecordMember.record_id == record_id)
        .order_by(RecordMember.user_id)).scalars())


def set_members(entity_type: str, record, user_ids, actor=None) -> set[int]:
    """Make ``user_ids`` the record's listed users (its managers, or the users a restricted
    record is shared with). Users newly on the list are notified, in the workspace and by
    email. Returns their ids; the caller commits."""
    from core.auth.models import User
    from core.models import RecordMember

    wanted, current = set(user_ids), set(members(entity_type, record.id))
    added, removed = wanted - current, current - wanted
    if removed:
        db.session.execute(delete(RecordMember).where(
            RecordMember.entity_type == entity_type, RecordMember.record_id == record.id,
            RecordMember.user_id.in_(removed)))
    if added:
        db.session.execute(insert(RecordMember), [
            {"entity_type": entity_type, "record_id": record.id, "user_id": user_id} for user_id in added])
        _notify_listed(entity_type, record, db.session.execute(
            select(User).where(User.id.in_(added), User.active)).scalars().all(), actor)
    return added


def _notify_listed(entity_type: str, record, users, actor) -> None:
    """Tell users newly listed on a record: a notification in the workspace and an email."""
    from flask_babel import gettext as _

    from core.records import notifications, record_url
    from core.records import title as record_title

    _module, declared = kontor.entity_types()[entity_type]
    title, url = record_title(declared, record), record_url(declared, record.id)
    for user in users:
        if actor is not None and user.id == actor.id:
            continue
        with notifications.in_language(user):
            notifications.notify(
                user, "listed",
                _("%(actor)s added you to %(label)s \u201c%(title)s\u201d in Kontor.",
                  actor=actor.name if actor is not None else "Kontor", label=str(declared.label), title=title),
                url=url, email=True,
                subject=_("You now have access to %(label)s \u201c%(title)s\u201d", label=str(declared.label),
                          title=title))


# The gate before every view


def check_request():
    """``before_request``: the module gate (404 when switched off), then the route's
    declared permission."""
    blueprint = request.blueprint
    if blueprint:
        owner = kontor.blueprint_owner.get(blueprint.split(".")[0])
        if owner is not None and not kontor.is_enabled(owner):
            abort(404)
    if request.endpoint is None:
        return None  # no such route: Flask answers 404
    permission = declared_permission(request.endpoint, current_app.view_functions.get(request.endpoint))
    if permission is None:
        log.error("Route %s declares no permission; refused", request.endpoint)
        abort(403)
    if permission == PUBLIC:
        return None
    if permission == PORTAL:
        from core.portal import current_account

        if current_account() is None:
            return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not has_permission(current_user, permission):
        abort(403)
    return None
