"""The notification service: the bell with the unread count, the notifications page, marking
read, and "you were added to" through it."""
from __future__ import annotations

from sqlalchemy import select

from core import access, db
from core.auth.models import User
from core.models import OutboxMessage
from core.records import notifications
from core.records.models import Notification
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in
from tests.support import gadgets
from tests.support.gadgets.models import Gadget


def setup(make_app):
    app = make_app(PLUGINS=[gadgets])
    with app.app_context():
        create_user()
        create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD, language="en")
    return app


def user(email="user@example.com"):
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def test_the_bell_counts_unread_and_the_page_lists_newest_first(make_app):
    app = setup(make_app)
    with app.app_context():
        notifications.notify(user(), "test", "First news")
        notifications.notify(user(), "test", "Second news", url="/gadgets/")
        notifications.notify(user("owner@example.com"), "test", "Owner's news")
        db.session.commit()
    client = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert 'id="notification-bell"' in home and 'id="notification-count">2<' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Second news") < page.index("First news") and "Owner's news" not in page


def test_mark_one_and_all_read_only_my_own(make_app):
    app = setup(make_app)
    with app.app_context():
        mine = [notifications.notify(user(), "test", f"News {n}", url="/gadgets/") for n in range(3)]
        theirs = notifications.notify(user("owner@example.com"), "test", "Owner's news")
        db.session.commit()
        mine_ids, their_id = [n.id for n in mine], theirs.id
    client = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    assert client.post(f"/notifications/{their_id}/read").status_code == 404
    response = client.post(f"/notifications/{mine_ids[0]}/read", data={"open": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/gadgets/"
    assert 'id="notification-count">2<' in client.get("/").get_data(as_text=True)
    assert client.post("/notifications/read").status_code == 302
    assert 'id="notification-count"' not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Notification, their_id).read_at is None
        assert notifications.unread_count(user("owner@example.com")) == 1


def test_being_listed_on_a_record_notifies_in_the_app_and_by_email(make_app):
    app = setup(make_app)
    with app.app_context():
        gadget = Gadget(name="Shared lamp", access_mode="private")
        db.session.add(gadget)
        db.session.commit()
        gadget_id = gadget.id
    with app.test_request_context():
        actor = user("owner@example.com")
        access.set_members("gadget", db.session.get(Gadget, gadget_id), [user().id, actor.id], actor=actor)
        db.session.commit()
        notification = db.session.execute(select(Notification)).scalar_one()  # not for the actor
        assert notification.user_id == user().id and notification.kind == "listed"
        assert "Shared lamp" in notification.message and notification.url == f"/gadgets/{gadget_id}"
        mail = db.session.execute(select(OutboxMessage)).scalar_one()
        assert mail.recipients == ["user@example.com"] and "Shared lamp" in mail.subject


def test_the_bell_needs_a_signed_in_user(make_app):
    app = setup(make_app)
    client = app.test_client()
    assert client.get("/notifications").status_code == 302
    owner = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    assert owner.get("/notifications").status_code == 200
