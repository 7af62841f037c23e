"""The core's own plugin: the essential "core" module with the workspace pages (home,
search, sign-in, first run) and the admin pages (modules, settings, outbox, jobs). It uses
the same hooks as every other plugin."""
from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.declarations import Job, MenuItem, MigrationSource, Module, Permission, Setting


@hookimpl
def register_modules():
    return [Module(name="core", label=_l("Workspace"), essential=True, version="0.1.0",
                   description=_l("Sign-in, menu, modules, settings, jobs and email."))]


@hookimpl
def register_permissions():
    return [
        Permission("core.use", _l("Use the workspace"), roles=("owner", "module_admin", "user")),
        Permission("core.admin", _l("Switch modules, edit settings, read the outbox"), roles=("owner",)),
        Permission("core.users", _l("Manage staff users, groups, permissions and module access"), roles=("owner",)),
        Permission("core.audit", _l("Read the audit log"), roles=("owner",)),
        Permission("core.portal_accounts", _l("Invite customers to the portal and manage their accounts"),
                   roles=("owner",)),
        Permission("core.login_as_customer", _l("Open the portal as a customer sees it"), roles=("owner",)),
        Permission("core.export_all", _l("Export all data of every module as one file"), roles=("owner",)),
    ]


@hookimpl
def register_settings():
    return [
        Setting("core.company_name", _l("Company name"), default="Kontor",
                help=_l("Shown in the top bar and in the browser tab.")),
        Setting("core.require_2fa", _l("Require two-factor login for everybody"), type="boolean",
                default=False, help=_l("Staff without it are asked to set it up at their next sign-in.")),
        Setting("core.page_size", _l("Rows per page in lists"), type="integer", default=25,
                minimum=5, maximum=200),
        Setting("core.max_upload_mb", _l("Largest file upload (MB)"), type="integer", default=25,
                minimum=1, maximum=500, help=_l("Bigger files attached to records are refused.")),
    ]


@hookimpl
def register_blueprints():
    from core.admin import bp as admin_bp
    from core.auth.views import bp as auth_bp
    from core.people import bp as people_bp
    from core.portal.views import admin_bp as portal_admin_bp
    from core.portal.views import bp as portal_bp
    from core.views import bp as workspace_bp

    from core import records
    from core.records import exports

    return [workspace_bp, auth_bp, admin_bp, people_bp, portal_bp, portal_admin_bp, *records.blueprints(),
            exports.bp]


@hookimpl
def register_field_types():
    from core.records.fields import BUILTIN_TYPES

    return BUILTIN_TYPES


@hookimpl
def register_migrations():
    return [MigrationSource(branch="core", path=os.path.join(os.path.dirname(__file__), "migrations", "versions"))]


@hookimpl
def register_jobs():
    from huey import crontab

    from core import mail
    from core.records import exports, reminders

    return [Job(name="core.send_mail", function=mail.deliver, retries=3),
            # Every minute; each due reminder is delivered once however many workers run it.
            Job(name="core.deliver_reminders", function=reminders.deliver_due, schedule=crontab(minute="*")),
            Job(name=exports.JOB, function=exports.export_all),
            Job(name=exports.CLEANUP_JOB, function=exports.remove_old_exports, schedule=crontab(minute="0"))]


@hookimpl
def permission_allowed(user, permission, record):
    """Record access on a single record: a permission that needs read or write on records
    is denied on a record the user may not read or write."""
    from core import access
    from core.runtime import kontor

    declared = kontor.permissions().get(permission)
    if record is None or declared is None or declared.access is None:
        return None
    return None if access.record_allows(user, record, declared.access) else False


@hookimpl
def permission_query_filter(user, permission, entity_type):
    from core import access
    from core.runtime import kontor

    module, declared = kontor.entity_types().get(entity_type, (None, None))
    if declared is None:
        return None
    level = getattr(kontor.permissions().get(permission), "access", None) or "read"
    return access.record_condition(user, declared, module, level)


@hookimpl
def menu_items(user):
    return [
        MenuItem(_l("Home"), "workspace.home", icon="house", order=0),
        MenuItem(_l("Modules"), "admin.modules", icon="puzzle", order=900, permission="core.admin", section="admin"),
        MenuItem(_l("Settings"), "admin.settings", icon="gear", order=910, permission="core.admin", section="admin"),
        MenuItem(_l("Outbox"), "admin.outbox", icon="envelope", order=920, permission="core.admin", section="admin"),
        MenuItem(_l("Jobs"), "admin.jobs", icon="hourglass-split", order=930, permission="core.admin", section="admin"),
        MenuItem(_l("Users"), "people.users", icon="people", order=800, permission="core.users", section="admin"),
        MenuItem(_l("Groups"), "people.groups", icon="diagram-3", order=810, permission="core.users", section="admin"),
        MenuItem(_l("Permissions"), "people.permissions", icon="shield-lock", order=820, permission="core.users",
                 section="admin"),
        MenuItem(_l("Portal accounts"), "portal_admin.accounts", icon="person-badge", order=830,
                 permission="core.portal_accounts", section="admin"),
        MenuItem(_l("Export all data"), "records_exports.page", icon="file-earmark-zip", order=935,
                 permission="core.export_all", section="admin"),
        MenuItem(_l("Audit log"), "people.audit", icon="journal-text", order=940, permission="core.audit",
                 section="admin"),
        MenuItem(_l("History categories"), "records_timeline.history_categories", icon="tags", order=915,
                 permission="core.admin", section="admin"),
    ]


@hookimpl
def record_actions(user, entity_type, record):
    """A "Create ..." button for every conversion this user may run on the record."""
    from flask import url_for

    from core.declarations import ActionLink
    from core.records import links

    if record is None:
        return []
    return [ActionLink(label=_l("Create: %(label)s", label=conversion.label),
                       url=url_for("records_links.convert", entity_type=entity_type, record_id=record.id,
                                   conversion=conversion.name), icon="plus-square", order=50)
            for conversion in links.available(user, entity_type, record)]
