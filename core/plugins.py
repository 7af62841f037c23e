"""The plugin manager: loads built-in and third-party plugins and calls their hooks.

Built-in plugins are the module names in ``BUILTIN_PLUGINS``; third-party plugins are
found through the entry-point group ``kontor.plugins``. Both are loaded the same way. A
plugin that fails to load is recorded as failed, with the reason, and skipped; it never
takes the application down. Two plugins that register the same name stop start-up.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Iterable

import pluggy

from core import hookspecs
from core.declarations import Module

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "kontor.plugins"
BUILTIN_PLUGINS: tuple[str, ...] = ("core.workspace", "plugins.contacts", "plugins.tasks")

# Hooks that build the registries; called once per plugin while the application is built.
REGISTRATION_HOOKS = (
    "register_entity_types",
    "register_permissions",
    "register_field_types",
    "register_conversions",
    "register_settings",
    "register_blueprints",
    "register_portal_blueprints",
    "register_report_types",
    "register_migrations",
    "register_jobs",
    "register_demo_data",
)


class PluginConflict(RuntimeError):
    """Two plugins registered the same name. Start-up stops: which one wins is not ours
    to guess."""


@dataclass
class PluginInfo:
    """What the core knows about one plugin."""

    name: str
    import_name: str
    source: str
    status: str = "loaded"  # loaded | failed
    reason: str = ""
    module: Module | None = None
    obj: Any = None

    @property
    def hooks(self) -> list[str]:
        return sorted(
            name for name in dir(self.obj) if _hookimpl_opts(getattr(self.obj, name, None))
        )


def _hookimpl_opts(value):
    # As pluggy does: only a dict counts (sqlalchemy's ``func`` answers any attribute).
    options = getattr(value, "kontor_impl", None)
    return options if isinstance(options, dict) else None


def _item_name(item) -> str:
    if hasattr(item, "name"):
        return item.name
    if hasattr(item, "branch"):
        return item.branch
    return repr(item)


class PluginManager:
    """Wraps a pluggy ``PluginManager`` with Kontor's loading rules."""

    def __init__(self):
        self.pm = pluggy.PluginManager("kontor")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.registries: dict[str, list[tuple[str, Any]]] = {}
        self._callers: dict[tuple[str, frozenset], Any] = {}

    # Loading

    def load(self, builtins: Iterable[Any], extra: Iterable[Any] = (), use_entry_points=True):
        for target in builtins:
            self._load_one(target, "built-in")
        for target in extra:
            self._load_one(target, "configured")
        if use_entry_points:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
                self._load_one(ep, dist)
        self.pm.hook.addhookspecs.call_historic(kwargs={"pm": self.pm})
        self._check_unknown_hooks()
        self._collect_registrations()
        self._check_depends()

    def _fail(self, info: PluginInfo, reason: str):
        log.error("Plugin %s (%s) failed and is skipped: %s", info.name, info.source, reason)
        info.status, info.reason = "failed", reason
        if info.obj is not None and self.pm.is_registered(info.obj):
            self.pm.unregister(info.obj)
        self._callers.clear()

    def _load_one(self, target, source: str):
        label = getattr(target, "name", None) or getattr(target, "__name__", str(target))
        import_name = getattr(target, "value", None) or getattr(target, "__name__", str(target))
        info = PluginInfo(name=label, import_name=import_name, source=source)
        try:
            if hasattr(target, "load"):  # an entry point
                obj = target.load()
            elif isinstance(target, str):
                obj = importlib.import_module(target)
            else:
                obj = target
            info.obj = obj
            modules = obj.register_modules() if hasattr(obj, "register_modules") else None
            if not modules or len(modules) != 1 or not isinstance(modules[0], Module):
                raise ValueError("register_modules() must return a list with one Module")
            info.module = modules[0]
            info.name = info.module.name
        except Exception as exc:  # a broken plugin is reported, never fatal
            self.plugins.setdefault(info.name, info)
            self._fail(info, f"{type(exc).__name__}: {exc}")
            return
        if info.name in self.plugins and self.plugins[info.name].status == "loaded":
            other = self.plugins[info.name]
            raise PluginConflict(
                f"Module name {info.name!r} is declared by both {other.import_name} "
                f"({other.source}) and {info.import_name} ({info.source})"
            )
        self.plugins[info.name] = info
        try:
            self.pm.register(obj, name=info.name)
        except Exception as exc:  # pluggy.PluginValidationError: hook signature mismatch
            self._fail(info, str(exc))

    def _check_unknown_hooks(self):
        for info in self.loaded():
            for hook_name in info.hooks:
                caller = getattr(self.pm.hook, hook_name, None)
                # @hookimpl(optionalhook=True): a hook another plugin declares (addhookspecs),
                # fine when that plugin is not installed.
                options = getattr(getattr(info.obj, hook_name, None), "kontor_impl", None) or {}
                if (caller is None or caller.spec is None) and not options.get("optionalhook"):
                    self._fail(info, f"implements unknown hook {hook_name!r}")
                    break

    def _collect_registrations(self):
        """Call every registration hook plugin by plugin, so a failure or a duplicate
        name can be blamed on the plugin that caused it."""
        collected: dict[str, dict[str, list]] = {}
        for info in self.loaded():
            mine: dict[str, list] = {}
            try:
                for hook_name in REGISTRATION_HOOKS:
                    function = getattr(info.obj, hook_name, None)
                    if function is not None and _hookimpl_opts(function):
                        mine[hook_name] = list(function() or [])
            except Exception as exc:
                self._fail(info, f"{type(exc).__name__} in registration: {exc}")
                continue
            collected[info.name] = mine
        self.registries = {hook_name: [] for hook_name in REGISTRATION_HOOKS}
        owners: dict[tuple[str, str], str] = {}
        for plugin_name, mine in collected.items():
            for hook_name, items in mine.items():
                for item in items:
                    key = (hook_name, _item_name(item))
                    if key in owners:
                        raise PluginConflict(
                            f"{hook_name}: {key[1]!r} is registered by both plugin "
                            f"{owners[key]!r} and plugin {plugin_name!r}"
                        )
                    owners[key] = plugin_name
                    self.registries[hook_name].append((plugin_name, item))

    def _check_depends(self):
        changed = True
        while changed:  # a failed dependency fails its dependants in turn
            changed = False
            for info in self.loaded():
                missing = [d for d in info.module.depends if d not in self.loaded_names()]
                if missing:
                    self._fail(info, "depends on missing module(s): " + ", ".join(missing))
                    for hook_name, items in self.registries.items():
                        self.registries[hook_name] = [i for i in items if i[0] != info.name]
                    changed = True

    # Queries

    def loaded(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.status == "loaded"]

    def loaded_names(self) -> set[str]:
        return {p.name for p in self.loaded()}

    def modules(self) -> list[Module]:
        return [p.module for p in self.loaded()]

    def registered(self, hook_name: str, plugin_names: set[str] | None = None) -> list:
        """The items registered through ``hook_name``, of the given plugins or of all."""
        return [
            item
            for plugin_name, item in self.registries.get(hook_name, [])
            if plugin_names is None or plugin_name in plugin_names
        ]

    def owner_of(self, hook_name: str, name: str) -> str | None:
        for plugin_name, item in self.registries.get(hook_name, []):
            if _item_name(item) == name:
                return plugin_name
        return None

    # Calling hooks

    def caller(self, hook_name: str, enabled: frozenset[str]):
        """The hook caller for ``hook_name`` that skips every plugin not in ``enabled``."""
        key = (hook_name, enabled)
        caller = self._callers.get(key)
        if caller is None:
            disabled = [p.obj for p in self.loaded() if p.name not in enabled]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=disabled)
            self._callers[key] = caller
        return caller

    def call(self, hook_name: str, enabled: frozenset[str], **kwargs) -> list:
        """Call a hook on the enabled plugins; lists returned are joined into one list,
        ``None`` answers are dropped."""
        results = self.caller(hook_name, enabled)(**kwargs)
        flat: list = []
        for result in results:
            if result is None:
                continue
            if isinstance(result, (list, tuple)):
                flat.extend(result)
            else:
                flat.append(result)
        return flat

