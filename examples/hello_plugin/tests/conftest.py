"""Fixtures for kontor-hello's tests, standing alone: a database per test session (a SQLite
file, or a fresh PostgreSQL database when ``KONTOR_TEST_DATABASE_URL`` names a server), an
application built the way a real one is (the plugin found through its entry point),
signed-in clients. After every test all rows are removed.
"""
from __future__ import annotations

import pytest
from core import create_app, db
from core import migrate
from core.testing import empty_all_tables, fresh_database, sign_in
from hello_testing import OWNER, USER, app_config, create_user


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
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


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
