"""The plugin's Alembic branch ``hello`` creates exactly what its models describe."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import kontor_hello
from core import create_app, db
from core import migrate
from hello_testing import app_config, run_kontor

VERSIONS = Path(kontor_hello.__file__).parent / "migrations" / "versions"


def only_hello_tables(obj, name, type_, reflected, compare_to):
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return table.startswith("hello_") and not table.endswith("alembic_version")


def schema_differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": only_hello_tables})
        return compare_metadata(context, db.metadata)


def test_the_branch_has_one_readable_revision():
    files = sorted(p.name for p in VERSIONS.glob("*.py"))
    assert files == ["hello_0001_greetings.py"]
    spec = importlib.util.spec_from_file_location("hello_0001", VERSIONS / files[0])
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    assert revision.revision == "hello_0001"
    assert revision.down_revision is None
    assert revision.branch_labels == ("hello",)


@pytest.mark.parametrize("how", ["kontor db upgrade", "core.migrate.upgrade"])
def test_migrations_apply_on_a_fresh_database(how, fresh_database_url, tmp_path):
    if how == "kontor db upgrade":
        result = run_kontor("db", "upgrade", database_url=fresh_database_url, instance_path=tmp_path)
        assert result.returncode == 0, result.stderr
        app = create_app(app_config(fresh_database_url, tmp_path))
    else:
        app = create_app(app_config(fresh_database_url, tmp_path))
        with app.app_context():
            migrate.upgrade()
    try:
        with app.app_context():
            assert "hello_greeting" in db.metadata.tables
            assert "hello_greeting" in inspect(db.engine).get_table_names()
            assert migrate.pending() in (False, [])
        assert schema_differences(app) == []
    finally:
        with app.app_context():
            db.engine.dispose()
