"""The greetings page: permissions, the form, the setting, the module switch."""
from __future__ import annotations

from sqlalchemy import select

from core import db, settings
from core.modules import set_enabled
from kontor_hello.models import Greeting


def greetings(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(Greeting.text).order_by(Greeting.id)).scalars())


def test_signed_out_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/hello/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_owner_adds_a_greeting_through_the_form(app, owner_client):
    page = owner_client.get("/hello/")
    assert page.status_code == 200
    assert "No greetings yet." in page.get_data(as_text=True)

    response = owner_client.post("/hello/", data={"text": "Moin from Kiel"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/hello/")
    page = owner_client.get("/hello/").get_data(as_text=True)
    assert "Moin from Kiel" in page and "Greeting added." in page
    assert greetings(app) == ["Moin from Kiel"]
    with app.app_context():
        greeting = db.session.execute(select(Greeting)).scalar_one()
        assert greeting.created_at.tzinfo is not None


def test_an_empty_greeting_is_refused(app, owner_client):
    response = owner_client.post("/hello/", data={"text": "  "})
    assert response.status_code == 400
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert greetings(app) == []


def test_greetings_are_escaped(app, owner_client):
    owner_client.post("/hello/", data={"text": "<script>alert(1)</script>"})
    page = owner_client.get("/hello/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_menu_links_the_page(owner_client):
    assert 'href="/hello/"' in owner_client.get("/").get_data(as_text=True)


def test_a_plain_user_sees_greetings_but_may_not_add_one(app, user_client):
    page = user_client.get("/hello/")
    assert page.status_code == 200
    assert 'name="text"' not in page.get_data(as_text=True)  # no form without hello.edit
    assert user_client.post("/hello/", data={"text": "Sneaky"}).status_code == 403
    assert greetings(app) == []


def test_the_default_greeting_prefills_the_form(app, owner_client):
    assert 'value="Hello, world!"' in owner_client.get("/hello/").get_data(as_text=True)
    with app.app_context():
        settings.set_value("hello.default_greeting", "Servus")
    assert 'value="Servus"' in owner_client.get("/hello/").get_data(as_text=True)


def test_switched_off_the_page_answers_404(app, owner_client):
    with app.app_context():
        set_enabled("hello", False)
    assert owner_client.get("/hello/").status_code == 404
    assert owner_client.post("/hello/", data={"text": "Hi"}).status_code == 404
    assert 'href="/hello/"' not in owner_client.get("/").get_data(as_text=True)
    assert greetings(app) == []
    with app.app_context():
        set_enabled("hello", True)
    assert owner_client.get("/hello/").status_code == 200
