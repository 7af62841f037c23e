"""Fixtures shared by every test: a database (SQLite, or PostgreSQL when
``KONTOR_TEST_DATABASE_URL`` names one), applications built on it, signed-in clients.

Each test session gets its own database (a fresh PostgreSQL database, or a SQLite file);
after every test all rows are removed, so tests never see each other's data.
"""
from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import create_app, db
from core import migrate as migrate_service
from core.auth.models import User

TEST_DATABASE_URL = os.environ.get("KONTOR_TEST_DATABASE_URL", "")
ON_CI = os.environ.get("CI") == "true"
OWNER_PASSWORD = "owner-secret-1"
USER_PASSWORD = "user-secret-1"


def _server_url(url: str):
    return make_url(url).set(drivername="postgresql+psycopg")


@contextlib.contextmanager
def fresh_database(tmp_path):
    """A new, empty database for one test or one session; dropped afterwards."""
    if TEST_DATABASE_URL:
        server = _server_url(TEST_DATABASE_URL)
        name = f"kontor_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            if ON_CI:
                raise
            pytest.skip(f"PostgreSQL at KONTOR_TEST_DATABASE_URL is not reachable: {exc}")
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / f'kontor-{uuid.uuid4().hex[:8]}.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build applications on the session database: ``make_app(PLUGINS=[...])``. Every app
    is migrated; every row is removed after the test."""
    apps = []

    def build(**config):
        settings = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / f"instance-{len(apps)}"),
            "SECRET_KEY": "test-secret-key",
            "JOBS_IMMEDIATE": True,
            "LOAD_ENTRY_POINTS": False,
            "WTF_CSRF_ENABLED": False,
            "SMTP_URL": "",
            "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
        settings.update(config)
        app = create_app(settings)
        with app.app_context():
            migrate_service.upgrade()
        apps.append(app)
        return app

    yield build
    if apps:
        with apps[0].app_context():
            _empty_all_tables()
            db.session.remove()
        for app in apps:
            with app.app_context():
                db.engine.dispose()


def _empty_all_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "core_revision"]
    existing = set(db.inspect(db.engine).get_table_names())
    with db.engine.begin() as connection:
        names = [t.name for t in tables if t.name in existing]
        if connection.dialect.name == "postgresql" and names:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))
        connection.execute(text("UPDATE core_revision SET counter = counter + 1"))


@pytest.fixture
def app(make_app):
    """An application with the test plugin ``memo`` installed."""
    from tests.support import memo

    return make_app(PLUGINS=[memo])


def create_user(email="owner@example.com", name="Olga Owner", role="owner", password=OWNER_PASSWORD, **extra):
    user = User(email=email, name=name, role=role, **extra)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def owner_client(app):
    with app.app_context():
        create_user()
    return sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)


@pytest.fixture
def user_client(app):
    with app.app_context():
        create_user(email="owner@example.com")
        create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD)
    return sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
