"""Fixtures for kontor-hello's tests, standing alone: a database per test session (a SQLite
file, or a fresh PostgreSQL database when ``KONTOR_TEST_DATABASE_URL`` names a server), an
application built the way a real one is (the plugin found through its entry point),
signed-in clients. After every test all rows are removed.
"""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core import create_app, db
from core import migrate
from hello_testing import OWNER, USER, app_config, create_user, fresh_database, sign_in


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def fresh_database_url(tmp_path):
    """A database of this test's own, empty: not even the core's tables."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def app(database_url, tmp_path):
    """A migrated application on the session database."""
    app = create_app(app_config(database_url, tmp_path / "instance"))
    with app.app_context():
        migrate.upgrade()
    yield app
    with app.app_context():
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables():
    existing = set(inspect(db.engine).get_table_names())
    names = [t.name for t in reversed(db.metadata.sorted_tables)
             if t.name in existing and t.name != "core_revision"]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))
        connection.execute(text("UPDATE core_revision SET counter = counter + 1"))


@pytest.fixture
def owner_client(app):
    with app.app_context():
        create_user(*OWNER, role="owner", name="Olga Owner")
    return sign_in(app.test_client(), *OWNER)


@pytest.fixture
def user_client(app):
    """A plain user: has hello.view by default, not hello.edit."""
    with app.app_context():
        create_user(*OWNER, role="owner", name="Olga Owner")
        create_user(*USER, role="user", name="Uwe User")
    return sign_in(app.test_client(), *USER)
