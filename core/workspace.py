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
    ]


@hookimpl
def register_settings():
    return [
        Setting("core.company_name", _l("Company name"), default="Kontor",
                help=_l("Shown in the top bar and in the browser tab.")),
        Setting("core.page_size", _l("Rows per page in lists"), type="integer", default=25,
                minimum=5, maximum=200),
    ]


@hookimpl
def register_blueprints():
    from core.admin import bp as admin_bp
    from core.auth.views import bp as auth_bp
    from core.views import bp as workspace_bp

    return [workspace_bp, auth_bp, admin_bp]


@hookimpl
def register_migrations():
    return [MigrationSource(branch="core", path=os.path.join(os.path.dirname(__file__), "migrations", "versions"))]


@hookimpl
def register_jobs():
    from core import mail

    return [Job(name="core.send_mail", function=mail.deliver, retries=3)]


@hookimpl
def menu_items(user):
    return [
        MenuItem(_l("Home"), "workspace.home", icon="house", order=0),
        MenuItem(_l("Modules"), "admin.modules", icon="puzzle", order=900, permission="core.admin", section="admin"),
        MenuItem(_l("Settings"), "admin.settings", icon="gear", order=910, permission="core.admin", section="admin"),
        MenuItem(_l("Outbox"), "admin.outbox", icon="envelope", order=920, permission="core.admin", section="admin"),
        MenuItem(_l("Jobs"), "admin.jobs", icon="hourglass-split", order=930, permission="core.admin", section="admin"),
    ]
