"""Tasks: to-dos with a due time, an alert and a responsible user, on their own or about a
record of any entity type that asks for them (``task_entity_types``)."""
from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

from core import (ActionLink, DemoData, EntityType, MenuItem, MigrationSource, Module, Permission, Tab, has_permission,
                  hookimpl)


@hookimpl
def register_modules():
    return [Module(name="tasks", label=_l("Tasks"),
                   description=_l("Tasks with due dates, alerts and responsible users, on records or on their own"))]


@hookimpl
def addhookspecs(pm):
    from plugins.tasks import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def register_entity_types():
    from plugins.tasks.models import Task
    from plugins.tasks.schemas import TaskSchema

    return [EntityType(
        name="task", label=_l("Task"), label_plural=_l("Tasks"), model=Task, schema=TaskSchema,
        list_columns=("title", "due_at", "status"), search_fields=("title",), timeline=True, notes=True,
        view_permission="tasks.view", edit_permission="tasks.edit",
        detail_endpoint="tasks.detail", title_attribute="title")]


@hookimpl
def register_permissions():
    everyone = ("owner", "module_admin", "user")
    return [
        Permission("tasks.view", _l("See tasks"), roles=everyone),
        Permission("tasks.create", _l("Add tasks"), roles=everyone),
        Permission("tasks.edit", _l("Change, close and reopen tasks"), roles=everyone),
        Permission("tasks.delete", _l("Delete tasks"), roles=everyone),
        Permission("tasks.admin", _l("Manage task categories"), roles=("owner", "module_admin")),
    ]


@hookimpl
def register_blueprints():
    from plugins.tasks.views import bp

    return [bp]


@hookimpl
def register_migrations():
    return [MigrationSource(branch="tasks", path=os.path.join(os.path.dirname(__file__), "migrations", "versions"))]


@hookimpl
def register_demo_data():
    from plugins.tasks import demo

    return [DemoData(name="tasks", load=demo.load, order=30)]


@hookimpl
def menu_items(user):
    return [MenuItem(_l("My tasks"), "tasks.index", icon="check2-square", order=30, permission="tasks.view"),
            MenuItem(_l("Task categories"), "tasks.categories", icon="tags", order=60, permission="tasks.admin",
                     section="admin")]


def _tasks_tab(user, record_type, record):
    from plugins.tasks import service, views

    if not has_permission(user, "tasks.view") or record_type not in service.task_types():
        return None
    return [Tab(name="tasks", label=_l("Tasks"), render=lambda: views.render_tab(record_type, record), order=50)]


@hookimpl
def record_tabs(user, entity_type, record):
    return _tasks_tab(user, entity_type, record)


@hookimpl
def customer_tabs(user, customer):
    from plugins.tasks import service

    return _tasks_tab(user, service.type_of(customer), customer)


@hookimpl
def bulk_actions(user, entity_type):
    from flask import url_for

    from plugins.tasks import service

    if not has_permission(user, "tasks.create") or entity_type not in service.task_types():
        return None
    return [ActionLink(_l("Create task for each"), url_for("tasks.bulk", entity_type=entity_type),
                       icon="check2-square", order=50)]


@hookimpl
def search(user, query, limit):
    from core.records import search as search_service

    return search_service.search_entity("task", user, query, limit)


@hookimpl
def track_event(event):
    # A deleted record's tasks stay, unlinked: its id may name another record one day.
    if event.action == "deleted" and event.entity_type != "task":
        from plugins.tasks import service

        service.unlink_tasks(event.entity_type, event.record_id)


@hookimpl
def merge_records(entity_type, survivor, merged, user):
    from plugins.tasks import service

    service.move_tasks(entity_type, merged.id, survivor.id)
