"""The core works with no plugin besides its own."""
from __future__ import annotations

import pytest

from tests.conftest import OWNER_PASSWORD, create_user, sign_in


@pytest.fixture
def bare_client(make_app):
    app = make_app(PLUGINS=[], BUILTIN_PLUGINS=("core.workspace",))
    with app.app_context():
        create_user()
    return app, sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)


def test_only_the_core_module_is_there(bare_client):
    app, _client = bare_client
    assert app.extensions["kontor"].plugins.loaded_names() == {"core"}


@pytest.mark.parametrize("url", ["/", "/admin/modules", "/admin/settings/core", "/admin/outbox", "/admin/jobs",
                                 "/search?q=anything", "/search"])
def test_core_pages_work_without_plugins(bare_client, url):
    _app, client = bare_client
    assert client.get(url).status_code == 200


def test_core_settings_save_without_plugins(bare_client):
    app, client = bare_client
    response = client.post("/admin/settings/core", data={"company_name": "Müller GmbH", "page_size": "10"})
    assert response.status_code == 302
    page = client.get("/admin/settings/core").get_data(as_text=True)
    assert 'value="Müller GmbH"' in page
    assert "<title>Settings · Müller GmbH</title>" in client.get("/admin/settings/core", headers={"Accept-Language": "en"}).get_data(as_text=True)
