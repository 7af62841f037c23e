"""The application's Kontor extension: plugins, registries and the switchable state.

Module switches and settings live in the database. Each process caches them together with
the counter in ``core_revision``; one cheap query per request tells whether another process
changed anything, so every worker agrees at its next request, without a restart.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Blueprint, Flask, current_app
from sqlalchemy import select, update
from werkzeug.local import LocalProxy

from core.db import db
from core.declarations import Module
from core.models import ModuleState, Revision, SettingValue
from core.plugins import PluginManager


@dataclass(frozen=True)
class State:
    """What the database says, as of revision ``counter``."""

    counter: int
    enabled: frozenset[str]
    settings: dict = field(default_factory=dict)
    access: object = None  # core.access.AccessRules


USER_FACING_HOOKS = frozenset({"menu_items", "record_actions", "record_tabs", "bulk_actions", "customer_tabs",
                               "search"})


class Kontor:
    """Lives in ``app.extensions["kontor"]``; reach it as ``core.kontor``."""

    def __init__(self, app: Flask, plugins: PluginManager):
        self.app = app
        self.plugins = plugins
        self.blueprint_owner: dict[str, str] = {}
        self.queue = None  # the huey instance, set by create_app
        self.jobs: dict = {}  # job name -> huey task
        self._permissions: dict[frozenset, dict] = {}  # enabled set -> {name: Permission}
        self._entity_types: dict | None = None
        self._state = State(counter=-1, enabled=frozenset(plugins.loaded_names()))
        self._lock = threading.Lock()

    # Modules

    @property
    def modules(self) -> list[Module]:
        return sorted(self.plugins.modules(), key=lambda m: (not m.essential, m.label.lower()))

    def module(self, name: str) -> Module | None:
        info = self.plugins.plugins.get(name)
        return info.module if info and info.status == "loaded" else None

    @property
    def enabled(self) -> frozenset[str]:
        return self._state.enabled

    def is_enabled(self, name: str) -> bool:
        return name in self._state.enabled

    # Registries

    def registered(self, hook_name: str, enabled_only: bool = True) -> list:
        """Items of a registration hook, by default only those of enabled modules."""
        return self.plugins.registered(hook_name, set(self.enabled) if enabled_only else None)

    def permissions(self) -> dict:
        """The permissions of the enabled modules by name; built once per enabled set,
        since every menu item and route asks."""
        enabled = self.enabled
        if enabled not in self._permissions:
            self._permissions[enabled] = {p.name: p for p in self.registered("register_permissions")}
        return self._permissions[enabled]

    def entity_types(self) -> dict:
        """Every loaded plugin's entity types: ``{name: (module, EntityType)}``."""
        if self._entity_types is None:
            self._entity_types = {item.name: (module, item)
                                  for module, item in self.plugins.registries["register_entity_types"]}
        return self._entity_types

    def register_blueprint(self, owner: str, blueprint: Blueprint, **options) -> None:
        self.blueprint_owner[blueprint.name] = owner
        self.app.register_blueprint(blueprint, **options)

    # Hooks

    def hook(self, hook_name: str, **kwargs) -> list:
        """Call a per-request hook on the enabled modules; the answers as one flat list.
        Hooks that show things to a staff ``user`` (menu, record actions, tabs, search) skip
        the modules that user has no access to."""
        enabled = self.enabled
        if hook_name in USER_FACING_HOOKS and kwargs.get("user") is not None:
            from core.access import usable_modules

            enabled = usable_modules(kwargs["user"], enabled)
        return self.plugins.call(hook_name, enabled, **kwargs)

    # State

    def refresh(self, force: bool = False) -> State:
        """Reload switches and settings if another process changed them."""
        counter = db.session.execute(select(Revision.counter).where(Revision.id == 1)).scalar()
        if counter is None:
            counter = 0
        if force or counter != self._state.counter:
            with self._lock:
                switched = dict(db.session.execute(select(ModuleState.name, ModuleState.enabled)).all())
                essential = {m.name for m in self.plugins.modules() if m.essential}
                enabled = frozenset(
                    name
                    for name in self.plugins.loaded_names()
                    if switched.get(name, True) or name in essential
                )
                values = dict(db.session.execute(select(SettingValue.name, SettingValue.value)).all())
                from core.access import load_rules

                self._state = State(counter=counter, enabled=enabled, settings=values, access=load_rules())
        return self._state

    @property
    def state(self) -> State:
        return self._state

    def bump_revision(self) -> None:
        """Tell every process that switches or settings changed (part of the caller's
        transaction)."""
        result = db.session.execute(update(Revision).where(Revision.id == 1).values(counter=Revision.counter + 1))
        if result.rowcount == 0:
            db.session.add(Revision(id=1, counter=1))


def _current() -> Kontor:
    return current_app.extensions["kontor"]


kontor: Kontor = LocalProxy(_current)  # type: ignore[assignment]
