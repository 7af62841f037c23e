"""Every hook of Kontor. Each docstring is that hook's reference documentation.

A plugin implements a hook by defining a function of the same name decorated with
``core.hookimpl``. It may accept fewer arguments than the spec names, so an argument added
later breaks nobody. ``None`` from a per-request hook means "nothing to add" or "no opinion".
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("kontor")


# Registration: called once while the application is built, for every loaded plugin.


@hookspec
def register_modules():
    """Return a list with the one ``Module`` this plugin is: name, label, description,
    version, the modules it ``depends`` on, and whether it is ``essential`` (cannot be
    switched off)."""


@hookspec
def register_entity_types():
    """Return a list of ``EntityType``: the kinds of records this plugin owns, with their
    model, schema, list columns, search fields and the record services they opt into."""


@hookspec
def register_permissions():
    """Return a list of ``Permission`` named ``"<module>.<action>"``, each with the roles
    (``owner``, ``module_admin``, ``user``) that have it by default."""


@hookspec
def register_field_types():
    """Return a list of ``FieldType``: custom field types admins can pick."""


@hookspec
def register_conversions():
    """Return a list of ``Conversion``: "create from" actions from one entity type to
    others."""


@hookspec
def register_settings():
    """Return a list of ``Setting`` named ``"<module>.<key>"``, typed, with defaults. They
    appear on the module's settings page; read them with ``core.settings.get(name)``."""


@hookspec
def register_blueprints():
    """Return a list of Flask ``Blueprint`` objects with staff routes. Every view must
    declare its permission with ``@core.require("<permission>")`` (or ``@core.public``);
    a route of a disabled module answers 404."""


@hookspec
def register_portal_blueprints():
    """Return a list of Flask ``Blueprint`` objects for the customer portal; they are
    mounted under ``/portal``."""


@hookspec
def register_report_types():
    """Return a list of ``ReportType`` the reports module can generate."""


@hookspec
def register_migrations():
    """Return a list with the plugin's ``MigrationSource``: its Alembic version folder and
    branch label. ``kontor db upgrade`` applies every branch, so a plugin installed later
    migrates on its own."""


@hookspec
def register_jobs():
    """Return a list of ``Job``: background functions, periodic ones with a ``schedule``.
    Enqueue them with ``core.jobs.enqueue(name, ...)``."""


@hookspec
def register_demo_data():
    """Return a list of ``DemoData`` whose ``load()`` adds demo records for
    ``kontor demo``; they run in ``order``."""


@hookspec
def register_commands(cli):
    """Add sub-commands to the ``kontor`` command: ``cli`` is its click group. Commands run
    inside an application context."""


@hookspec(historic=True)
def addhookspecs(pm):
    """Add hook specifications of your own for other plugins to implement, with
    ``pm.add_hookspecs(module)``. Historic: called for plugins registered later, too."""


# Per request: only enabled modules are asked.


@hookspec
def menu_items(user):
    """Return a list of ``MenuItem`` for the workspace menu of ``user``. Items whose
    ``permission`` the user lacks are dropped by the core."""


@hookspec
def record_actions(user, entity_type, record):
    """Return a list of ``ActionLink``: buttons on the page of ``record`` (an instance of
    ``entity_type``) for ``user``."""


@hookspec
def record_tabs(user, entity_type, record):
    """Return a list of ``Tab`` shown on the page of ``record`` (an instance of
    ``entity_type``) for ``user``, after the record services (e.g. the tasks of a contact)."""


@hookspec
def bulk_actions(user, entity_type):
    """Return a list of ``ActionLink`` for a list page of ``entity_type``: each ``url`` is
    POSTed the ids of the rows the user selected, as repeated ``ids`` form fields (e.g. "create
    one task for each selected contact")."""


@hookspec
def customer_tabs(user, customer):
    """Return a list of ``Tab`` for the customer overview page of ``customer`` (a record of an
    entity type declared with ``customer=True``; ``customer.kontor_entity_type`` names it)."""


@hookspec
def portal_menu_items(account):
    """Return a list of ``MenuItem`` for the customer portal menu of ``account``."""


@hookspec
def search(user, query, limit):
    """Return a list of at most ``limit`` ``SearchResult`` for ``query`` that ``user`` may
    see."""


@hookspec
def permission_allowed(user, permission, record):
    """Return ``False`` to deny ``permission`` to ``user`` (on ``record``, which may be
    ``None``), ``True`` to allow, ``None`` for no opinion. Any ``False`` denies; else any
    ``True`` allows; else the role defaults decide."""


@hookspec
def permission_query_filter(user, permission, entity_type):
    """Return a SQLAlchemy condition ANDed into every list, count and search query of
    ``entity_type`` for ``user``, or ``None`` for no restriction."""


# Events and lifecycle.


@hookspec
def track_event(event):
    """Told of every record event (a ``core.RecordEvent``: created, updated with changed
    fields, deleted, converted, status changed). Return value ignored."""


@hookspec
def merge_records(entity_type, survivor, merged, user):
    """Two records of ``entity_type`` become one: point every reference of yours to
    ``merged`` (about to be deleted) at ``survivor``. Called inside the merge's transaction,
    after the core moved notes, files, tags, links, reminders and the timeline; do not
    commit. Return value ignored."""


@hookspec
def startup(app):
    """Called once after every registry is built, with the Flask ``app``."""


@hookspec
def module_enabled(name):
    """An admin switched module ``name`` on. Called on the enabled plugins, including the
    one switched on."""


@hookspec
def module_disabled(name):
    """An admin switched module ``name`` off. Called on the enabled plugins and on the
    module switched off."""
