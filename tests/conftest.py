"""Fixtures shared by every test: a database (SQLite, or PostgreSQL when
``KONTOR_TEST_DATABASE_URL`` names one), applications built on it, signed-in clients.

Each test session gets its own database (a fresh PostgreSQL database, or a SQLite file);
after every test all rows are removed, so tests never see each other's data.
"""
from __future__ import annotations

import email
import os
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from core import create_app, db
from core import migrate as migrate_service
from core.testing import app_config, empty_all_tables, fresh_database, sign_in  # noqa: F401 (used by tests)
from core.testing import create_user as _create_user

ON_CI = os.environ.get("CI") == "true"
OWNER_PASSWORD = "owner-secret-1"
USER_PASSWORD = "user-secret-1"


class Collect:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1: ``(controller, handler)``; ``handler.messages`` holds
    ``(sender, recipients, email.message.EmailMessage)`` of every message received. Build the
    app with ``SMTP_URL=f"smtp://127.0.0.1:{controller.port}"``."""
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


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
        settings = app_config(database_url, tmp_path / f"instance-{len(apps)}", LOAD_ENTRY_POINTS=False)
        settings.update(config)
        app = create_app(settings)
        with app.app_context():
            migrate_service.upgrade()
        apps.append(app)
        return app

    yield build
    if apps:
        with apps[0].app_context():
            empty_all_tables()
            db.session.remove()
        for app in apps:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def app(make_app):
    """An application with the test plugin ``memo`` installed."""
    from tests.support import memo

    return make_app(PLUGINS=[memo])


def create_user(email="owner@example.com", name="Olga Owner", role="owner", password=OWNER_PASSWORD, **extra):
    return _create_user(email, password, role=role, name=name, **extra)


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
