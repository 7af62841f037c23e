"""Typed settings: defaults, validation, secrets, and other processes see changes."""
from __future__ import annotations

from decimal import Decimal

from core import settings
from tests.conftest import OWNER_PASSWORD, create_user, sign_in
from tests.support import memo


def test_defaults_until_an_admin_changes_them(app):
    with app.test_request_context():
        app.extensions["kontor"].refresh()
        assert settings.get("memo.greeting") == "Hello"
        assert settings.get("memo.limit") == 10
        assert settings.get("memo.rate") == Decimal("1.50")
        assert settings.get("memo.loud") is False


def test_admin_edits_settings_on_the_module_page(app, owner_client):
    page = owner_client.get("/admin/settings/memo").get_data(as_text=True)
    assert 'name="greeting"' in page and 'value="Hello"' in page
    response = owner_client.post("/admin/settings/memo", data={
        "greeting": "Moin", "limit": "20", "rate": "2.75", "loud": "on",
        "colour": "blue", "api_key": "sk-1234567890abcdef"})
    assert response.status_code == 302
    assert "Moin" in owner_client.get("/memo/").get_data(as_text=True)
    with app.test_request_context():
        app.extensions["kontor"].refresh()
        assert settings.get("memo.limit") == 20
        assert settings.get("memo.rate") == Decimal("2.75")
        assert isinstance(settings.get("memo.rate"), Decimal)
        assert settings.get("memo.loud") is True
        assert settings.get("memo.api_key") == "sk-1234567890abcdef"


def test_invalid_values_are_refused_per_field_and_nothing_is_stored(app, owner_client):
    owner_client.post("/admin/settings/memo", data={"greeting": "Moin", "limit": "20",
                                                   "rate": "1", "colour": "red"})
    response = owner_client.post("/admin/settings/memo", data={
        "greeting": "Servus", "limit": "500", "rate": "abc", "colour": "green"},
        headers={"Accept-Language": "en"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count("invalid-feedback") == 3
    assert "Not a valid number." in page
    assert "Enter a number from 1 to 100." in page
    assert "Choose one of the offered values." in page
    with app.test_request_context():
        app.extensions["kontor"].refresh()
        assert settings.get("memo.greeting") == "Moin"  # nothing half-saved
        assert settings.get("memo.limit") == 20


def test_secret_is_never_shown_back_and_empty_keeps_it(app, owner_client):
    data = {"greeting": "Hi", "limit": "10", "rate": "1", "colour": "red"}
    owner_client.post("/admin/settings/memo", data={**data, "api_key": "sk-1234567890abcdef"})
    page = owner_client.get("/admin/settings/memo").get_data(as_text=True)
    assert "sk-1234567890abcdef" not in page
    assert "••••ef" in page
    owner_client.post("/admin/settings/memo", data={**data, "api_key": ""})
    with app.test_request_context():
        app.extensions["kontor"].refresh()
        assert settings.get("memo.api_key") == "sk-1234567890abcdef"


def test_change_in_one_process_is_seen_by_another(make_app):
    first, second = make_app(PLUGINS=[memo]), make_app(PLUGINS=[memo])
    with first.app_context():
        create_user()
    admin = sign_in(first.test_client(), "owner@example.com", OWNER_PASSWORD)
    other = sign_in(second.test_client(), "owner@example.com", OWNER_PASSWORD)
    assert "Hello" in other.get("/memo/").get_data(as_text=True)
    admin.post("/admin/settings/memo", data={"greeting": "Grüß Gott", "limit": "10",
                                            "rate": "1", "colour": "red"})
    assert "Grüß Gott" in other.get("/memo/").get_data(as_text=True)


def test_settings_of_a_disabled_module_have_no_page(app, owner_client):
    owner_client.post("/admin/modules/memo", data={"enabled": "0"})
    assert owner_client.get("/admin/settings/memo").status_code == 404
    assert owner_client.get("/admin/settings").status_code == 302  # to the core's page
