"""Helpers for kontor-hello's tests: fresh databases, application settings, users, the
``kontor`` command. The fixtures in ``conftest.py`` are built from these."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import db
from core.auth.models import User

TEST_DATABASE_URL = os.environ.get("KONTOR_TEST_DATABASE_URL", "")
ON_CI = os.environ.get("CI") == "true"
OWNER = ("owner@example.com", "owner-secret-1")
USER = ("user@example.com", "user-secret-1")


@contextlib.contextmanager
def fresh_database(folder):
    """The URL of a new, empty database; a PostgreSQL one is dropped afterwards."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{folder / f'hello-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    server = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"kontor_hello_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if ON_CI:
            raise
        pytest.skip(f"PostgreSQL at KONTOR_TEST_DATABASE_URL is not reachable: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_config(database_url, instance_path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key",
        "JOBS_IMMEDIATE": True,
        "WTF_CSRF_ENABLED": False,
        "SMTP_URL": "",
        # LOAD_ENTRY_POINTS stays on: the plugin is found as an installed distribution.
    }


def create_user(email, password, role, name):
    user = User(email=email, name=name, role=role, language="en")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def run_kontor(*args, database_url, instance_path):
    """Run the ``kontor`` command in a process of its own, as an operator does."""
    env = {**os.environ, "KONTOR_DATABASE_URL": database_url, "KONTOR_INSTANCE_PATH": str(instance_path)}
    return subprocess.run([sys.executable, "-c", "from core.cli import main; main()", *args],
                          env=env, capture_output=True, text=True, timeout=120)
