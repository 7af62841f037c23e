"""A small test plugin whose entity types opt into every record service, so the core's
tests of custom fields, tags, notes, files, the timeline, conversions, reminders and search
need no feature plugin. Gadgets convert into widgets and sprockets."""
from __future__ import annotations

import os

from core import Conversion, EntityType, MenuItem, MigrationSource, Module, Permission, access, hookimpl


@hookimpl
def register_modules():
    return [Module(name="gadgets", label="Gadgets", description="Test records for the record services")]


@hookimpl
def register_entity_types():
    from tests.support.gadgets.models import Gadget, Sprocket, Widget
    from tests.support.gadgets.schemas import SprocketSchema, WidgetSchema
    from tests.support.gadgets.views import GadgetSchema

    services = dict(custom_fields=True, tags=True, notes=True, files=True, timeline=True, reminders=True)
    return [
        EntityType(name="gadget", label="Gadget", label_plural="Gadgets", model=Gadget, schema=GadgetSchema,
                   list_columns=("name", "status", "price"), search_fields=("name",), record_access=True,
                   default_access=access.PUBLIC_WRITE, view_permission="gadgets.view",
                   edit_permission="gadgets.edit", admin_permission="gadgets.admin",
                   detail_endpoint="gadgets.detail", **services),
        EntityType(name="widget", label="Widget", label_plural="Widgets", model=Widget, schema=WidgetSchema,
                   search_fields=("name",),
                   view_permission="gadgets.view", edit_permission="gadgets.edit",
                   detail_endpoint="gadgets.widget", timeline=True, notes=True),
        EntityType(name="sprocket", label="Sprocket", label_plural="Sprockets", model=Sprocket,
                   schema=SprocketSchema, search_fields=("name",), view_permission="gadgets.view",
                   edit_permission="gadgets.edit",
                   detail_endpoint="gadgets.sprocket", timeline=True),
    ]


def _check_parts(source, values):
    """A conversion's own rule, beyond the schemas: sprocket codes are capitals."""
    code = values.get("sprocket", {}).get("code", "")
    if code != code.upper():
        return {"sprocket": {"code": ["Use capital letters."]}}
    return None


def _after_parts(source, targets):
    # The gadget is done once its parts exist.
    source.status = "done"


@hookimpl
def register_conversions():
    return [Conversion(name="gadgets.make_parts", label="Make parts", source="gadget",
                       targets=("widget", "sprocket"),
                       field_map={"widget": {"name": "name"}, "sprocket": {"name": "name"}},
                       exclude=("status", "price"), validate=_check_parts, postprocess=_after_parts,
                       attach_existing=True)]


@hookimpl
def register_permissions():
    return [
        Permission("gadgets.view", "See gadgets", roles=("owner", "module_admin", "user"), access="read"),
        Permission("gadgets.edit", "Change gadgets", roles=("owner", "module_admin", "user"), access="write"),
        Permission("gadgets.create", "Add gadgets", roles=("owner", "module_admin", "user")),
        Permission("gadgets.admin", "Manage gadget fields, tags and categories", roles=("owner", "module_admin")),
    ]


@hookimpl
def register_blueprints():
    from tests.support.gadgets.views import bp

    return [bp]


@hookimpl
def register_migrations():
    return [MigrationSource(branch="gadgets",
                            path=os.path.join(os.path.dirname(__file__), "migrations", "versions"))]


@hookimpl
def menu_items(user):
    return [MenuItem("Gadgets", "gadgets.index", icon="gear-wide", order=60, permission="gadgets.view")]


@hookimpl
def search(user, query, limit):
    from core.records import search as search_service

    return search_service.search_entity("gadget", user, query, limit)
