"""Every hook in core/hookspecs.py is implemented by the test plugin and called through
the core in these tests (datasette's habit: a hook without a test is a defect)."""
from __future__ import annotations

import inspect

from sqlalchemy import select

from core import RecordEvent, db, hookspecs
from core.auth.models import User
from core.access import filter_query, has_permission
from tests.conftest import USER_PASSWORD, create_user
from tests.support import memo

ALL_HOOKS = {name for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(value, "kontor_spec")}
REGISTRATION = {name for name in ALL_HOOKS if name.startswith("register_") and name != "register_commands"}


def test_the_test_plugin_implements_every_hook():
    implemented = {name for name in dir(memo) if hasattr(getattr(memo, name), "kontor_impl")}
    assert ALL_HOOKS - implemented == set()


def test_registration_hooks_fill_the_registries(app):
    kontor = app.extensions["kontor"]
    for hook_name in REGISTRATION - {"register_modules"}:
        assert kontor.plugins.registered(hook_name, {"memo"}), f"{hook_name} registered nothing"
    assert kontor.module("memo").version == "1.2.3"


def test_per_request_and_event_hooks_are_called(app, owner_client):
    memo.CALLS.clear()
    with app.app_context():
        db.session.add(memo.Memo(title="Alpha", owner_id=None))
        db.session.commit()
    owner_client.get("/")  # menu_items
    owner_client.get("/search?q=Alpha")  # search
    owner_client.post("/admin/modules/memo", data={"enabled": "0"})  # module_disabled
    owner_client.post("/admin/modules/memo", data={"enabled": "1"})  # module_enabled
    with app.test_request_context():
        kontor = app.extensions["kontor"]
        kontor.refresh()
        user = create_user(email="user@example.com", name="Uwe", role="user", password=USER_PASSWORD)
        assert [a.label for a in kontor.hook("record_actions", user=user, entity_type="memo", record=None)] == ["Copy"]
        assert [t.name for t in kontor.hook("customer_tabs", user=user, customer=None)] == ["memos"]
        assert [m.label for m in kontor.hook("portal_menu_items", account=None)] == ["Memos"]
        kontor.hook("track_event", event=RecordEvent(entity_type="memo", record_id=1, action="created"))
        assert has_permission(user, "memo.view") is True  # asks permission_allowed, then the role
        visible = db.session.execute(filter_query(select(memo.Memo), user, "memo.view", "memo")).all()
        assert visible == []  # the user owns no memo: the SQL condition hides Alpha
    called = {name for name, _ in memo.CALLS}
    per_request = {"menu_items", "record_actions", "customer_tabs", "portal_menu_items", "search",
                   "permission_allowed", "permission_query_filter", "track_event", "module_enabled",
                   "module_disabled"}
    assert per_request - called == set()


def test_startup_is_called_with_the_app(make_app):
    memo.CALLS.clear()
    app = make_app(PLUGINS=[memo])
    assert ("startup", {"app": app}) in memo.CALLS


def test_portal_blueprints_are_mounted_under_portal(app):
    assert app.test_client().get("/portal/memo/").get_data(as_text=True) == "memo portal page"


def test_every_hook_is_covered_here():
    """A new hook must be added to the test plugin and to a test above."""
    covered = REGISTRATION | {"register_commands", "addhookspecs", "startup", "menu_items", "record_actions",
                              "customer_tabs", "portal_menu_items", "search", "permission_allowed",
                              "permission_query_filter", "track_event", "module_enabled", "module_disabled",
                              "record_tabs", "bulk_actions",
                              "merge_records"}  # in tests/core/test_merge.py
    assert ALL_HOOKS == covered


def test_record_tabs_and_bulk_actions_reach_pages_and_callers(make_app):
    """``record_tabs`` adds a tab to every record page drawn by ``records.panel``;
    ``bulk_actions`` gives the buttons of a list page's selection."""
    from tests.support.gadgets.testing import build, client_for

    app, lamp_id = build(make_app, plugins=[memo])
    memo.CALLS.clear()
    page = client_for(app, "user").get(f"/gadgets/{lamp_id}").get_data(as_text=True)
    assert 'id="record-tab-memo-notes"' in page and '<p id="memo-tab">Memo tab of gadget</p>' in page
    with app.test_request_context():
        user = db.session.scalars(select(User).where(User.email == "user@example.com")).one()
        kontor = app.extensions["kontor"]
        assert [a.label for a in kontor.hook("bulk_actions", user=user, entity_type="gadget")] == ["Archive each"]
    assert {"record_tabs", "bulk_actions"} <= {name for name, _ in memo.CALLS}
