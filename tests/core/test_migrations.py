"""Migrations: every branch applies from an empty database, and the migrated schema is
exactly what the models say."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from core import create_app, db, migrate
from tests.conftest import fresh_database
from tests.support import memo


def _app(url, tmp_path, plugins=()):
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x",
                       "JOBS_IMMEDIATE": True, "LOAD_ENTRY_POINTS": False, "PLUGINS": list(plugins)})


def _differences(app):
    """What alembic would still change, for the tables of the app's migration branches."""
    prefixes = tuple(s.branch + "_" for s in migrate.sources())
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": migrate.owned_by(prefixes)})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_and_models_agree(tmp_path):
    from tests.support import gadgets

    with fresh_database(tmp_path) as url:
        app = _app(url, tmp_path, [memo, gadgets])
        with app.app_context():
            assert migrate.pending()
            migrate.upgrade()
            assert not migrate.pending()
            tables = set(inspect(db.engine).get_table_names())
            assert {"core_user", "core_module_state", "core_setting", "core_job_run", "memo_note"} <= tables
            assert _differences(app) == []
            db.engine.dispose()


def test_core_alone_migrates_and_agrees(tmp_path):
    with fresh_database(tmp_path) as url:
        app = _app(url, tmp_path)
        with app.app_context():
            migrate.upgrade()
            assert "memo_note" not in inspect(db.engine).get_table_names()
            assert _differences(app) == []
            db.engine.dispose()


def test_plugin_installed_later_migrates_with_the_same_command(tmp_path):
    with fresh_database(tmp_path) as url:
        before = _app(url, tmp_path)
        with before.app_context():
            migrate.upgrade()
            db.engine.dispose()
        after = _app(url, tmp_path, [memo])
        with after.app_context():
            assert migrate.pending() == ["memo"]
            migrate.upgrade()
            assert "memo_note" in inspect(db.engine).get_table_names()
            assert not migrate.pending()
            db.engine.dispose()


def test_upgrade_twice_changes_nothing(tmp_path):
    with fresh_database(tmp_path) as url:
        app = _app(url, tmp_path, [memo])
        with app.app_context():
            migrate.upgrade()
            migrate.upgrade()
            assert _differences(app) == []
            db.engine.dispose()


def test_every_core_table_starts_with_core():
    core_tables = {t.name for t in db.metadata.sorted_tables if t.name.startswith("core_")}
    assert core_tables >= {"core_user", "core_revision"}
    from core import models  # noqa: F401  (all core models imported)
    names = {t.name for t in db.metadata.sorted_tables}
    assert all(n.startswith(("core_", "memo_", "hello_", "gadgets_", "contacts_", "tasks_")) for n in names), names


def test_plugin_removed_later_does_not_stop_migrations(tmp_path):
    with fresh_database(tmp_path) as url:
        with_memo = _app(url, tmp_path, [memo])
        with with_memo.app_context():
            migrate.upgrade()
            db.engine.dispose()
        without = _app(url, tmp_path)
        with without.app_context():
            migrate.upgrade()  # memo's revisions are unknown here, and that is fine
            assert migrate.pending() == []
            tables = set(inspect(db.engine).get_table_names())
            assert {"memo_note", "memo_alembic_version", "core_alembic_version"} <= tables  # data kept
            db.engine.dispose()
