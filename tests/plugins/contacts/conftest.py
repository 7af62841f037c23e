"""Fixtures of the contacts tests: an app with the built-in plugins (contacts among them),
an owner and two users, clients that read English or German pages."""
from __future__ import annotations

import pytest

from core.testing import create_user, sign_in

PASSWORD = "contact-secret-1"
PEOPLE = {"owner": ("owner", "Olga Owner"), "user": ("user", "Ulf User"), "other": ("user", "Otto Other")}


@pytest.fixture
def contacts_app(make_app):
    app = make_app()
    with app.app_context():
        for who, (role, name) in PEOPLE.items():
            create_user(f"{who}@example.com", PASSWORD, role=role, name=name)
    return app


@pytest.fixture
def client_for(contacts_app):
    """``client_for("user", "de")``: a client signed in as a person of PEOPLE."""

    def make(who: str, language: str = "en"):
        client = contacts_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        return sign_in(client, f"{who}@example.com", PASSWORD)

    return make
