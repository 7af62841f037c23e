"""Alembic with one version folder and branch label per plugin (and the core's own).

``upgrade()`` applies every branch's head, so a plugin installed later migrates with the
same command. Each branch owns the tables whose names start with ``<branch>_``."""
from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from core.db import db
from core.runtime import kontor

HERE = os.path.dirname(__file__)


def alembic_config(connection=None) -> Config:
    sources = kontor.plugins.registered("register_migrations")
    config = Config()
    config.set_main_option("script_location", os.path.join(HERE, "migrations"))
    config.set_main_option("version_locations", " ".join(s.path for s in sources))
    config.set_main_option("path_separator", "space")
    config.attributes["connection"] = connection
    config.attributes["branches"] = {s.branch: s.path for s in sources}
    return config


def upgrade(target: str = "heads") -> None:
    """Bring the database up to date: every plugin's branch, the core's included."""
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), target)
    kontor.refresh(force=True)


def pending() -> bool:
    """Whether the database lacks revisions that the installed code has."""
    with db.engine.connect() as connection:
        config = alembic_config(connection)
        heads = set(ScriptDirectory.from_config(config).get_heads())
        current = set(MigrationContext.configure(connection).get_current_heads())
    return heads != current


def revision(branch: str, message: str, autogenerate: bool = True) -> None:
    """Write a new revision for ``branch`` (a plugin's name), comparing only its tables."""
    with db.engine.connect() as connection:
        config = alembic_config(connection)
        branches = config.attributes["branches"]
        if branch not in branches:
            raise KeyError(f"no migration branch {branch!r}; known: {', '.join(sorted(branches))}")
        config.attributes["only_branch"] = branch
        script = ScriptDirectory.from_config(config)
        has_revisions = any(branch in (r.branch_labels or ()) for r in script.walk_revisions())
        command.revision(
            config,
            message=message,
            autogenerate=autogenerate,
            head=f"{branch}@head" if has_revisions else "base",
            branch_label=None if has_revisions else branch,
            version_path=branches[branch],
        )


def database_url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]
