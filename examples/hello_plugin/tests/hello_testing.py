"""Helpers for kontor-hello's tests, built on ``core.testing`` (the helpers Kontor offers
every plugin author): the accounts the tests use, and the ``kontor`` command."""
from __future__ import annotations

from core import testing

OWNER = ("owner@example.com", "owner-secret-1")
USER = ("user@example.com", "user-secret-1")


def app_config(database_url, instance_path) -> dict:
    # LOAD_ENTRY_POINTS stays on: the plugin is found as an installed distribution.
    return testing.app_config(database_url, instance_path)


def create_user(email, password, role, name):
    return testing.create_user(email, password, role=role, name=name, language="en")


def run_kontor(*args, database_url, instance_path):
    """Run the ``kontor`` command in a process of its own, as an operator does."""
    return testing.run_kontor(*args, env={"KONTOR_DATABASE_URL": database_url,
                                          "KONTOR_INSTANCE_PATH": str(instance_path)})
