"""Contacts: persons and companies, the customers of every other module."""
from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

from core import DemoData, EntityType, MenuItem, MigrationSource, Module, Permission, Setting, access, hookimpl


@hookimpl
def register_modules():
    return [Module(name="contacts", label=_l("Contacts"),
                   description=_l("Persons and companies, customer overview, CSV import and web forms"))]


@hookimpl
def register_entity_types():
    from plugins.contacts.models import Contact
    from plugins.contacts.schemas import ContactSchema

    return [EntityType(
        name="contact", label=_l("Contact"), label_plural=_l("Contacts"), model=Contact, schema=ContactSchema,
        list_columns=("name", "email", "phone"), search_fields=("name", "email"),
        custom_fields=True, tags=True, notes=True, files=True, timeline=True, reminders=True,
        record_access=True, default_access=access.PRIVATE, customer=True,
        view_permission="contacts.view", edit_permission="contacts.edit", admin_permission="contacts.admin",
        detail_endpoint="contacts.detail")]


@hookimpl
def register_permissions():
    everyone = ("owner", "module_admin", "user")
    return [
        Permission("contacts.view", _l("See contacts"), roles=everyone, access="read"),
        Permission("contacts.create", _l("Add contacts"), roles=everyone),
        Permission("contacts.edit", _l("Change contacts"), roles=everyone, access="write"),
        Permission("contacts.delete", _l("Delete and merge contacts"), roles=everyone, access="write"),
        Permission("contacts.import", _l("Import contacts from CSV"), roles=everyone),
        Permission("contacts.export", _l("Export contacts to CSV"), roles=everyone),
        Permission("contacts.admin", _l("Manage contact types, temperatures, fields, tags and web forms"),
                   roles=("owner", "module_admin")),
    ]


@hookimpl
def register_settings():
    from plugins.contacts.schemas import CURRENCIES

    return [
        Setting("contacts.default_currency", _l("Default currency of new contacts"), type="choice",
                default="EUR", choices=tuple((code, code) for code in CURRENCIES)),
        Setting("contacts.map_tile_url", _l("Map tile server"), default="",
                help=_l("A tile URL such as https://tiles.example.org/{z}/{x}/{y}.png. Without one, the "
                        "customer overview shows the coordinates and a link to OpenStreetMap only.")),
    ]


@hookimpl
def register_blueprints():
    from plugins.contacts import exports, imports, listing, views, webforms

    return [views.bp, listing.bp, imports.bp, exports.bp, webforms.bp]


@hookimpl
def register_jobs():
    from plugins.contacts import exports, imports, webforms

    return [*imports.jobs(), *exports.jobs(), *webforms.jobs()]


@hookimpl(optionalhook=True)
def task_entity_types():
    """Contacts have a "Tasks" tab (a hook of the tasks module's own, see its ``hookspecs``)."""
    return ["contact"]


@hookimpl
def register_migrations():
    return [MigrationSource(branch="contacts",
                            path=os.path.join(os.path.dirname(__file__), "migrations", "versions"))]


@hookimpl
def menu_items(user):
    return [MenuItem(_l("Contacts"), "contacts_list.index", icon="person-lines-fill", order=20,
                     permission="contacts.view"),
            MenuItem(_l("Contacts settings"), "contacts.settings_home", icon="sliders", order=850,
                     permission="contacts.admin", section="admin"),
            MenuItem(_l("Web forms"), "contacts_webforms.index", icon="ui-radios", order=855,
                     permission="contacts.admin", section="admin")]


@hookimpl
def register_demo_data():
    from plugins.contacts import demo

    return [DemoData(name="contacts", load=demo.load, order=20)]


@hookimpl
def customer_tabs(user, customer):
    from plugins.contacts import views

    return views.customer_tabs(customer)


@hookimpl
def search(user, query, limit):
    from core.records import search as search_service

    return search_service.search_entity("contact", user, query, limit)
