"""What the tasks tests share: an application with the built-in contacts and tasks modules,
three people in different time zones, four contacts (one private), English clients."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from core import db
from core.testing import create_user, sign_in

PASSWORD = "tasks-secret-1"
# email prefix -> (role, name, time zone)
PEOPLE = {"owner": ("owner", "Olga Owner", "Europe/Berlin"), "user": ("user", "Uwe User", "America/New_York"),
          "other": ("user", "Otto Other", "Europe/Berlin")}
CONTACTS = (("Anna", "Alt"), ("Bert", "Brandt"), ("Cora", "Christ"))


@dataclass
class World:
    app: object
    users: dict  # who -> id
    contacts: list  # ids of the three public contacts
    private_contact: int  # a private contact nobody is listed on: only the owner sees it

    def client(self, who: str):
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return sign_in(client, f"{who}@example.com", PASSWORD)


def contact(first: str, last: str, access_mode: str = "public_write"):
    from plugins.contacts.models import Contact

    return Contact(kind="person", first_name=first, last_name=last, name=f"{first} {last}", access_mode=access_mode)


def build_world(make_app, **config) -> World:
    app = make_app(**config)
    with app.app_context():
        users = {who: create_user(f"{who}@example.com", PASSWORD, role=role, name=name, timezone=zone).id
                 for who, (role, name, zone) in PEOPLE.items()}
        public = [contact(first, last) for first, last in CONTACTS]
        private = contact("Paula", "Privat", "private")
        db.session.add_all([*public, private])
        db.session.commit()
        return World(app=app, users=users, contacts=[c.id for c in public], private_contact=private.id)


@pytest.fixture
def world(make_app):
    return build_world(make_app)


@pytest.fixture
def mail_world(make_app, smtp_server):
    """The world with a real SMTP server: ``(world, handler)``, ``handler.messages`` received."""
    controller, handler = smtp_server
    return build_world(make_app, SMTP_URL=f"smtp://127.0.0.1:{controller.port}"), handler
