"""The security baseline: CSRF on every state-changing request, cookie flags, autoescape,
no inline script or style on any page."""
from __future__ import annotations

import re

from sqlalchemy import select

from core import db
from core.models import ModuleState
from tests.conftest import OWNER_PASSWORD, create_user, sign_in
from tests.support import memo


def signed_in_with_csrf(make_app, **config):
    app = make_app(PLUGINS=[memo], WTF_CSRF_ENABLED=True, **config)
    with app.app_context():
        create_user()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    return app, client


def test_a_wrong_csrf_token_changes_nothing(make_app):
    app, client = signed_in_with_csrf(make_app)
    response = client.post("/admin/modules/memo", data={"enabled": "0", "csrf_token": "forged"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(ModuleState).where(ModuleState.name == "memo")).scalar() is None
    assert client.get("/memo/").status_code == 200  # still switched on
    # With the page's own token the same request works.
    page = client.get("/admin/modules").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/admin/modules/memo", data={"enabled": "0", "csrf_token": token}).status_code == 302
    assert client.get("/memo/").status_code == 404


def test_session_cookie_flags(make_app):
    app = make_app(PLUGINS=[memo])
    with app.app_context():
        create_user()
    response = app.test_client().post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure_app = make_app(PLUGINS=[memo], BASE_URL="https://kontor.example")
    response = secure_app.test_client().post("/login", base_url="https://kontor.example",
                                             data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]


def test_names_are_escaped(make_app):
    app = make_app(PLUGINS=[memo])
    with app.app_context():
        create_user(name='<script>alert("x")</script>')
    page = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD).get("/").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_no_page_has_inline_scripts_or_styles(owner_client):
    app = owner_client.application
    urls = [rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments and not rule.endpoint.endswith("static")]
    assert len(urls) > 10
    for url in urls:
        page = owner_client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert " style=" not in page, url


def test_a_record_page_with_every_record_service_has_no_inline_script_or_style(make_app):
    from tests.support import gadgets

    app = make_app(PLUGINS=[memo, gadgets])
    with app.app_context():
        create_user()
    client = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    created = client.post("/gadgets/new", data={"name": "Lamp", "status": "new", "price": "1"})
    url = created.headers["Location"]
    record_id = url.rstrip("/").rsplit("/", 1)[1]
    client.post(f"/records/gadget/{record_id}/notes", data={"text": "two\nlines"})
    client.post(f"/gadgets/{record_id}/edit", data={"name": "Lamp", "status": "done", "price": "2"})
    page = client.get(url).get_data(as_text=True)
    assert "two" in page and 'id="record-panel"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert " style=" not in page


def test_next_links_never_lead_off_site(make_app):
    app = make_app(PLUGINS=[memo])
    with app.app_context():
        create_user()
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = app.test_client().post(f"/login?next={target}",
                                          data={"email": "owner@example.com", "password": OWNER_PASSWORD})
        assert response.headers["Location"] == "/", target
        signed_in = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
        assert signed_in.post("/language", data={"language": "de", "next": target}).headers["Location"] == "/"
    response = app.test_client().post("/login?next=/memo/", data={"email": "owner@example.com",
                                                                   "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/memo/"
