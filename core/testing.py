"""Helpers for testing Kontor and its plugins, used by the core's own tests and by plugin
authors' (see ``examples/hello_plugin/tests``): fresh databases on SQLite or PostgreSQL,
a test configuration, emptying tables between tests, users and signed-in clients.

``KONTOR_TEST_DATABASE_URL`` names a PostgreSQL server to test on; without it tests use
SQLite files. With ``CI=true`` an unreachable server fails the run instead of skipping.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core.auth.models import User
from core.db import db

# Cheap argon2 parameters: hashing with the real ones costs most of a second per user.
FAST_PASSWORD_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def postgres_server_url() -> str:
    return os.environ.get("KONTOR_TEST_DATABASE_URL", "")


@contextlib.contextmanager
def fresh_database(folder: Path, prefix: str = "kontor_test"):
    """Yield the URL of a new, empty database; a PostgreSQL one is dropped afterwards."""
    server_url = postgres_server_url()
    if not server_url:
        yield f"sqlite:///{Path(folder) / f'{prefix}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        import pytest

        pytest.skip(f"PostgreSQL at KONTOR_TEST_DATABASE_URL is not reachable: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_config(database_url: str, instance_path: Path, **overrides) -> dict:
    """Configuration for ``create_app`` in tests: jobs run at once, no CSRF, no SMTP."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key",
        "JOBS_IMMEDIATE": True,
        "WTF_CSRF_ENABLED": False,
        "SMTP_URL": "",
        "PASSWORD_HASH_PARAMS": FAST_PASSWORD_HASH,
        **overrides,
    }


def empty_all_tables() -> None:
    """Remove every row (inside an app context), so the next test starts empty."""
    existing = set(inspect(db.engine).get_table_names())
    names = [t.name for t in reversed(db.metadata.sorted_tables)
             if t.name in existing and t.name != "core_revision"]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql" and names:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))
        # Every process re-reads switches and settings at its next request.
        connection.execute(text("UPDATE core_revision SET counter = counter + 1"))


def create_user(email: str, password: str, role: str = "user", name: str = "Test User", **extra) -> User:
    """A staff user (inside an app context)."""
    user = User(email=email, name=name, role=role, **extra)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, email: str, password: str):
    """Sign ``client`` in through the login form; fails the test if that does not work."""
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def run_kontor(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``kontor`` command in a process of its own, as an operator does."""
    return subprocess.run([sys.executable, "-c", "from core.cli import main; main()", *args],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120, cwd=cwd)
