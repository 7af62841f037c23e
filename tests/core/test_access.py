"""Default deny: every route declares the permission it needs."""
from __future__ import annotations

from flask import Blueprint

from core import Module, hookimpl
from core.access import declared_permission
from tests.support import memo


def test_every_route_declares_a_permission(app):
    kontor = app.extensions["kontor"]
    known = {p.name for p in kontor.plugins.registered("register_permissions")} | {"public", "portal"}
    missing, unknown = [], []
    for rule in app.url_map.iter_rules():
        permission = declared_permission(rule.endpoint, app.view_functions[rule.endpoint])
        if permission is None:
            missing.append(rule.rule)
        elif permission not in known:
            unknown.append(f"{rule.rule}: {permission}")
    assert missing == [], f"routes without a permission declaration: {missing}"
    assert unknown == [], f"routes declaring permissions nobody registers: {unknown}"


undeclared = Blueprint("undeclared", __name__)


@undeclared.get("/undeclared")
def forgot_to_declare():
    return "should never be served"


class Forgetful:
    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="undeclared", label="Forgetful")]

    @staticmethod
    @hookimpl
    def register_blueprints():
        return [undeclared]


def test_a_route_without_declaration_is_refused(make_app):
    from tests.conftest import OWNER_PASSWORD, create_user, sign_in

    app = make_app(PLUGINS=[Forgetful])
    with app.app_context():
        create_user()
    client = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    response = client.get("/undeclared")
    assert response.status_code == 403
    assert "should never be served" not in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_login_and_public_pages_open(app):
    from tests.conftest import create_user

    with app.app_context():
        create_user()
    client = app.test_client()
    response = client.get("/memo/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/memo/")
    assert client.get("/memo/open").get_data(as_text=True) == "open to everybody"


def test_role_defaults_and_plugin_answers_decide(app):
    from tests.conftest import USER_PASSWORD, create_user, sign_in

    with app.app_context():
        create_user()
        create_user(email="user@example.com", name="Uwe", role="user", password=USER_PASSWORD)
        create_user(email="editor@example.com", name="Eda", role="user", password=USER_PASSWORD)
    user = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    editor = sign_in(app.test_client(), "editor@example.com", USER_PASSWORD)
    assert user.get("/memo/").status_code == 200  # memo.view: role "user" by default
    assert user.post("/memo/count").status_code == 403  # memo.edit: not for users
    assert editor.post("/memo/count").status_code == 200  # memo's permission_allowed says yes


def test_security_headers(app):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_missing_csrf_token_is_refused_with_a_clear_page(make_app):
    from tests.conftest import OWNER_PASSWORD, create_user

    app = make_app(PLUGINS=[memo], WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_user()
    client = app.test_client()
    response = client.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
