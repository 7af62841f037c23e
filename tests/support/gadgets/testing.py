"""What the record service tests share: an app with the gadgets plugin and its people, one
gadget, and signed-in clients that read English pages."""
from __future__ import annotations

from core import db
from core.modules import set_access
from core.testing import create_user, sign_in
from tests.support.gadgets.models import Gadget

PASSWORD = "gadget-secret-1"
# email prefix -> (role, name); "admin" is the gadgets module's admin.
PEOPLE = {"owner": ("owner", "Olga Owner"), "admin": ("user", "Ada Admin"), "user": ("user", "Ulf User"),
          "other": ("user", "Otto Other")}


def build(make_app, access_mode: str | None = "public_write", plugins=()):
    """``(app, gadget_id)``: the gadgets plugin (and ``plugins``), the people above, and one
    gadget "Lamp" of ``access_mode`` (none with ``None``)."""
    from tests.support import gadgets

    app = make_app(PLUGINS=[gadgets, *plugins])
    gadget_id = None
    with app.app_context():
        users = {who: create_user(f"{who}@example.com", PASSWORD, role=role, name=name)
                 for who, (role, name) in PEOPLE.items()}
        set_access("gadgets", False, [], [], [users["admin"].id], [], user=users["owner"])
        if access_mode is not None:
            gadget = Gadget(name="Lamp", access_mode=access_mode)
            db.session.add(gadget)
            db.session.commit()
            gadget_id = gadget.id
    return app, gadget_id


def client_for(app, who: str):
    """A client signed in as ``who`` (a key of PEOPLE), reading English pages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return sign_in(client, f"{who}@example.com", PASSWORD)
