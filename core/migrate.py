"""Alembic with one version folder, branch label and version table per plugin (and the
core's own).

Each branch is migrated on its own, in the order of module dependencies, and records its
state in its own table ``<branch>_alembic_version``. So a plugin installed later migrates
with the same command, and a plugin removed later leaves its tables and its version table
behind without stopping anyone else's migrations. Each branch owns the tables whose names
start with ``<branch>_``."""
from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import db
from core.declarations import MigrationSource
from core.runtime import kontor

HERE = os.path.dirname(__file__)


def owned_by(prefixes: tuple[str, ...]):
    """Alembic's ``include_object`` for the branches with these table prefixes: their
    tables and indexes, not the version tables, nor the indexes that the record services
    make in migrations (``core.records.search`` and ``fields.create_index``; no model
    declares them)."""

    def include_object(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
        if type_ == "index" and reflected and name.endswith(("_search", "_custom")):
            return False
        return table.startswith(prefixes) and not table.endswith("_alembic_version")

    return include_object


def version_table(branch: str) -> str:
    return f"{branch}_alembic_version"


def sources() -> list[MigrationSource]:
    """Every loaded plugin's migration sources, dependencies first."""
    by_plugin: dict[str, list[MigrationSource]] = {}
    for plugin_name, source in kontor.plugins.registries.get("register_migrations", []):
        by_plugin.setdefault(plugin_name, []).append(source)
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(name: str):
        if name in ordered or name in seen or name not in by_plugin:
            return
        seen.add(name)  # guards against dependency cycles
        module = kontor.module(name)
        for dependency in (module.depends if module else ()):
            visit(dependency)
        if name not in ordered:
            ordered.append(name)

    for name in ["core", *sorted(by_plugin)]:
        visit(name)
    return [source for name in ordered for source in by_plugin[name]]


def alembic_config(source: MigrationSource, connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", os.path.join(HERE, "migrations"))
    config.set_main_option("version_locations", source.path)
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    config.attributes["branch"] = source.branch
    config.attributes["version_table"] = version_table(source.branch)
    return config


def upgrade() -> None:
    """Bring the database up to date: every installed plugin's branch, the core's first."""
    for source in sources():
        with db.engine.begin() as connection:
            command.upgrade(alembic_config(source, connection), "heads")
    kontor.refresh(force=True)


def pending() -> list[str]:
    """The branches whose revisions the database lacks."""
    behind = []
    with db.engine.connect() as connection:
        for source in sources():
            config = alembic_config(source, connection)
            heads = set(ScriptDirectory.from_config(config).get_heads())
            context = MigrationContext.configure(connection, opts={"version_table": version_table(source.branch)})
            if heads != set(context.get_current_heads()):
                behind.append(source.branch)
    return behind


def revision(branch: str, message: str, autogenerate: bool = True) -> None:
    """Write a new revision for ``branch`` (a plugin's name), comparing only its tables."""
    known = {s.branch: s for s in sources()}
    if branch not in known:
        raise KeyError(f"no migration branch {branch!r}; known: {', '.join(sorted(known))}")
    with db.engine.connect() as connection:
        config = alembic_config(known[branch], connection)
        has_revisions = bool(ScriptDirectory.from_config(config).get_heads())
        command.revision(
            config,
            message=message,
            autogenerate=autogenerate,
            head="head" if has_revisions else "base",
            branch_label=None if has_revisions else branch,
            version_path=known[branch].path,
        )
