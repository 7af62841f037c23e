"""kontor-hello: greetings for the Kontor workspace.

A third-party plugin as small as a plugin gets, and complete: a module, two permissions, a
setting, a page, a table with its own migration branch and a menu entry. It is found through
the entry point ``hello = kontor_hello`` in the group ``kontor.plugins`` (see ``setup.cfg``).

This file only answers hooks; the weight lives in ``models.py`` and ``views.py``.
"""
from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l

from core import MenuItem, MigrationSource, Module, Permission, Setting, hookimpl

HERE = os.path.dirname(__file__)


@hookimpl
def register_modules():
    return [Module(name="hello", label=_l("Greetings"), version="0.1.0",
                   description=_l("Collect the greetings of your team."))]


@hookimpl
def register_permissions():
    return [
        Permission("hello.view", _l("See greetings"), roles=("owner", "module_admin", "user")),
        Permission("hello.edit", _l("Add greetings"), roles=("owner", "module_admin")),
    ]


@hookimpl
def register_settings():
    return [
        Setting("hello.default_greeting", _l("Default greeting"), default="Hello, world!",
                help=_l("Prefills the form for a new greeting.")),
    ]


@hookimpl
def register_blueprints():
    from kontor_hello.views import bp

    return [bp]


@hookimpl
def register_migrations():
    from kontor_hello import models  # noqa: F401  (its tables must be known to autogenerate)

    return [MigrationSource(branch="hello", path=os.path.join(HERE, "migrations", "versions"))]


@hookimpl
def menu_items(user):
    return [MenuItem(_l("Greetings"), "hello.index", icon="chat-heart", order=60, permission="hello.view")]
