"""Switching modules at run time: seen by every process at its next request."""
from __future__ import annotations

from sqlalchemy import select

from core.modules import ModuleError, set_enabled
from tests.conftest import OWNER_PASSWORD, create_user, sign_in
from tests.support import broken, memo


def _menu_entries(client):
    page = client.get("/").get_data(as_text=True)
    return page


def test_switch_in_one_process_is_seen_by_the_other_at_its_next_request(make_app):
    first = make_app(PLUGINS=[memo])
    second = make_app(PLUGINS=[memo])  # another worker process on the same database
    with first.app_context():
        create_user()
        first.extensions["kontor"].refresh()
    admin = sign_in(first.test_client(), "owner@example.com", OWNER_PASSWORD)
    other = sign_in(second.test_client(), "owner@example.com", OWNER_PASSWORD)
    assert other.get("/memo/").status_code == 200
    assert 'href="/memo/"' in other.get("/").get_data(as_text=True)

    response = admin.post("/admin/modules/memo", data={"enabled": "0"})
    assert response.status_code == 302

    assert other.get("/memo/").status_code == 404
    assert other.get("/portal/memo/").status_code == 404
    assert 'href="/memo/"' not in other.get("/").get_data(as_text=True)

    admin.post("/admin/modules/memo", data={"enabled": "1"})
    assert other.get("/memo/").status_code == 200
    assert 'href="/memo/"' in other.get("/").get_data(as_text=True)


def test_disabled_module_keeps_its_data_and_its_hooks_are_not_called(app, owner_client):
    with app.app_context():
        db = memo.db
        db.session.add(memo.Memo(title="Quarterly numbers"))
        db.session.commit()
    assert "Quarterly numbers" in owner_client.get("/search?q=Quarterly").get_data(as_text=True)
    owner_client.post("/admin/modules/memo", data={"enabled": "0"})
    memo.CALLS.clear()
    page = owner_client.get("/search?q=Quarterly").get_data(as_text=True)
    assert "Quarterly numbers" not in page
    assert not [name for name, _ in memo.CALLS if name in ("search", "menu_items")]
    with app.app_context():
        assert memo.db.session.execute(select(memo.Memo.title)).scalar_one() == "Quarterly numbers"
        kontor = app.extensions["kontor"]
        kontor.refresh()
        assert "memo.copy" not in [c.name for c in kontor.registered("register_conversions")]
        assert "memo.view" not in [p.name for p in kontor.registered("register_permissions")]
    owner_client.post("/admin/modules/memo", data={"enabled": "1"})
    assert "Quarterly numbers" in owner_client.get("/search?q=Quarterly").get_data(as_text=True)


def test_module_enabled_and_disabled_hooks_are_told(app, owner_client):
    memo.CALLS.clear()
    owner_client.post("/admin/modules/memo", data={"enabled": "0"})
    owner_client.post("/admin/modules/memo", data={"enabled": "1"})
    assert ("module_disabled", {"name": "memo"}) in memo.CALLS
    assert ("module_enabled", {"name": "memo"}) in memo.CALLS


def test_essential_module_cannot_be_switched_off(app, owner_client):
    response = owner_client.post("/admin/modules/core", data={"enabled": "0"}, follow_redirects=True,
                                 headers={"Accept-Language": "en"})
    assert "Workspace is essential and cannot be switched off." in response.get_data(as_text=True)
    with app.app_context():
        app.extensions["kontor"].refresh()
        assert app.extensions["kontor"].is_enabled("core")


def test_depends_are_enforced_with_clear_messages(make_app):
    app = make_app(PLUGINS=[memo, broken.MemoExtra])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        kontor = app.extensions["kontor"]
        kontor.refresh()
        try:
            set_enabled("memo", False)
        except ModuleError as error:
            assert str(error) == "Memos is needed by Memo extras. Switch those off first."
        else:
            raise AssertionError("memo was switched off although memo_extra needs it")
        set_enabled("memo_extra", False)
        set_enabled("memo", False)
        try:
            set_enabled("memo_extra", True)
        except ModuleError as error:
            assert str(error) == "Memo extras needs Memos. Switch that on first."
        else:
            raise AssertionError("memo_extra was switched on without memo")
        set_enabled("memo", True)
        set_enabled("memo_extra", True)
        assert kontor.is_enabled("memo_extra")


def test_unknown_module_is_refused(app, owner_client):
    response = owner_client.post("/admin/modules/nothing", data={"enabled": "0"}, follow_redirects=True,
                                 headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "There is no installed module nothing." in response.get_data(as_text=True)


def test_a_plain_user_cannot_switch_modules(app, user_client):
    assert user_client.post("/admin/modules/memo", data={"enabled": "0"}).status_code == 403
    assert user_client.get("/admin/modules").status_code == 403
